"""Purchasing, receiving and discrepancies: the nightly suggested orders, the planner's drafts and
urgent purchase requests for cars waiting, the parts manager's approval (A-class parts compared
across three suppliers), the buyer's order, the three receiving checks (delivery note, intake,
shelving) and the discrepancy notes (差损单) followed until the supplier settles the claim.

Stock is booked only at shelving, through `ledger.post`, and only the good quantity actually
received. Services flush; the view or the job commits."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import flag_modified, set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from intranet import clock
from intranet.core import notices
from intranet.core.billing import money
from intranet.core.models import Photo, RepairOrder, Role, Store, User
from intranet.core.services import get_owned, get_store, next_number
from intranet.errors import Conflict, DomainError, IllegalTransition
from intranet.extensions import db
from intranet.jobs.runtime import unit_of_work
from intranet.parts import history, ledger
from intranet.parts.models import (
    OPEN_CLAIMS, ZERO, AbcClass, ClaimStatus, Discrepancy, DiscrepancyKind, MovementKind, OrderStatus, Part,
    PartSupplier, PendingPart, PendingStatus, PurchaseOrder, PurchaseOrderLine, Receipt, ReceiptLine, ReceiptStatus,
    Supplier, SupplierQuote,
)

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

RECEIPT_STEPS = {
    ReceiptStatus.NOTE_CHECKED: ReceiptStatus.INTAKE_CHECKED,
    ReceiptStatus.INTAKE_CHECKED: ReceiptStatus.SHELVED,
}

CLAIM_MOVES: dict[ClaimStatus, frozenset[ClaimStatus]] = {
    ClaimStatus.OPEN: frozenset({ClaimStatus.CLAIMED}),
    ClaimStatus.CLAIMED: frozenset({ClaimStatus.CREDITED, ClaimStatus.REPLACED, ClaimStatus.REJECTED}),
    ClaimStatus.CREDITED: frozenset(),
    ClaimStatus.REPLACED: frozenset(),
    ClaimStatus.REJECTED: frozenset(),
}
CLAIM_OUTCOMES = (ClaimStatus.CREDITED, ClaimStatus.REPLACED, ClaimStatus.REJECTED)

# pending parts that ride on an order line and go back to the shortage list if the line goes
ON_ORDER_PENDING = (PendingStatus.REQUESTED, PendingStatus.APPROVED, PendingStatus.ORDERED)


class StaleOrder(Conflict):
    """The form was made from an older version of the order: someone changed it meanwhile."""


class NotAllowed(DomainError):
    """The person may not do this to this order (approval by its author or without the role)."""


# ----------------------------------------------------------------------------- small helpers

def _count(value, field: str, *, required: bool = False) -> Decimal:
    """A quantity counted by a person: empty is zero (unless required), never negative, at most
    two decimals."""
    text = str(value if value is not None else "").strip()
    if not text:
        if required:
            raise DomainError(_l("Enter a quantity greater than zero."), field=field)
        return ZERO
    try:
        quantity = Decimal(text)
    except (InvalidOperation, ValueError):
        raise DomainError(_l("Enter a number."), field=field) from None
    if not quantity.is_finite() or quantity < 0:
        raise DomainError(_l("A quantity cannot be negative."), field=field)
    if quantity != quantity.quantize(Decimal("0.01")):
        raise DomainError(_l("Enter the quantity with at most two decimals."), field=field)
    if required and quantity == 0:
        raise DomainError(_l("Enter a quantity greater than zero."), field=field)
    return quantity


def _price(value, field: str) -> Decimal:
    text = str(value if value is not None else "").strip()
    if not text:
        raise DomainError(_l("Enter the unit cost."), field=field)
    try:
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        raise DomainError(_l("Enter a number."), field=field) from None
    if not amount.is_finite() or amount < 0:
        raise DomainError(_l("A price cannot be negative."), field=field)
    if amount > Decimal("9999999999"):
        raise DomainError(_l("That price is too large."), field=field)
    return money(amount)


def _date(value, field: str) -> date:
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        raise DomainError(_l("Enter the expected delivery date."), field=field)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError(_l("Enter the date as YYYY-MM-DD."), field=field) from None


def _text(value, length: int) -> str | None:
    return (value or "").strip()[:length] or None


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
    from intranet.parts import services as parts_services

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


# ----------------------------------------------------------------------------- purchase requests

def request_purchase(pending_ids, *, store_id: int, actor_id: int | None) -> list[PurchaseOrder]:
    """Put shortages (pending parts for cars waiting) on an urgent draft order of each part's usual
    supplier: an open urgent draft of that supplier is reused and its line's quantity grows. The
    pending parts become “purchase requested”. Returns the orders touched."""
    ids = sorted({int(i) for i in pending_ids or [] if str(i).strip().isdigit()})
    if not ids:
        raise DomainError(_l("Choose at least one pending part."), field="pending_ids")
    pendings = list(db.session.scalars(
        select(PendingPart).options(joinedload(PendingPart.part))
        .where(PendingPart.id.in_(ids), PendingPart.store_id == store_id).order_by(PendingPart.created_at)))
    if len(pendings) != len(ids):
        raise DomainError(_l("No such pending part."), field="pending_ids")
    for pending in pendings:
        if pending.status != PendingStatus.SHORTAGE:
            raise IllegalTransition(_l("%(number)s is already “%(status)s”: only a shortage goes on a purchase "
                                       "request.", number=pending.part.number, status=pending.status_enum.label),
                                    field="pending_ids")
        if not (pending.part.supplier_id or pending.supplier_id):
            raise DomainError(_l("%(number)s has no usual supplier: set one in the catalogue first.",
                                 number=pending.part.number), field="pending_ids")
    orders: dict[int, PurchaseOrder] = {}
    for pending in pendings:
        supplier_id = pending.part.supplier_id or pending.supplier_id
        order = orders.get(supplier_id)
        if order is None:
            order = db.session.scalar(
                select(PurchaseOrder).options(selectinload(PurchaseOrder.lines))
                .where(PurchaseOrder.store_id == store_id, PurchaseOrder.supplier_id == supplier_id,
                       PurchaseOrder.status == OrderStatus.DRAFT, PurchaseOrder.urgent.is_(True))
                .order_by(PurchaseOrder.id.desc()).limit(1))
            if order is None:
                order = _new_order(store_id, supplier_id, actor_id=actor_id, urgent=True)
            else:
                _touch(order)
            orders[supplier_id] = order
        line = next((ln for ln in order.lines if ln.part_id == pending.part_id), None)
        if line is None:
            line = PurchaseOrderLine(part=pending.part, quantity=ZERO,
                                     unit_cost=_default_cost(pending.part, supplier_id))
            order.lines.append(line)
        line.quantity = Decimal(line.quantity) + Decimal(pending.quantity)
        _flush(order)
        pending.order_line_id, pending.status, pending.supplier_id = line.id, PendingStatus.REQUESTED, supplier_id
    _flush()
    _bump_pending(store_id)
    return list(orders.values())


def _bump_pending(store_id: int) -> None:
    from intranet.live.services import bump

    bump(store_id, "parts", "pending")


# ----------------------------------------------------------------------------- suggested orders

def suggest_orders(store_id: int, *, actor_id: int | None = None) -> list[PurchaseOrder]:
    """Tonight's suggested orders: per supplier one draft, for every active part with a reorder
    level whose projected stock — available (on hand − reserved) − shortages not yet requested +
    what is still outstanding on orders (open ones and the drafts kept) — is at or below its
    reorder point. It orders the reorder quantity, at least enough to get back above the point.

    Idempotent: the previous suggested drafts nobody has touched (version 1) are replaced; a draft
    the planner changed is kept and what it holds counts as on order. Set-based: a handful of
    statements whatever the size of the catalogue."""
    untouched = select(PurchaseOrder.id).where(
        PurchaseOrder.store_id == store_id, PurchaseOrder.suggested.is_(True),
        PurchaseOrder.status == OrderStatus.DRAFT, PurchaseOrder.version == 1)
    stale_lines = select(PurchaseOrderLine.id).where(PurchaseOrderLine.order_id.in_(untouched))
    db.session.execute(update(PendingPart).where(PendingPart.order_line_id.in_(stale_lines))
                       .values(order_line_id=None, status=PendingStatus.SHORTAGE)
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(SupplierQuote).where(SupplierQuote.order_line_id.in_(stale_lines))
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(PurchaseOrderLine).where(PurchaseOrderLine.order_id.in_(untouched))
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(PurchaseOrder).where(PurchaseOrder.id.in_(untouched))
                       .execution_options(synchronize_session=False))
    db.session.expire_all()

    covering = (OrderStatus.DRAFT, *OPEN_ORDERS)
    on_order = (select(PurchaseOrderLine.part_id,
                       func.sum(PurchaseOrderLine.quantity - PurchaseOrderLine.received_quantity).label("qty"))
                .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
                .where(PurchaseOrder.store_id == store_id, PurchaseOrder.status.in_([str(s) for s in covering]),
                       PurchaseOrderLine.quantity > PurchaseOrderLine.received_quantity)
                .group_by(PurchaseOrderLine.part_id).subquery())
    short = (select(PendingPart.part_id, func.sum(PendingPart.quantity).label("qty"))
             .where(PendingPart.store_id == store_id, PendingPart.status == PendingStatus.SHORTAGE)
             .group_by(PendingPart.part_id).subquery())
    projected = (Part.on_hand - Part.reserved - func.coalesce(short.c.qty, 0) + func.coalesce(on_order.c.qty, 0))
    rows = db.session.execute(
        select(Part.id, Part.supplier_id, Part.reorder_point, Part.reorder_quantity, projected.label("projected"),
               func.coalesce(PartSupplier.unit_cost, Part.cost).label("cost"))
        .outerjoin(on_order, on_order.c.part_id == Part.id)
        .outerjoin(short, short.c.part_id == Part.id)
        .outerjoin(PartSupplier, and_(PartSupplier.part_id == Part.id, PartSupplier.supplier_id == Part.supplier_id))
        .join(Supplier, and_(Supplier.id == Part.supplier_id, Supplier.active.is_(True)))
        .where(Part.store_id == store_id, Part.active.is_(True),
               or_(Part.reorder_point > 0, Part.reorder_quantity > 0), projected <= Part.reorder_point)
        .order_by(Part.supplier_id, Part.number)).all()

    by_supplier: dict[int, list[dict]] = {}
    for part_id, supplier_id, point, reorder_quantity, level, cost in rows:
        point, level = Decimal(point or 0), Decimal(level or 0)
        needed = (point - level).to_integral_value(rounding=ROUND_FLOOR) + 1  # strictly above the point
        quantity = max(Decimal(reorder_quantity or 0), needed)
        by_supplier.setdefault(supplier_id, []).append(
            {"part_id": part_id, "quantity": quantity, "unit_cost": money(cost or 0),
             "received_quantity": ZERO})
    orders = []
    for supplier_id, lines in by_supplier.items():
        order = _new_order(store_id, supplier_id, actor_id=actor_id, suggested=True)
        db.session.flush()
        db.session.execute(insert(PurchaseOrderLine), [{"order_id": order.id, **line} for line in lines])
        db.session.expire(order, ["lines"])
        orders.append(order)
    db.session.flush()
    return orders


@unit_of_work
def suggest_orders_job() -> int:
    """The nightly suggested orders of every store (declared in intranet/jobs/schedule.py). Returns
    the number of suggested orders now waiting."""
    return sum(len(suggest_orders(store_id)) for store_id in db.session.scalars(select(Store.id).order_by(Store.id)))


# ----------------------------------------------------------------------------- drafts

def create_order(*, store_id: int, actor_id: int | None, supplier_id, urgent: bool = False,
                 note: str | None = None) -> PurchaseOrder:
    """A purchase plan written by the planner, for one supplier."""
    if not str(supplier_id or "").strip().isdigit():
        raise DomainError(_l("Choose the supplier."), field="supplier_id")
    supplier = get_owned(Supplier, int(supplier_id), store_id, _l("No such supplier."))
    if not supplier.active:
        raise DomainError(_l("%(name)s is no longer an active supplier.", name=supplier.name), field="supplier_id")
    order = _new_order(store_id, supplier.id, actor_id=actor_id, urgent=bool(urgent), note=note)
    _flush(order)
    return order


def add_line(order_id: int, *, store_id: int, part_number: str | None, quantity, unit_cost=None,
             expected_version=None) -> PurchaseOrderLine:
    """Add a part to a draft by its number (or add to its quantity when it is already there)."""
    order = get_order(order_id, store_id)
    _expect(order, expected_version)
    _require_draft(order)
    part = _part(store_id, part_number)
    amount = _count(quantity, "quantity", required=True)
    line = next((ln for ln in order.lines if ln.part_id == part.id), None)
    if line is None:
        typed = str(unit_cost or "").strip()
        cost = _price(typed, "unit_cost") if typed else _default_cost(part, order.supplier_id)
        line = PurchaseOrderLine(part=part, quantity=amount, unit_cost=cost)
        order.lines.append(line)
    else:
        line.quantity = Decimal(line.quantity) + amount
        if str(unit_cost or "").strip():
            line.unit_cost = _price(unit_cost, "unit_cost")
    _touch(order)
    _flush(order)
    return line


def save_draft(order_id: int, *, store_id: int, lines: dict, urgent: bool, note: str | None,
               expected_version=None) -> PurchaseOrder:
    """The planner's edit of a draft: per line id {"quantity": …, "unit_cost": …}, urgent, note.
    A line's fields are named quantity-<id> and unit_cost-<id> in refusals."""
    order = get_order(order_id, store_id)
    _expect(order, expected_version)
    _require_draft(order)
    for line in order.lines:
        typed = lines.get(line.id) or lines.get(str(line.id))
        if typed is None:
            continue
        line.quantity = _count(typed.get("quantity"), f"quantity-{line.id}", required=True)
        line.unit_cost = _price(typed.get("unit_cost"), f"unit_cost-{line.id}")
    order.urgent = bool(urgent)
    order.note = _text(note, 200)
    _touch(order)
    _flush(order)
    return order


