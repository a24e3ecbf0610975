"""An order's way after the draft: the parts manager's approval, the buyer's order with the
supplier, cancelling, and closing a partly received order short."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from intranet import clock
from intranet.core import notices
from intranet.core.models import User
from intranet.errors import DomainError, IllegalTransition
from intranet.extensions import db
from intranet.parts import authority
from intranet.parts.models import (
    ClaimStatus, Discrepancy, DiscrepancyKind, OrderStatus, PendingStatus, PurchaseOrder, Receipt, ReceiptStatus,
)
from intranet.parts.purchasing.entry import _date, _text
from intranet.parts.purchasing.orders import (
    NotAllowed, _allowed, _back_to_shortage, _bump_pending, _expect, _flush, _move, _name, _pending_on, get_order,
    store_today,
)
from intranet.parts.purchasing.quotes import needs_quotes


def approve(order_id: int, *, store_id: int, actor: User, expected_version=None) -> PurchaseOrder:
    """The parts manager approves the plan. Not its own author, and only someone of the parts store
    or the director; A-class parts need three suppliers' quotes first."""
    order = get_order(order_id, store_id)
    _expect(order, expected_version)
    if not authority.may_approve(actor):
        raise NotAllowed(_l("Only the parts manager or the director approves purchase orders."))
    if order.created_by_id and order.created_by_id == actor.id:
        raise NotAllowed(_l("You wrote purchase order %(number)s: someone else must approve it.",
                            number=order.number))
    _allowed(order, OrderStatus.APPROVED)
    if not order.supplier_id:
        raise DomainError(_l("Choose the supplier before approval."), field="supplier_id")
    if not order.lines:
        raise DomainError(_l("Purchase order %(number)s has no lines to approve.", number=order.number))
    unquoted = [line.part.number for line in order.lines if needs_quotes(line)]
    if unquoted:
        raise DomainError(_l("A-class parts are compared across three suppliers before approval: %(numbers)s "
                             "still need quotes.", numbers=", ".join(unquoted)), field="quotes")
    _move(order, OrderStatus.APPROVED, actor.id)
    order.approved_by_id, order.approved_at = actor.id, clock.utcnow()
    for pending in _pending_on([line.id for line in order.lines]):
        if pending.status == PendingStatus.REQUESTED:
            pending.status = PendingStatus.APPROVED
    _flush(order)
    if order.created_by_id and order.created_by_id != actor.id:
        notices.notify(store_id, [order.created_by_id], "purchase_approved",
                       {"number": order.number, "who": actor.display_name}, link=f"/parts/purchasing/{order.id}")
    _bump_pending(store_id)
    return order


def mark_ordered(order_id: int, *, store_id: int, actor_id: int | None, expected_on,
                 expected_version=None) -> PurchaseOrder:
    """The buyer has placed the order with the supplier, who promises it for `expected_on`. The cars
    waiting for its parts now know the supplier and the date."""
    order = get_order(order_id, store_id)
    _expect(order, expected_version)
    _allowed(order, OrderStatus.ORDERED)
    day = _date(expected_on, "expected_on")
    if day < store_today(store_id):
        raise DomainError(_l("The expected date cannot be in the past."), field="expected_on")
    _move(order, OrderStatus.ORDERED, actor_id)
    now = clock.utcnow()
    order.expected_on, order.ordered_by_id, order.ordered_at = day, actor_id, now
    for pending in _pending_on([line.id for line in order.lines]):
        pending.status, pending.supplier_id = PendingStatus.ORDERED, order.supplier_id
        pending.expected_on, pending.ordered_at = day, now
    _flush(order)
    _bump_pending(store_id)
    return order


