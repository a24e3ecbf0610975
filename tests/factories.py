"""Test data builders, shared by every test file.

Plain functions that make valid rows the way production makes them — through the application's own
services (`core.services.create_user`, `create_customer`, `create_vehicle`; reception's `check_in`,
`add_line` and `settlement.deliver`; the repair-order transitions) — with sensible defaults,
keyword overrides and a unique plate, mobile and user name on each call. The one exception is
`repair_order()`: a repair order of the past, written as a row with the times it is given (no
service backdates a visit), for the figures that are worked out on fixed data.

Each builder flushes; those marked so also commit (`commit=False` leaves that to the caller).
The fixtures in tests/conftest.py (`make_user`, `make_customer`, `make_vehicle`, `people`, …) bind
them to the test's store.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable
from contextlib import nullcontext
from datetime import datetime
from decimal import Decimal

from intranet import clock
from intranet.core import services
from intranet.core.models import RepairOrder, RepairOrderLine, Role, ROStatus, Store, Vehicle
from intranet.core.services import transition_repair_order
from intranet.extensions import db
from intranet.reception import services as reception
from intranet.reception import settlement
from intranet.workshop.models import Technician

PASSWORD = "password123"
CHECKLIST = {"work_explained": True, "old_parts": "shown", "car_clean": True, "keys_returned": True}

# One counter for every builder: user names, mobiles, plates and numbers never repeat in a run.
_seq = itertools.count(1)


def unique() -> int:
    return next(_seq)


# ------------------------------------------------------------------ store and people

def store(code: str = "TS01", name: str = "测试4S店", timezone: str = "Asia/Shanghai", **fields) -> Store:
    """The store with this code, made if it is not there yet."""
    found = db.session.scalar(db.select(Store).where(Store.code == code))
    if found is None:
        found = Store(code=code, name=name, timezone=timezone, **fields)
        db.session.add(found)
        db.session.commit()
    return found


def user(store: Store, *roles: Role, username: str | None = None, display_name: str | None = None,
         password: str = PASSWORD, active: bool = True):
    """A person of the store holding `roles` (an advisor when none is given); commits."""
    name = username or f"user{unique()}"
    made = services.create_user(store_id=store.id, username=name, display_name=display_name or name,
                                password=password, roles=list(roles) or [Role.ADVISOR])
    made.active = active
    db.session.commit()
    return made


# The people the tests meet most, by user name: their role and the name the screens show.
CAST: dict[str, tuple[Role, str]] = {
    "sun": (Role.ADVISOR, "孙丽华"),
    "li": (Role.ADVISOR, "李明"),
    "zhao": (Role.DIRECTOR, "赵总"),
    "qian": (Role.MANAGER, "钱经理"),
    "wu": (Role.CONTROLLER, "吴建国"),
    "zhu": (Role.CARE, "朱晓燕"),
    "zhou": (Role.CARE, "周婷"),
    "wang": (Role.TECHNICIAN, "王磊"),
    "zheng": (Role.TECHNICIAN, "郑海涛"),
    "liu": (Role.TECHNICIAN, "刘师傅"),
    "yang": (Role.ACCIDENT, "杨帆"),
}


def person(store: Store, spec):
    """One person from a spec: a CAST user name ("sun"); a role, or a tuple of roles, for someone
    with a made-up user name; or (role or roles, username[, display_name]) spelled out — the
    display name is the user name when left out."""
    if isinstance(spec, Role):
        return user(store, spec)
    if isinstance(spec, str):
        role, display_name = CAST[spec]
        return user(store, role, username=spec, display_name=display_name)
    spec = tuple(spec)
    if all(isinstance(item, Role) for item in spec):
        return user(store, *spec)
    roles, username, *display_name = spec
    roles = (roles,) if isinstance(roles, Role) else tuple(roles)
    return user(store, *roles, username=username, display_name=display_name[0] if display_name else None)


def people(store: Store, **specs) -> dict:
    """Users by the key the test calls them, made in the order given: `people(store, advisor="sun",
    keeper=(Role.PARTS, "keeper"), buyer=(Role.PARTS, None, "采购员"))` (see `person` for the specs)."""
    return {key: person(store, spec) for key, spec in specs.items()}


def technician(store: Store, who, team: str = "mechanical", **fields) -> Technician:
    """Put `who` (a technician) in a workshop team; flushes."""
    row = Technician(user_id=who.id, store_id=store.id, team=team, **fields)
    db.session.add(row)
    db.session.flush()
    return row


# ------------------------------------------------------------------ customers and their cars

def customer(store: Store, name: str = "张伟", mobile: str | None = None, **fields):
    """A customer with a unique mobile; commits."""
    made = services.create_customer(store_id=store.id, name=name, mobile=mobile or f"139{unique():08d}",
                                    **fields)
    db.session.commit()
    return made


def vehicle(store: Store, plate: str | None = None, owner=None, model: str = "迈腾 330TSI", **fields) -> Vehicle:
    """A car with a unique Shanghai plate, of `owner` (a new customer when not given); commits."""
    owner = owner or customer(store)
    n = unique()
    made = services.create_vehicle(store_id=store.id, customer_id=owner.id, plate=plate or f"沪A{n:05d}",
                                   model=model, **fields)
    db.session.commit()
    return made


def car_with_plate(store: Store, plate: str) -> Vehicle:
    """The store's car with this plate, made (with its owner) the first time it is asked for."""
    found = db.session.scalar(db.select(Vehicle).where(Vehicle.store_id == store.id, Vehicle.plate == plate))
    return found or vehicle(store, plate=plate)