def remove_line(order_id: int, line_id: int, *, store_id: int, expected_version=None) -> PurchaseOrder:
    """Take a line off a draft; cars waiting for it go back on the shortage list."""
    order = get_order(order_id, store_id)
    _expect(order, expected_version)
    _require_draft(order)
    line = next((ln for ln in order.lines if ln.id == line_id), None)
    if line is None:
        raise DomainError(_l("That line is not on this order any more."))
    _back_to_shortage([line.id])
    order.lines.remove(line)
    _touch(order)
    _flush(order)
    _bump_pending(store_id)
    return order


# ----------------------------------------------------------------------------- quotes (A-class)

QUOTES_NEEDED = 3


def _line(line_id: int, store_id: int) -> PurchaseOrderLine:
    line = db.session.get(PurchaseOrderLine, line_id)
    if line is None or line.order.store_id != store_id:
        raise DomainError(_l("That line is not on this order any more."))
    return line


def add_quote(line_id: int, *, store_id: int, supplier_id, unit_cost, lead_days=None) -> SupplierQuote:
    """A supplier's price for an order line (a second quote of the same supplier replaces the first)."""
    line = _line(line_id, store_id)
    _require_draft(line.order)
    if not str(supplier_id or "").strip().isdigit():
        raise DomainError(_l("Choose the supplier."), field="supplier_id")
    supplier = get_owned(Supplier, int(supplier_id), store_id, _l("No such supplier."))
    cost = _price(unit_cost, "unit_cost")
    if cost <= 0:
        raise DomainError(_l("Enter the unit cost the supplier quoted."), field="unit_cost")
    days = None
    if str(lead_days or "").strip():
        if not str(lead_days).strip().isdigit() or int(lead_days) > 365:
            raise DomainError(_l("Enter the delivery time in whole days."), field="lead_days")
        days = int(lead_days)
    quote = next((q for q in line.quotes if q.supplier_id == supplier.id), None)
    if quote is None:
        quote = SupplierQuote(supplier_id=supplier.id, unit_cost=cost, lead_days=days)
        line.quotes.append(quote)
    else:
        quote.unit_cost, quote.lead_days = cost, days
    db.session.flush()
    db.session.expire(line, ["quotes"])
    return quote


