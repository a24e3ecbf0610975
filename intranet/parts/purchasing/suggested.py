"""The nightly suggested orders: one draft per supplier for the parts at or below their reorder
point (the job is intranet.parts.jobs.suggested_orders_job)."""
from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import and_, delete, func, insert, or_, select, update

from intranet.core.billing import money
from intranet.extensions import db
from intranet.parts.models import (
    ZERO, OrderStatus, Part, PartSupplier, PendingPart, PendingStatus, PurchaseOrder, PurchaseOrderLine, Supplier,
    SupplierQuote,
)
from intranet.parts.purchasing.orders import OPEN_ORDERS, _new_order


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
