"""Draft purchase orders: the planner writes one for a supplier, adds, edits and removes lines."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from intranet.core.services import get_owned
from intranet.errors import DomainError
from intranet.parts.models import PurchaseOrder, PurchaseOrderLine, Supplier
from intranet.parts.purchasing.entry import _count, _price, _text
from intranet.parts.purchasing.orders import (
    _back_to_shortage, _bump_pending, _default_cost, _expect, _flush, _new_order, _part, _require_draft, _touch,
    get_order,
)


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