def choose_quote(quote_id: int, *, store_id: int, expected_version=None) -> PurchaseOrderLine:
    """The line's unit cost becomes the chosen supplier's price."""
    quote = db.session.get(SupplierQuote, quote_id)
    line = db.session.get(PurchaseOrderLine, quote.order_line_id) if quote else None
    if line is None or line.order.store_id != store_id:
        raise DomainError(_l("That quote is gone."))
    _expect(line.order, expected_version)
    _require_draft(line.order)
    line.unit_cost = money(quote.unit_cost)
    _touch(line.order)
    _flush(line.order)
    return line


def cheapest(line: PurchaseOrderLine) -> SupplierQuote | None:
    return min(line.quotes, key=lambda q: (Decimal(q.unit_cost), q.id), default=None)


def needs_quotes(line: PurchaseOrderLine) -> bool:
    return line.part.abc_class == AbcClass.A and len(line.quotes) < QUOTES_NEEDED


# ----------------------------------------------------------------------------- approve, order, cancel

def approve(order_id: int, *, store_id: int, actor: User, expected_version=None) -> PurchaseOrder:
    """The parts manager approves the plan. Not its own author, and only someone of the parts store
    or the director; A-class parts need three suppliers' quotes first."""
    order = get_order(order_id, store_id)
    _expect(order, expected_version)
    if not actor.has_role(Role.PARTS, Role.DIRECTOR):
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


