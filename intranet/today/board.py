"""What the store board shows, read as plain rows: the columns it prints, in a fixed number of
queries whatever the number of cars (tests/test_board_speed_queries.py). Loading whole repair
orders, cars, customers and people — with each advisor's roles — cost more than the page itself."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from intranet import clock
from intranet.core.models import Customer, RepairOrder, Role, ROStatus, Store, User, UserRole, Vehicle
from intranet.extensions import db


@dataclass(frozen=True, slots=True)
class CarIn:
    plate: str
    model: str
    opened: str  # store-local HH:MM
    customer: str
    advisor: str
    status: ROStatus


@dataclass(frozen=True, slots=True)
class Online:
    display_name: str
    roles: str  # the role labels, joined


def cars_in(store: Store, day: date) -> list[CarIn]:
    """The repair orders opened on `day` (store time), newest first. One query."""
    start, end = clock.store_day_bounds_utc(day, store.timezone)
    rows = db.session.execute(
        select(RepairOrder.status, RepairOrder.opened_at, Vehicle.plate, Vehicle.model, Customer.name,
               User.display_name)
        .join(Vehicle, Vehicle.id == RepairOrder.vehicle_id)
        .outerjoin(Customer, Customer.id == RepairOrder.customer_id)
        .outerjoin(User, User.id == RepairOrder.advisor_id)
        .where(RepairOrder.store_id == store.id, RepairOrder.opened_at >= start, RepairOrder.opened_at < end)
        .order_by(RepairOrder.opened_at.desc(), RepairOrder.id.desc())
    ).all()
    return [CarIn(plate=plate, model=model, opened=_local_hm(opened, store.timezone), customer=customer or "",
                  advisor=advisor or "", status=ROStatus(status))
            for status, opened, plate, model, customer, advisor in rows]


def _local_hm(value: datetime, tz: str) -> str:
    local = clock.to_store_time(value, tz)
    return local.strftime("%H:%M") if local else "—"


def online(store_id: int, *, within: timedelta = timedelta(minutes=5)) -> list[Online]:
    """Who was active in the last minutes, by name, with their roles' labels. One query."""
    since = clock.utcnow() - within
    rows = db.session.execute(
        select(User.id, User.display_name, UserRole.role)
        .outerjoin(UserRole, UserRole.user_id == User.id)
        .where(User.store_id == store_id, User.active.is_(True), User.last_seen_at >= since)
        .order_by(User.display_name, User.id)
    ).all()
    people: dict[int, tuple[str, list[Role]]] = {}
    for user_id, name, role in rows:
        entry = people.setdefault(user_id, (name, []))
        if role in Role._value2member_map_:
            entry[1].append(Role(role))
    order = list(Role)
    return [Online(display_name=name, roles=" · ".join(str(r.label) for r in sorted(roles, key=order.index)))
            for name, roles in people.values()]