# ------------------------------------------------------------------ repair orders, as reception makes them

def labour(description: str = "常规保养", hours="1", **fields) -> dict:
    """A labour line for `checked_in(lines=…)` (at the store rate unless `unit_price` is given)."""
    return {"kind": "labour", "description": description, "quantity": hours, **fields}


def part(description: str = "机油滤清器", quantity="1", unit_price="68", **fields) -> dict:
    """A part line for `checked_in(lines=…)`."""
    return {"kind": "part", "description": description, "quantity": quantity, "unit_price": unit_price, **fields}


# The way a car goes through the workshop to the customer's hands.
ROUTE = (ROStatus.IN_WORKSHOP, ROStatus.QUALITY_CHECK, ROStatus.READY, ROStatus.DELIVERED)


def advance(ro: RepairOrder, to: ROStatus, *, actor, start: ROStatus | None = None) -> RepairOrder:
    """Move `ro` along ROUTE through the transitions, step by step, up to `to` (from the step after
    `start`, or from its present status)."""
    start = start or ro.status_enum
    steps = ROUTE[ROUTE.index(start) + 1 if start in ROUTE else 0:ROUTE.index(to) + 1]
    for status in steps:
        transition_repair_order(ro.id, status, actor_id=actor.id)
    return ro


def checked_in(store: Store, advisor, car: Vehicle | None = None, *, plate: str | None = None,
               lines: Iterable[dict] = (), to: ROStatus | None = None, promised_at: datetime | None = None,
               at: datetime | None = None, commit: bool = True, **fields) -> RepairOrder:
    """A car checked in by `advisor` through reception (`fields`: odometer_km, complaint, …), its
    `lines` added through reception (labour lines make the workshop's jobs), promised for
    `promised_at`, and moved on along ROUTE up to `to` (delivery by the transition; `deliver()`
    hands it over through settlement). With `at`, all of it happens at that moment."""
    with clock.frozen(at) if at else nullcontext():
        car = car or (car_with_plate(store, plate) if plate else vehicle(store))
        ro = reception.check_in(store_id=store.id, vehicle_id=car.id, actor_id=advisor.id, **fields)
        if promised_at is not None:
            ro.promised_at = promised_at
        for line in lines:
            reception.add_line(ro.id, store_id=store.id, actor_id=advisor.id, **line)
        if to is not None and to != ROStatus.CHECKED_IN:
            advance(ro, to, actor=advisor)
        if commit:
            db.session.commit()
    return ro


def deliver(ro: RepairOrder, actor, *, at: datetime | None = None, commit: bool = True, **checklist):
    """Hand a ready car back through settlement, with the whole checklist unless told otherwise."""
    with clock.frozen(at) if at else nullcontext():
        delivery = settlement.deliver(ro.id, store_id=ro.store_id, actor_id=actor.id, **{**CHECKLIST, **checklist})
        if commit:
            db.session.commit()
    return delivery


# ------------------------------------------------------------------ repair orders of the past, on fixed data

def line(kind: str, quantity, unit_price, team: str | None = None, pay_type: str | None = None, *,
         description: str | None = None, **fields) -> RepairOrderLine:
    """A line of a repair order of the past: ("labour", "2", "150", "mechanical", "customer")."""
    extra = {"pay_type": pay_type} if pay_type is not None else {}
    return RepairOrderLine(kind=kind, description=description or kind, quantity=Decimal(str(quantity)),
                           unit_price=Decimal(str(unit_price)), team=team, **extra, **fields)


def repair_order(store: Store, advisor, *, opened: datetime, car: Vehicle | None = None,
                 plate: str | None = None, promised: datetime | None = None, delivered: datetime | None = None,
                 status: ROStatus | str | None = None, lines: Iterable = (), number: str | None = None,
                 comeback_of: RepairOrder | None = None, commit: bool = True, **fields) -> RepairOrder:
    """A repair order as it stands after the fact: opened, promised and delivered at the times given,
    delivered if it has a delivery time (in the workshop otherwise) unless `status` says, with
    `lines` as `line()` tuples or rows. The car is `car`, the one with `plate` (made the first
    time), or a new one."""
    car = car or (car_with_plate(store, plate) if plate else vehicle(store))
    made = RepairOrder(store_id=store.id, number=number or f"{store.code}-H{unique():06d}", vehicle_id=car.id,
                       customer_id=car.customer_id, advisor_id=advisor.id,
                       status=status or (ROStatus.DELIVERED if delivered else ROStatus.IN_WORKSHOP),
                       opened_at=opened, promised_at=promised, delivered_at=delivered,
                       comeback_of_id=comeback_of.id if comeback_of else None, **fields)
    made.lines = [item if isinstance(item, RepairOrderLine) else line(*item) for item in lines]
    db.session.add(made)
    db.session.flush()
    if commit:
        db.session.commit()
    return made