def cancel_order(order_id: int, *, store_id: int, actor_id: int | None, expected_version=None) -> PurchaseOrder:
    """Cancel an order nothing has arrived on; its cars go back on the shortage list."""
    order = get_order(order_id, store_id)
    _expect(order, expected_version)
    if db.session.scalar(select(func.count()).select_from(Receipt).where(Receipt.order_id == order.id)):
        raise IllegalTransition(_l("Goods have arrived on purchase order %(number)s: close it short instead of "
                                   "cancelling it.", number=order.number))
    _move(order, OrderStatus.CANCELLED, actor_id)
    _back_to_shortage([line.id for line in order.lines])
    order.note = _text(((order.note or "") + " " + _("Cancelled by %(who)s.", who=_name(actor_id))), 200)
    _flush(order)
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


def _name(user_id: int | None) -> str:
    user = db.session.get(User, user_id) if user_id else None
    return user.display_name if user else "—"


# ----------------------------------------------------------------------------- receiving

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
    from intranet.parts import services as parts_services

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
        parts_services.on_received(line.part_id, good, store_id=store_id, actor_id=actor_id)
    if booked:
        done = all(ln.outstanding <= 0 for ln in order.lines)
        target = OrderStatus.RECEIVED if done else OrderStatus.PARTLY_RECEIVED
        if order.status != target:
            _move(order, target, actor_id)
    _touch(order)
    _flush(order)
    return receipt


