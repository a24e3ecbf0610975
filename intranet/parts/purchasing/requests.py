"""Urgent purchase requests: shortages (cars waiting) put on a draft order of each part's supplier."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from intranet.errors import DomainError, IllegalTransition
from intranet.extensions import db
from intranet.parts.models import ZERO, OrderStatus, PendingPart, PendingStatus, PurchaseOrder, PurchaseOrderLine
from intranet.parts.purchasing.orders import _bump_pending, _default_cost, _flush, _new_order, _touch


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
