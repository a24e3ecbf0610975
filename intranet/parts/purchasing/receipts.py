"""Receiving: the three checks of a delivery (delivery note, intake, shelving). Stock is booked
only at shelving, through `ledger.post`, and only the good quantity actually received."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from intranet import clock
from intranet.core import notices
from intranet.core.models import User
from intranet.core.services import get_owned
from intranet.errors import Conflict, DomainError, IllegalTransition
from intranet.extensions import db
from intranet.parts import ledger
from intranet.parts import services as parts_services
from intranet.parts.models import (
    Discrepancy, DiscrepancyKind, MovementKind, OrderStatus, Part, PurchaseOrder, Receipt, ReceiptLine, ReceiptStatus,
)
from intranet.parts.purchasing.entry import _count, _text
from intranet.parts.purchasing.orders import RECEIVABLE, _expect, _flush, _move, _touch, get_order

RECEIPT_STEPS = {
    ReceiptStatus.NOTE_CHECKED: ReceiptStatus.INTAKE_CHECKED,
    ReceiptStatus.INTAKE_CHECKED: ReceiptStatus.SHELVED,
}


def get_receipt(receipt_id: int, store_id: int) -> Receipt:
    return get_owned(Receipt, receipt_id, store_id, _l("No such delivery."))


def receipt_page(receipt_id: int, store_id: int) -> Receipt:
    receipt = db.session.scalar(
        select(Receipt).options(joinedload(Receipt.order).joinedload(PurchaseOrder.supplier),
                                selectinload(Receipt.lines).joinedload(ReceiptLine.part),
                                selectinload(Receipt.lines).joinedload(ReceiptLine.order_line))
        .where(Receipt.id == receipt_id, Receipt.store_id == store_id))
    if receipt is None:
        raise DomainError(_l("No such delivery."))
    receipt.discrepancies = list(db.session.scalars(
        select(Discrepancy).options(joinedload(Discrepancy.part)).where(Discrepancy.receipt_id == receipt.id)
        .order_by(Discrepancy.id)))
    ids = [u for u in (receipt.note_checked_by_id, receipt.intake_checked_by_id, receipt.shelved_by_id) if u]
    receipt.people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return receipt


def _over(part: Part, quantity: Decimal, outstanding: Decimal, field: str) -> DomainError:
    return DomainError(_l("%(number)s %(name)s: %(quantity)s is more than the %(outstanding)s still outstanding on "
                          "the order. Refuse the surplus.", number=part.number, name=part.name,
                          quantity=ledger.plain_quantity(quantity), outstanding=ledger.plain_quantity(outstanding)), field=field)


def check_delivery_note(order_id: int, *, store_id: int, actor_id: int | None, delivery_note: str | None,
                        noted: dict, expected_version=None) -> Receipt:
    """Check 1, the buyer: a delivery against its delivery note. `noted` maps order line ids to the
    quantity on the note (empty: not in this delivery); fields are named noted-<line id>."""
    order = get_order(order_id, store_id)
    _expect(order, expected_version)
    if order.status not in RECEIVABLE:
        raise IllegalTransition(_l("Purchase order %(number)s is “%(status)s”: only an ordered one can be received.",
                                   number=order.number, status=order.status_enum.label))
    in_progress = db.session.scalar(select(Receipt).where(Receipt.order_id == order.id,
                                                          Receipt.status != ReceiptStatus.SHELVED))
    if in_progress is not None:
        raise Conflict(_l("Delivery %(note)s of this order is still being checked: finish it first.",
                          note=in_progress.delivery_note))
    note_number = (delivery_note or "").strip()
    if not note_number:
        raise DomainError(_l("Enter the delivery note number."), field="delivery_note")
    receipt = Receipt(store_id=store_id, order_id=order.id, delivery_note=note_number[:32],
                      status=ReceiptStatus.NOTE_CHECKED, note_checked_by_id=actor_id, note_checked_at=clock.utcnow())
    for line in order.lines:
        typed = noted.get(line.id, noted.get(str(line.id)))
        field = f"noted-{line.id}"
        quantity = _count(typed, field)
        if quantity == 0:
            continue
        if quantity > line.outstanding:
            raise _over(line.part, quantity, line.outstanding, field)
        receipt.lines.append(ReceiptLine(order_line_id=line.id, part_id=line.part_id, noted_quantity=quantity))
    if not receipt.lines:
        raise DomainError(_l("Enter the quantity on the delivery note for at least one line."),
                          field=f"noted-{order.lines[0].id}" if order.lines else None)
    db.session.add(receipt)
    _touch(order)
    _flush(order)
    return receipt


def _step(receipt: Receipt, expected: ReceiptStatus) -> None:
    if receipt.status != expected:
        raise IllegalTransition(_l("Delivery %(note)s is already “%(status)s”: this check was done.",
                                   note=receipt.delivery_note, status=receipt.status_enum.label))


def check_intake(receipt_id: int, *, store_id: int, actor_id: int | None, counts: dict,
                 note: str | None = None) -> Receipt:
    """Check 2, storekeeper and planner: per receipt line the good, damaged and wrong-part quantities
    (fields good-<id>, damaged-<id>, wrong-<id>). Damaged and wrong items are refused; they and any
    shortfall against the delivery note become discrepancy notes."""
    receipt = get_receipt(receipt_id, store_id)
    _step(receipt, ReceiptStatus.NOTE_CHECKED)
    now = clock.utcnow()
    found: list[Discrepancy] = []
    for line in receipt.lines:
        typed = counts.get(line.id, counts.get(str(line.id))) or {}
        good = _count(typed.get("good"), f"good-{line.id}")
        damaged = _count(typed.get("damaged"), f"damaged-{line.id}")
        wrong = _count(typed.get("wrong"), f"wrong-{line.id}")
        outstanding = line.order_line.outstanding
        if good + damaged + wrong > outstanding:
            raise _over(line.part, good + damaged + wrong, outstanding, f"good-{line.id}")
        line.good_quantity, line.damaged_quantity, line.wrong_quantity = good, damaged, wrong
        short = Decimal(line.noted_quantity) - good - damaged - wrong
        for kind, quantity in ((DiscrepancyKind.SHORT, short), (DiscrepancyKind.DAMAGED, damaged),
                               (DiscrepancyKind.WRONG, wrong)):
            if quantity > 0:
                found.append(Discrepancy(store_id=store_id, receipt_id=receipt.id, part_id=line.part_id, kind=kind,
                                         quantity=quantity, note=_text(note, 200), created_by_id=actor_id,
                                         created_at=now))
    db.session.add_all(found)
    receipt.status, receipt.intake_checked_by_id, receipt.intake_checked_at = (ReceiptStatus.INTAKE_CHECKED,
                                                                               actor_id, now)
    db.session.flush()
    if found:
        order = receipt.order
        notices.notify(store_id, [order.ordered_by_id, order.approved_by_id], "discrepancy_raised",
                       {"number": order.number, "note": receipt.delivery_note, "count": len(found)},
                       link="/parts/purchasing/discrepancies")
    return receipt


def shelve(receipt_id: int, *, store_id: int, actor_id: int | None) -> Receipt:
    """Check 3, the storekeeper puts the goods in their bins: the good quantity is booked as receipt
    movements at the order line's cost, the order becomes (partly) received and the cars waiting for
    these parts get them. The receipt's step is claimed by one conditional UPDATE first, so a
    double-submitted shelving books nothing the second time."""
    receipt = get_receipt(receipt_id, store_id)
    now = clock.utcnow()
    claimed = db.session.execute(
        update(Receipt).where(Receipt.id == receipt.id, Receipt.status == ReceiptStatus.INTAKE_CHECKED)
        .values(status=ReceiptStatus.SHELVED, shelved_by_id=actor_id, shelved_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if claimed != 1:
        db.session.refresh(receipt)
        if receipt.status == ReceiptStatus.SHELVED:
            raise Conflict(_l("Delivery %(note)s is already shelved and booked.", note=receipt.delivery_note))
        raise IllegalTransition(_l("Delivery %(note)s has not been checked at intake yet.",
                                   note=receipt.delivery_note))
    for name, value in (("status", ReceiptStatus.SHELVED), ("shelved_by_id", actor_id), ("shelved_at", now)):
        set_committed_value(receipt, name, value)
    order = receipt.order
    booked = False
    for line in receipt.lines:
        good = Decimal(line.good_quantity or 0)
        if good <= 0:
            continue
        ledger.post(line.part_id, good, MovementKind.RECEIPT, store_id=store_id, actor_id=actor_id,
                    receipt_id=receipt.id, unit_cost=line.order_line.unit_cost,
                    note=f"{order.number} · {receipt.delivery_note}")
        line.order_line.received_quantity = Decimal(line.order_line.received_quantity) + good
        booked = True
        parts_services.on_received(line.part_id, good, store_id=store_id, actor_id=actor_id,
                                   order_line_id=line.order_line_id)
    if booked:
        done = all(ln.outstanding <= 0 for ln in order.lines)
        target = OrderStatus.RECEIVED if done else OrderStatus.PARTLY_RECEIVED
        if order.status != target:
            _move(order, target, actor_id)
    _touch(order)
    _flush(order)
    return receipt


def _notice_texts() -> None:
    notices.register("discrepancy_raised", lambda p: _("Delivery %(note)s of purchase order %(number)s has "
                                                       "%(count)s discrepancy notes: claim them from the supplier.",
                                                       note=p.get("note"), number=p.get("number"),
                                                       count=p.get("count")))


_notice_texts()