def cancel_order(order_id: int, *, store_id: int, actor_id: int | None, reason: str | None,
                 supplier_told: bool = False, expected_version=None) -> PurchaseOrder:
    """Cancel an order nothing has arrived on, with the reason (kept in its history); its cars go
    back on the shortage list. An order already sent to the supplier is cancelled only once the
    supplier has been told; whoever approved it is told too. A received (or partly received) order
    is never cancelled: what came is booked (a partly received one is closed short)."""
    order = get_order(order_id, store_id)
    _expect(order, expected_version)
    if order.status in (OrderStatus.RECEIVED, OrderStatus.CANCELLED):
        raise IllegalTransition(_l("Purchase order %(number)s is “%(status)s”: it can no longer be cancelled.",
                                   number=order.number, status=order.status_enum.label))
    if order.status == OrderStatus.PARTLY_RECEIVED or db.session.scalar(
            select(func.count()).select_from(Receipt).where(Receipt.order_id == order.id)):
        raise IllegalTransition(_l("Goods have arrived on purchase order %(number)s: close it short instead of "
                                   "cancelling it.", number=order.number))
    why = _text(reason, 160)
    if not why:
        raise DomainError(_l("Write why purchase order %(number)s is cancelled.", number=order.number),
                          field="reason")
    note = why
    if order.status == OrderStatus.ORDERED:
        supplier = order.supplier
        if not supplier_told:
            phone = supplier.phone if supplier and supplier.phone else _("no phone on file")
            raise DomainError(_l("%(supplier)s already has purchase order %(number)s: tell them it is cancelled "
                                 "(%(phone)s), then tick that they were told.",
                                 supplier=supplier.name if supplier else "—", number=order.number,
                                 phone=phone),
                              field="supplier_told")
        note = _("%(reason)s · the supplier was told", reason=why)
    was = order.status_enum
    _move(order, OrderStatus.CANCELLED, actor_id, note=note)
    _back_to_shortage([line.id for line in order.lines])
    _flush(order)
    told = [u for u in (order.approved_by_id, order.created_by_id) if u and u != actor_id]
    if was != OrderStatus.DRAFT and told:
        notices.notify(store_id, sorted(set(told)), "purchase_cancelled",
                       {"number": order.number, "who": _name(actor_id), "reason": why},
                       link=f"/parts/purchasing/{order.id}")
    _bump_pending(store_id)
    return order


def close_short(order_id: int, *, store_id: int, actor_id: int | None, expected_version=None) -> PurchaseOrder:
    """The buyer closes a partly received order: what was ordered and never delivered (and is not
    already on a discrepancy note) becomes a “short” discrepancy on the last delivery; cars still
    waiting for it go back on the shortage list."""
    order = get_order(order_id, store_id)
    _expect(order, expected_version)
    if order.status != OrderStatus.PARTLY_RECEIVED:
        raise IllegalTransition(_l("Only a partly received order can be closed short; purchase order %(number)s is "
                                   "“%(status)s”.", number=order.number, status=order.status_enum.label))
    receipts = list(db.session.scalars(select(Receipt).where(Receipt.order_id == order.id).order_by(Receipt.id)))
    if any(r.status != ReceiptStatus.SHELVED for r in receipts):
        raise IllegalTransition(_l("A delivery of purchase order %(number)s is still being checked: finish it first.",
                                   number=order.number))
    noted = dict(db.session.execute(
        select(Discrepancy.part_id, func.sum(Discrepancy.quantity))
        .where(Discrepancy.receipt_id.in_([r.id for r in receipts]),
               Discrepancy.status != ClaimStatus.REPLACED)  # replaced goods came on a later delivery
        .group_by(Discrepancy.part_id)).all())
    last = receipts[-1]
    for line in order.lines:
        missing = line.outstanding - Decimal(noted.get(line.part_id) or 0)
        if missing > 0:
            db.session.add(Discrepancy(store_id=store_id, receipt_id=last.id, part_id=line.part_id,
                                       kind=DiscrepancyKind.SHORT, quantity=missing, created_by_id=actor_id,
                                       created_at=clock.utcnow(),
                                       note=_text(_("Never delivered; order closed short."), 200)))
    _back_to_shortage([line.id for line in order.lines if line.outstanding > 0])
    _move(order, OrderStatus.RECEIVED, actor_id)
    _flush(order)
    _bump_pending(store_id)
    return order


def _notice_texts() -> None:
    notices.register("purchase_cancelled", lambda p: _("Purchase order %(number)s was cancelled by %(who)s: "
                                                       "%(reason)s", number=p.get("number"), who=p.get("who"),
                                                       reason=p.get("reason")))
    notices.register("purchase_approved", lambda p: _("Purchase order %(number)s was approved by %(who)s: the buyer "
                                                      "can order it.", number=p.get("number"), who=p.get("who")))


_notice_texts()
