"""The demo's working day: what the store's people do happens while the store is open. Work that
would run past the last working hour stops there and goes on the next morning; a promise is what an
advisor would say at the desk (the menu item's hours, plus the queue, the final inspection and the
wash; tomorrow morning when that is past closing); a booked visit is booked days before, by phone,
in opening hours, and opened from its appointment when the car arrives."""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from intranet import clock
from intranet.core.models import CannedJob, RepairOrder, Store
from intranet.core.services import record_odometer
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.reception.appointments import arrive, book, set_status
from intranet.reception.models import AppointmentStatus

START_LATE = timedelta(minutes=30)  # the first car of the morning goes on the lift half an hour after opening
LAST_WORK = timedelta(minutes=30)  # nobody starts or clocks in the last half hour: the day is closed then


def local(store: Store, at: datetime) -> datetime:
    return clock.to_store_time(at, store.timezone).replace(tzinfo=None)


def utc(store: Store, at_local: datetime) -> datetime:
    return clock.store_local_to_utc(at_local, store.timezone)


def day_end(store: Store, at: datetime, margin: timedelta = LAST_WORK) -> datetime:
    """The end of the working day `at` (UTC) is in: half an hour before closing for the work on a car;
    a short step (an inspection, the wash, handing back) goes on until `margin` before closing."""
    return utc(store, datetime.combine(local(store, at).date(), store.closes_at) - margin)


def morning(store: Store, day: date) -> datetime:
    return utc(store, datetime.combine(day, store.opens_at) + START_LATE)


def on_shift(store: Store, at: datetime, margin: timedelta = LAST_WORK) -> datetime:
    """`at` (UTC), or the next moment the store works: before opening → that morning; after the
    last working hour (`margin` before closing) → the next morning."""
    here = local(store, at)
    if here.time() < store.opens_at:
        return morning(store, here.date())
    if at > day_end(store, at, margin):
        return morning(store, here.date() + timedelta(days=1))
    return at


def promise_for(store: Store, arrived: datetime, hours: Decimal, *, days: int = 0) -> datetime:
    """What the advisor promises at the desk: the sold hours, two hours and a quarter for the queue, the
    final inspection and the wash, rounded up to the half hour; past closing, the next morning at ten
    (`days` later at four for a car that needs them, e.g. an accident car)."""
    ready = local(store, arrived) + timedelta(hours=float(hours) + 2.25)
    ready += timedelta(minutes=(30 - ready.minute % 30) % 30)
    ready = ready.replace(second=0, microsecond=0)
    last = datetime.combine(ready.date(), store.closes_at)
    if days or ready > last:
        ready = datetime.combine(local(store, arrived).date() + timedelta(days=max(days, 1)), time(10, 0)
                                 if not days else time(16, 0))
    return utc(store, ready)


def labour_hours(job: CannedJob) -> Decimal:
    return sum((Decimal(line.quantity) for line in job.lines if line.kind == "labour"), Decimal("0"))


def booked_visit(store: Store, rng: random.Random, *, vehicle_id: int, advisor_id: int, arrives: datetime,
                 job: CannedJob, odometer_km: int) -> RepairOrder | None:
    """A car that comes with an appointment: booked by phone one to six days before, in opening
    hours, for the slot it arrives in, and opened from the appointment (the menu item on it). None
    when the slot was full or the booking could not be made (the car then comes in as a walk-in)."""
    here = local(store, arrives)
    step = store.slot_minutes or 30
    slot = here.replace(minute=here.minute - here.minute % step, second=0, microsecond=0)
    called = datetime.combine(slot.date() - timedelta(days=rng.randrange(1, 7)),
                              time(rng.randrange(9, 17), rng.randrange(0, 60)))
    try:
        with db.session.begin_nested(), clock.frozen(utc(store, called)):
            appointment = book(store_id=store.id, actor_id=advisor_id, advisor_id=advisor_id, starts_local=slot,
                               vehicle_id=vehicle_id, work_wanted="", canned_job_id=job.id)
    except DomainError:
        return None
    with clock.frozen(max(arrives, utc(store, slot))):
        ro = arrive(appointment.id, store_id=store.id, actor_id=advisor_id)
        vehicle = ro.vehicle
        record_odometer(vehicle, odometer_km)
        ro.odometer_km = odometer_km
    return ro


def no_show(store: Store, rng: random.Random, *, vehicle_id: int, advisor_id: int, day: date, job: CannedJob) -> None:
    """A booking whose customer did not come: marked a no-show two hours after its slot."""
    slot = datetime.combine(day, time(rng.randrange(9, 16), rng.choice((0, 30))))
    called = datetime.combine(day - timedelta(days=rng.randrange(1, 7)), time(rng.randrange(9, 17), rng.randrange(60)))
    try:
        with db.session.begin_nested(), clock.frozen(utc(store, called)):
            appointment = book(store_id=store.id, actor_id=advisor_id, advisor_id=advisor_id, starts_local=slot,
                               vehicle_id=vehicle_id, work_wanted="", canned_job_id=job.id)
    except DomainError:
        return
    with clock.frozen(utc(store, slot + timedelta(hours=2))):
        set_status(appointment.id, AppointmentStatus.NO_SHOW, store_id=store.id)
