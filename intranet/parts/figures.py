"""The parts figures, each with the formula it is computed by (shown next to it on the page)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, func, select

from intranet import clock
from intranet.core.models import Store
from intranet.extensions import db
from intranet.parts.models import (
    CountLine, CountStatus, MovementKind, OrderStatus, Part, PurchaseOrder, PurchaseOrderLine, StockCount,
    StockMovement,
)
from intranet.workshop.models import PartsRequest, PartsRequestStatus

SLOW_DAYS = 90
DEAD_DAYS = 365


@dataclass
class PartsFigures:
    requests: int
    served_at_once: int
    issue_cost: Decimal
    stock_value_start: Decimal
    stock_value_end: Decimal
    days: int
    slow_parts: int
    slow_value: Decimal
    dead_parts: int
    dead_value: Decimal
    orders: int
    urgent_orders: int
    urgent_value: Decimal
    count_surplus: Decimal
    count_loss: Decimal

    @property
    def fill_rate(self) -> float | None:
        return self.served_at_once / self.requests if self.requests else None

    @property
    def average_stock(self) -> Decimal:
        return (self.stock_value_start + self.stock_value_end) / 2

    @property
    def turnover(self) -> float | None:
        """Times a year: the period's issue cost scaled to a year, over the average stock value."""
        if not self.average_stock or not self.days:
            return None
        return float(self.issue_cost) * 365 / self.days / float(self.average_stock)

    @property
    def emergency_share(self) -> float | None:
        return self.urgent_orders / self.orders if self.orders else None

    @property
    def count_variance(self) -> Decimal:
        return self.count_surplus + self.count_loss


def _utc(store: Store, day: date) -> datetime:
    return clock.store_day_bounds_utc(day, store.timezone)[0]


def figures(store: Store, start: date, end: date) -> PartsFigures:
    since, until = _utc(store, start), _utc(store, end + timedelta(days=1))
    sid = store.id

    asked = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case((PartsRequest.from_stock.is_(True), 1), else_=0)), 0))
        .where(PartsRequest.store_id == sid, PartsRequest.requested_at >= since, PartsRequest.requested_at < until,
               PartsRequest.status != PartsRequestStatus.CANCELLED)).one()

    issued = db.session.scalar(
        select(func.coalesce(func.sum(-StockMovement.quantity * StockMovement.unit_cost), 0))
        .where(StockMovement.store_id == sid, StockMovement.at >= since, StockMovement.at < until,
               StockMovement.kind.in_([MovementKind.ISSUE, MovementKind.RETURN])))

    value_now = db.session.scalar(select(func.coalesce(func.sum(Part.on_hand * Part.cost), 0))
                                  .where(Part.store_id == sid))

    # the stock's value at the start and at the end: today's, less what moved in since (one query)
    moved = StockMovement.quantity * Part.cost
    since_start, since_end = db.session.execute(
        select(func.coalesce(func.sum(moved), 0),
               func.coalesce(func.sum(case((StockMovement.at >= until, moved), else_=0)), 0))
        .join(Part, Part.id == StockMovement.part_id)
        .where(StockMovement.store_id == sid, StockMovement.at >= since)).one()

    slow, dead = _idle(sid, until - timedelta(days=SLOW_DAYS), until - timedelta(days=DEAD_DAYS))

    orders = db.session.execute(
        select(func.count(func.distinct(PurchaseOrder.id)),
               func.count(func.distinct(case((PurchaseOrder.urgent.is_(True), PurchaseOrder.id)))),
               func.coalesce(func.sum(case((PurchaseOrder.urgent.is_(True),
                                             PurchaseOrderLine.quantity * PurchaseOrderLine.unit_cost), else_=0)), 0))
        .outerjoin(PurchaseOrderLine, PurchaseOrderLine.order_id == PurchaseOrder.id)
        .where(PurchaseOrder.store_id == sid, PurchaseOrder.ordered_at >= since, PurchaseOrder.ordered_at < until,
               PurchaseOrder.status != OrderStatus.CANCELLED)).one()

    counted = func.coalesce(CountLine.second_quantity, CountLine.first_quantity)
    book = case((CountLine.second_quantity.is_not(None), CountLine.second_book), else_=CountLine.first_book)
    variance = (counted - book) * Part.cost
    surplus, loss = db.session.execute(
        select(func.coalesce(func.sum(case((variance > 0, variance), else_=0)), 0),
               func.coalesce(func.sum(case((variance < 0, -variance), else_=0)), 0))
        .select_from(CountLine).join(StockCount, StockCount.id == CountLine.count_id)
        .join(Part, Part.id == CountLine.part_id)
        .where(StockCount.store_id == sid, StockCount.status == CountStatus.APPROVED,
               StockCount.approved_at >= since, StockCount.approved_at < until, counted.is_not(None))).one()

    return PartsFigures(
        requests=asked[0], served_at_once=int(asked[1]), issue_cost=Decimal(issued),
        stock_value_start=Decimal(value_now) - Decimal(since_start),
        stock_value_end=Decimal(value_now) - Decimal(since_end), days=(end - start).days + 1,
        slow_parts=slow[0], slow_value=Decimal(slow[1]), dead_parts=dead[0], dead_value=Decimal(dead[1]),
        orders=orders[0], urgent_orders=orders[1], urgent_value=Decimal(orders[2]),
        count_surplus=Decimal(surplus), count_loss=Decimal(loss))


def _idle(store_id: int, slow_cutoff: datetime, dead_cutoff: datetime) -> tuple[tuple[int, Decimal], ...]:
    """Parts with stock that have not been issued since a cutoff and were already held then: (count,
    value) for the slow-moving cutoff and for the dead-stock one, in one query."""
    last_issue = (select(StockMovement.part_id, func.max(StockMovement.at).label("at"))
                  .where(StockMovement.store_id == store_id, StockMovement.kind == MovementKind.ISSUE)
                  .group_by(StockMovement.part_id).subquery())
    first_in = (select(StockMovement.part_id, func.min(StockMovement.at).label("at"))
                .where(StockMovement.store_id == store_id).group_by(StockMovement.part_id).subquery())
    value = Part.on_hand * Part.cost

    def idle_since(cutoff: datetime):
        return and_(first_in.c.at < cutoff, last_issue.c.at.is_(None) | (last_issue.c.at < cutoff))

    slow, dead = idle_since(slow_cutoff), idle_since(dead_cutoff)
    row = db.session.execute(
        select(func.coalesce(func.sum(case((slow, 1), else_=0)), 0),
               func.coalesce(func.sum(case((slow, value), else_=0)), 0),
               func.coalesce(func.sum(case((dead, 1), else_=0)), 0),
               func.coalesce(func.sum(case((dead, value), else_=0)), 0))
        .select_from(Part).join(first_in, first_in.c.part_id == Part.id)
        .outerjoin(last_issue, last_issue.c.part_id == Part.id)
        .where(Part.store_id == store_id, Part.on_hand > 0)).one()
    return (int(row[0]), row[1]), (int(row[2]), row[3])