# ----------------------------------------------------------------------------- discrepancies (差损单)

def get_discrepancy(discrepancy_id: int, store_id: int) -> Discrepancy:
    return get_owned(Discrepancy, discrepancy_id, store_id, _l("No such discrepancy note."))


def discrepancy_list(store_id: int, *, closed_limit: int = 50) -> list[Discrepancy]:
    """Open claims first (oldest first: they have waited longest), then the latest settled ones.
    Each carries its `photos`."""
    base = (select(Discrepancy)
            .options(joinedload(Discrepancy.part),
                     joinedload(Discrepancy.receipt).joinedload(Receipt.order).joinedload(PurchaseOrder.supplier))
            .where(Discrepancy.store_id == store_id))
    rows = list(db.session.scalars(base.where(Discrepancy.status.in_([str(s) for s in OPEN_CLAIMS]))
                                   .order_by(Discrepancy.created_at, Discrepancy.id)))
    rows += list(db.session.scalars(base.where(Discrepancy.status.not_in([str(s) for s in OPEN_CLAIMS]))
                                    .order_by(Discrepancy.closed_at.desc(), Discrepancy.id.desc())
                                    .limit(closed_limit)))
    _attach_photos(rows)
    return rows


def _attach_photos(rows: list[Discrepancy]) -> None:
    photos: dict[int, list[Photo]] = {}
    if rows:
        for photo in db.session.scalars(select(Photo).where(Photo.discrepancy_id.in_([d.id for d in rows]))
                                        .order_by(Photo.id)):
            photos.setdefault(photo.discrepancy_id, []).append(photo)
    for row in rows:
        row.photos = photos.get(row.id, [])


