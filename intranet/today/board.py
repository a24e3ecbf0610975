"""What the store board shows, read as plain rows: the columns it prints, in a fixed number of
queries whatever the number of cars (tests/test_board_speed_queries.py). Loading whole repair
orders, cars, customers and people — with each advisor's roles — cost more than the page itself."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, select

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


def _statements():
    """The board's two reads, built once (plain rows, no ORM objects)."""
    ro, vehicle, customer, user, role = (RepairOrder.__table__, Vehicle.__table__, Customer.__table__,
                                         User.__table__, UserRole.__table__)
    cars = (select(ro.c.status, ro.c.opened_at, vehicle.c.plate, vehicle.c.model, customer.c.name, user.c.display_name)
            .join(vehicle, vehicle.c.id == ro.c.vehicle_id)
            .outerjoin(customer, customer.c.id == ro.c.customer_id)
            .outerjoin(user, user.c.id == ro.c.advisor_id)
            .where(ro.c.store_id == bindparam("store_id"), ro.c.opened_at >= bindparam("start"),
                   ro.c.opened_at < bindparam("end"))
            .order_by(ro.c.opened_at.desc(), ro.c.id.desc()))
    online = (select(user.c.id, user.c.display_name, role.c.role)
              .outerjoin(role, role.c.user_id == user.c.id)
              .where(user.c.store_id == bindparam("store_id"), user.c.active.is_(True),
                     user.c.last_seen_at >= bindparam("since"))
              .order_by(user.c.display_name, user.c.id))
    return cars, online


_CARS, _ONLINE = _statements()


def cars_in(store: Store, day: date) -> list[CarIn]:
    """The repair orders opened on `day` (store time), newest first. One query."""
    start, end = clock.store_day_bounds_utc(day, store.timezone)
    rows = db.session.execute(_CARS, {"store_id": store.id, "start": start, "end": end}).all()
    return [CarIn(plate=plate, model=model, opened=_local_hm(opened, store.timezone), customer=customer or "",
                  advisor=advisor or "", status=ROStatus(status))
            for status, opened, plate, model, customer, advisor in rows]


def _local_hm(value: datetime, tz: str) -> str:
    local = clock.to_store_time(value, tz)
    return local.strftime("%H:%M") if local else "—"


def online(store_id: int, *, within: timedelta = timedelta(minutes=5)) -> list[Online]:
    """Who was active in the last minutes, by name, with their roles' labels. One query."""
    since = clock.utcnow() - within
    rows = db.session.execute(_ONLINE, {"store_id": store_id, "since": since}).all()
    people: dict[int, tuple[str, list[Role]]] = {}
    for user_id, name, role in rows:
        entry = people.setdefault(user_id, (name, []))
        if role in Role._value2member_map_:
            entry[1].append(Role(role))
    order = list(Role)
    return [Online(display_name=name, roles=" · ".join(str(r.label) for r in sorted(roles, key=order.index)))
            for name, roles in people.values()]
