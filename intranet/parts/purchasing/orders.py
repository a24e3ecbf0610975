"""Purchase orders: their state machine, reading them, and the guards every change goes through
(the version a form was made from, drafts only, legal moves). The other purchasing modules build on
these."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from intranet import clock
from intranet.core.billing import money
from intranet.core.models import RepairOrder, Store, User
from intranet.core.services import get_owned, get_store, next_number
from intranet.errors import Conflict, DomainError, IllegalTransition
from intranet.extensions import db
from intranet.live.services import bump
from intranet.parts import history
from intranet.parts import services as parts_services
from intranet.parts.models import (
    ZERO, OrderStatus, Part, PartSupplier, PendingPart, PendingStatus, PurchaseOrder, PurchaseOrderLine, Receipt,
    ReceiptStatus, SupplierQuote,
)
from intranet.parts.purchasing.entry import _text

# ----------------------------------------------------------------------------- state machines

ORDER_MOVES: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.DRAFT: frozenset({OrderStatus.APPROVED, OrderStatus.CANCELLED}),
    OrderStatus.APPROVED: frozenset({OrderStatus.ORDERED, OrderStatus.CANCELLED}),
    OrderStatus.ORDERED: frozenset({OrderStatus.PARTLY_RECEIVED, OrderStatus.RECEIVED, OrderStatus.CANCELLED}),
    OrderStatus.PARTLY_RECEIVED: frozenset({OrderStatus.RECEIVED}),  # also: closed short by the buyer
    OrderStatus.RECEIVED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}
OPEN_ORDERS = (OrderStatus.APPROVED, OrderStatus.ORDERED, OrderStatus.PARTLY_RECEIVED)
RECEIVABLE = (OrderStatus.ORDERED, OrderStatus.PARTLY_RECEIVED)

# pending parts that ride on an order line and go back to the shortage list if the line goes
ON_ORDER_PENDING = (PendingStatus.REQUESTED, PendingStatus.APPROVED, PendingStatus.ORDERED)


class StaleOrder(Conflict):
    """The form was made from an older version of the order: someone changed it meanwhile."""


class NotAllowed(DomainError):
    """The person may not do this to this order (approval by its author or without the role)."""


def store_today(store_id: int) -> date:
    return clock.store_today(get_store(store_id).timezone)


# ----------------------------------------------------------------------------- orders: reading

def get_order(order_id: int, store_id: int) -> PurchaseOrder:
    return get_owned(PurchaseOrder, order_id, store_id, _l("No such purchase order."))


def order_page(order_id: int, store_id: int) -> PurchaseOrder:
    """An order with everything its page shows, in a fixed number of queries whatever its size."""
    order = db.session.scalar(
        select(PurchaseOrder)
        .options(joinedload(PurchaseOrder.supplier),
                 selectinload(PurchaseOrder.lines).joinedload(PurchaseOrderLine.part),
                 selectinload(PurchaseOrder.lines).selectinload(PurchaseOrderLine.quotes)
                 .joinedload(SupplierQuote.supplier))
        .where(PurchaseOrder.id == order_id, PurchaseOrder.store_id == store_id))
    if order is None:
        raise DomainError(_l("No such purchase order."))
    people = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(
        [i for i in (order.created_by_id, order.approved_by_id, order.ordered_by_id) if i])))}
    order.people = people
    order.receipts = list(db.session.scalars(select(Receipt).where(Receipt.order_id == order.id)
                                             .order_by(Receipt.id)))
    waiting: dict[int, list[PendingPart]] = {}
    line_ids = [line.id for line in order.lines]
    if line_ids:
        for pending in db.session.scalars(
                select(PendingPart).options(joinedload(PendingPart.repair_order).joinedload(RepairOrder.vehicle))
                .where(PendingPart.order_line_id.in_(line_ids)).order_by(PendingPart.created_at)):
            waiting.setdefault(pending.order_line_id, []).append(pending)
    for line in order.lines:
        line.waiting = waiting.get(line.id, [])
    return order


def order_total(order: PurchaseOrder) -> Decimal:
    return sum((Decimal(line.quantity) * Decimal(line.unit_cost) for line in order.lines), ZERO)


def orders_overview(store_id: int, *, closed_days: int = 14) -> list[PurchaseOrder]:
    """Every open order and those closed in the last days, each with its line count and value
    (`line_count`, `total`) and its receipt in progress, in three queries."""
    since = clock.utcnow() - timedelta(days=closed_days)
    lines = (select(PurchaseOrderLine.order_id, func.count().label("n"),
                    func.sum(PurchaseOrderLine.quantity * PurchaseOrderLine.unit_cost).label("total"))
             .group_by(PurchaseOrderLine.order_id).subquery())
    rows = db.session.execute(
        select(PurchaseOrder, func.coalesce(lines.c.n, 0), func.coalesce(lines.c.total, 0))
        .options(joinedload(PurchaseOrder.supplier))
        .outerjoin(lines, lines.c.order_id == PurchaseOrder.id)
        .where(PurchaseOrder.store_id == store_id, or_(
            PurchaseOrder.status.in_([str(s) for s in (OrderStatus.DRAFT, *OPEN_ORDERS)]),
            PurchaseOrder.created_at >= since, PurchaseOrder.ordered_at >= since))
        .order_by(PurchaseOrder.id.desc())).all()
    orders = []
    for order, count, total in rows:
        order.line_count, order.total = int(count), money(total or 0)
        order.receiving = None
        orders.append(order)
    if orders:
        for receipt in db.session.scalars(select(Receipt).where(
                Receipt.order_id.in_([o.id for o in orders]), Receipt.status != ReceiptStatus.SHELVED)):
            next(o for o in orders if o.id == receipt.order_id).receiving = receipt
    return orders


def shortages(store_id: int) -> list[PendingPart]:
    """Pending parts not yet on a purchase request: what the planner turns into urgent orders."""
    return list(db.session.scalars(
        select(PendingPart).options(joinedload(PendingPart.part).joinedload(Part.supplier),
                                    joinedload(PendingPart.repair_order).joinedload(RepairOrder.vehicle))
        .where(PendingPart.store_id == store_id, PendingPart.status == PendingStatus.SHORTAGE)
        .order_by(PendingPart.created_at)))


# ----------------------------------------------------------------------------- orders: guards

def _expect(order: PurchaseOrder, expected_version) -> None:
    if expected_version in (None, ""):
        return
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        expected = -1
    if order.version != expected:
        raise StaleOrder(_l("Purchase order %(number)s was changed by a colleague meanwhile (it is now “%(status)s”). "
                            "Nothing was saved: check it and try again.", number=order.number,
                            status=order.status_enum.label))


def _touch(order: PurchaseOrder) -> None:
    """A change to a line is a change to the order: bump its version so stale forms are refused."""
    order.note  # noqa: B018 - flag_modified needs the attribute loaded
    flag_modified(order, "note")


def _flush(order: PurchaseOrder | None = None) -> None:
    try:
        db.session.flush()
    except StaleDataError:
        # another request committed a change to the order between our read and our write
        raise StaleOrder(_l("Purchase order %(number)s was changed by a colleague meanwhile. Nothing was saved: "
                            "reload it and try again.", number=order.number if order else "")) from None


def _allowed(order: PurchaseOrder, to: OrderStatus) -> None:
    current = order.status_enum
    if to not in ORDER_MOVES[current]:
        raise IllegalTransition(_l("A purchase order that is “%(current)s” cannot become “%(target)s”.",
                                   current=current.label, target=to.label))


def _move(order: PurchaseOrder, to: OrderStatus, actor_id: int | None, note: str | None = None) -> None:
    _allowed(order, to)
    history.move(order, to, ORDER_MOVES, subject="order", actor_id=actor_id, note=note,
                 refusal=lambda current: current.label)


def _require_draft(order: PurchaseOrder) -> None:
    if order.status != OrderStatus.DRAFT:
        raise IllegalTransition(_l("Purchase order %(number)s is “%(status)s”: only a draft can be changed.",
                                   number=order.number, status=order.status_enum.label))


def _new_order(store_id: int, supplier_id: int | None, *, actor_id: int | None, urgent: bool = False,
               suggested: bool = False, note: str | None = None) -> PurchaseOrder:
    store = db.session.get(Store, store_id)
    number = "PO-" + next_number(store, "po", clock.store_today(store.timezone))
    order = PurchaseOrder(store_id=store_id, number=number, supplier_id=supplier_id, urgent=urgent,
                          suggested=suggested, status=OrderStatus.DRAFT, created_by_id=actor_id,
                          created_at=clock.utcnow(), note=_text(note, 200))
    db.session.add(order)
    history.opened(order, subject="order", actor_id=actor_id)
    return order


def _default_cost(part: Part, supplier_id: int | None) -> Decimal:
    if supplier_id:
        listed = db.session.scalar(select(PartSupplier.unit_cost).where(
            PartSupplier.part_id == part.id, PartSupplier.supplier_id == supplier_id))
        if listed is not None:
            return money(listed)
    return money(part.cost or 0)


def _part(store_id: int, number: str | None, field: str = "part_number") -> Part:
    number = (number or "").strip().upper()
    if not number:
        raise DomainError(_l("Enter the part number."), field=field)
    part = parts_services.part_by_number(store_id, number)
    if part is None:
        raise DomainError(_l("There is no part %(number)s in the catalogue.", number=number), field=field)
    if not part.active:
        raise DomainError(_l("Part %(number)s is no longer stocked.", number=part.number), field=field)
    return part


def _pending_on(line_ids: list[int]) -> list[PendingPart]:
    if not line_ids:
        return []
    return list(db.session.scalars(select(PendingPart).where(
        PendingPart.order_line_id.in_(line_ids), PendingPart.status.in_([str(s) for s in ON_ORDER_PENDING]))))


def _back_to_shortage(line_ids: list[int]) -> int:
    """The pending parts riding on these lines go back on the shortage list, to be requested again."""
    moved = 0
    for pending in _pending_on(line_ids):
        pending.status, pending.order_line_id = PendingStatus.SHORTAGE, None
        pending.expected_on, pending.ordered_at = None, None
        moved += 1
    return moved


def _bump_pending(store_id: int) -> None:
    bump(store_id, "parts", "pending")


def _name(user_id: int | None) -> str:
    user = db.session.get(User, user_id) if user_id else None
    return user.display_name if user else "—"