def discrepancy_row(discrepancy_id: int, store_id: int) -> Discrepancy:
    row = get_discrepancy(discrepancy_id, store_id)
    _attach_photos([row])
    return row


def _claim_move(row: Discrepancy, to: ClaimStatus, actor_id: int | None, note: str | None = None) -> None:
    history.move(row, to, CLAIM_MOVES, subject="claim", actor_id=actor_id, note=note,
                 refusal=lambda current: _l("A discrepancy that is “%(current)s” cannot become “%(target)s”.",
                                            current=current.label, target=to.label))


def claim(discrepancy_id: int, *, store_id: int, actor_id: int | None, reference: str | None) -> Discrepancy:
    """The discrepancy is claimed from the supplier under its claim reference."""
    row = get_discrepancy(discrepancy_id, store_id)
    _claim_move(row, ClaimStatus.CLAIMED, actor_id, note=reference)
    reference = (reference or "").strip()
    if not reference:
        raise DomainError(_l("Enter the claim reference the supplier gave."), field="claim_reference")
    row.claim_reference = reference[:32]
    db.session.flush()
    return row


def settle(discrepancy_id: int, outcome: str, *, store_id: int, actor_id: int | None,
           note: str | None = None) -> Discrepancy:
    """The claim's end: credited, replaced, or rejected by the supplier — then the written report to
    the parts manager (the outcome note) is required and the manager who approved the order is told."""
    row = get_discrepancy(discrepancy_id, store_id)
    try:
        target = ClaimStatus(outcome)
    except ValueError:
        raise DomainError(_l("Choose how the claim ended."), field="outcome") from None
    if target not in CLAIM_OUTCOMES:
        raise DomainError(_l("Choose how the claim ended."), field="outcome")
    text = _text(note, 200)
    _claim_move(row, target, actor_id, note=text)
    if target == ClaimStatus.REJECTED and not text:
        raise DomainError(_l("The supplier rejected the claim: write the report to the parts manager (what "
                             "happened, who bears the loss)."), field="outcome_note")
    row.outcome_note = text
    row.closed_by_id, row.closed_at = actor_id, clock.utcnow()
    db.session.flush()
    if target == ClaimStatus.REJECTED:
        order = row.receipt.order
        notices.notify(store_id, [order.approved_by_id], "claim_rejected",
                       {"number": row.part.number, "part": row.part.name, "order": order.number,
                        "note": text}, link="/parts/purchasing/discrepancies")
    return row


def attach_photos(discrepancy_id: int, uploads, *, store_id: int, actor_id: int | None, folder) -> list[Photo]:
    """Photos of the damaged or wrong goods, taken on the tablet."""
    from intranet.core.photos import save_photo

    row = get_discrepancy(discrepancy_id, store_id)
    files = [u for u in uploads or [] if getattr(u, "filename", None)]
    if not files:
        raise DomainError(_l("Take or choose a photo first."), field="photos")
    return [save_photo(upload, store_id=store_id, taken_by_id=actor_id, folder=folder, discrepancy_id=row.id)
            for upload in files]


# ----------------------------------------------------------------------------- notices

def _notice_texts() -> None:
    notices.register("purchase_approved", lambda p: _("Purchase order %(number)s was approved by %(who)s: the buyer "
                                                      "can order it.", number=p.get("number"), who=p.get("who")))
    notices.register("discrepancy_raised", lambda p: _("Delivery %(note)s of purchase order %(number)s has "
                                                       "%(count)s discrepancy notes: claim them from the supplier.",
                                                       note=p.get("note"), number=p.get("number"),
                                                       count=p.get("count")))
    notices.register("claim_rejected", lambda p: _("The supplier rejected the claim for %(part)s (%(number)s) of "
                                                   "order %(order)s: %(note)s", part=p.get("part"),
                                                   number=p.get("number"), order=p.get("order"),
                                                   note=p.get("note")))


_notice_texts()


def lines_typed(form, keys) -> dict:
    """Per-line values typed in a form whose fields are named <key>-<line id>: {id: {key: value}}."""
    result: dict[int, dict] = {}
    for name, value in form.items():
        key, _sep, ident = name.rpartition("-")
        if key in keys and ident.isdigit():
            result.setdefault(int(ident), {})[key] = value
    return result
