"""Appointments: slots from opening hours, capacity per advisor and per workshop day, booking,
arrival (one tap to a repair order), no-shows and the show rate."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.core.models import CannedJob, Customer, RepairOrder, Role, Store, User, Vehicle
from intranet.core.services import claim, create_customer, create_vehicle, get_owned, get_store
from intranet.core.identifiers import normalize_mobile, validate_plate
from intranet.errors import Conflict, DomainError, NotFound
from intranet.extensions import db
from intranet.live.services import bump
from intranet.reception import hooks
from intranet.reception.models import Appointment, AppointmentStatus
from intranet.reception.pre_pick import TypedLine, add_lines, parse_lines
from intranet.reception.services import apply_canned_job, check_in

ACTIVE = (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED)


class SlotFull(Conflict):
    """The slot is taken; `free` are the next free slots (store-local datetimes) to offer instead."""

    def __init__(self, message, free: list[datetime]):
        super().__init__(message, field="slot")
        self.free = free


def _local_now(store: Store) -> datetime:
    return clock.to_store_time(clock.utcnow(), store.timezone).replace(tzinfo=None)


def slots_of_day(store: Store, day: date) -> list[datetime]:
    """Store-local slot starts from opening time to the last slot that ends by closing time."""
    step = timedelta(minutes=store.slot_minutes)
    start, end = datetime.combine(day, store.opens_at), datetime.combine(day, store.closes_at)
    slots = []
    while start + step <= end:
        slots.append(start)
        start += step
    return slots


def _booked(store: Store, day: date) -> list[Appointment]:
    start, end = clock.store_day_bounds_utc(day, store.timezone)
    return list(db.session.scalars(select(Appointment).where(
        Appointment.store_id == store.id, Appointment.starts_at >= start, Appointment.starts_at < end,
        Appointment.status.in_([str(s) for s in ACTIVE]))))


def free_slots(store: Store, day: date, advisor_id: int, *, hours: Decimal = Decimal("1"), limit: int = 40,
               days_ahead: int = 0) -> list[datetime]:
    """Slots (store-local) where `advisor_id` can still take a car and the workshop still has
    `hours` to sell that day, from now on."""
    now = _local_now(store)
    found: list[datetime] = []
    for offset in range(days_ahead + 1):
        current = day + timedelta(days=offset)
        booked = _booked(store, current)
        sold = sum((a.estimated_hours for a in booked), Decimal("0"))
        if sold + hours > store.workshop_hours_per_day:
            continue
        per_slot: dict[datetime, int] = {}
        for a in booked:
            if a.advisor_id == advisor_id:
                local = clock.to_store_time(a.starts_at, store.timezone).replace(tzinfo=None)
                per_slot[local] = per_slot.get(local, 0) + 1
        for slot in slots_of_day(store, current):
            if slot > now and per_slot.get(slot, 0) < store.advisor_slot_capacity:
                found.append(slot)
                if len(found) >= limit:
                    return found
    return found


def _hours(value) -> Decimal:
    try:
        hours = Decimal(str(value or "1"))
    except InvalidOperation:
        raise DomainError(_l("Enter a number."), field="estimated_hours") from None
    if hours <= 0 or hours > 40:
        raise DomainError(_l("Estimated hours must be between 0 and 40."), field="estimated_hours")
    return hours


def find_or_create_car(*, store_id: int, plate: str, name: str | None = None, mobile: str | None = None,
                       model: str | None = None) -> Vehicle:
    """The car on the phone: found by its plate, or added with its owner (found by mobile, or new)."""
    plate = validate_plate(plate)
    vehicle = db.session.scalar(select(Vehicle).where(Vehicle.store_id == store_id, Vehicle.plate == plate))
    if vehicle is not None:
        return vehicle
    if not (model or "").strip():
        raise DomainError(_l("%(plate)s is a new car: enter its model.", plate=plate), field="model")
    customer = None
    if mobile:
        customer = db.session.scalar(select(Customer).where(Customer.store_id == store_id,
                                                            Customer.mobile == normalize_mobile(mobile)))
    if customer is None:
        if not (name or "").strip() or not mobile:
            raise DomainError(_l("%(plate)s is a new car: enter the customer's name and mobile.", plate=plate),
                              field="name")
        customer = create_customer(store_id=store_id, name=name, mobile=mobile)
    return create_vehicle(store_id=store_id, customer_id=customer.id, plate=plate, model=model)


def book(*, store_id: int, actor_id: int, advisor_id: int, starts_local: datetime, vehicle_id: int,
         work_wanted: str, estimated_hours=None, canned_job_id: int | None = None, parts_wanted: str | None = None,
         note: str | None = None, pre_pick: list[TypedLine] | None = None) -> Appointment:
    """Book a slot. `pre_pick` are the catalogue parts to prepare: the parts store holds what is free
    of them, and what it could not hold stays on the line as a shortage (`Appointment.short_lines`);
    the booking is saved either way."""
    store = get_store(store_id)
    lines = parse_lines(pre_pick or [])
    # Two bookings at the same moment for this advisor or this car: the second waits for the first and
    # then reads it (the car already booked that day, the advisor's slot full), never books over it.
    claim(User, advisor_id)
    claim(Vehicle, vehicle_id)
    advisor = db.session.get(User, advisor_id)
    if advisor is None or advisor.store_id != store_id or not advisor.active or not advisor.has_role(Role.ADVISOR):
        raise DomainError(_l("Choose an active service advisor."), field="advisor_id")
    vehicle = db.session.get(Vehicle, vehicle_id)
    if vehicle is None or vehicle.store_id != store_id or vehicle.customer_id is None:
        raise NotFound(_l("No such car, or it has no owner on file."))
    work_wanted = (work_wanted or "").strip()
    canned = db.session.get(CannedJob, canned_job_id) if canned_job_id else None
    if canned is not None and canned.store_id != store_id:
        canned = None
    if not work_wanted and canned is None:
        raise DomainError(_l("Say what work the customer wants."), field="work_wanted")
    hours = _hours(estimated_hours or (sum((ln.quantity for ln in canned.lines if ln.kind == "labour"),
                                            Decimal("0")) if canned else None) or "1")
    if starts_local <= _local_now(store):
        raise DomainError(_l("That time has passed. Choose a later slot."), field="slot")
    if starts_local not in slots_of_day(store, starts_local.date()):
        raise DomainError(_l("%(time)s is not a slot within opening hours (%(opens)s–%(closes)s).",
                             time=starts_local.strftime("%H:%M"), opens=store.opens_at.strftime("%H:%M"),
                             closes=store.closes_at.strftime("%H:%M")), field="slot")
    start, end = clock.store_day_bounds_utc(starts_local.date(), store.timezone)
    twice = db.session.scalar(select(Appointment.id).where(
        Appointment.vehicle_id == vehicle_id, Appointment.starts_at >= start, Appointment.starts_at < end,
        Appointment.status == AppointmentStatus.BOOKED))
    if twice:
        raise Conflict(_l("%(plate)s is already booked that day.", plate=vehicle.plate), field="slot")
    if starts_local not in free_slots(store, starts_local.date(), advisor_id, hours=hours, limit=1000):
        nearby = free_slots(store, starts_local.date(), advisor_id, hours=hours, limit=60, days_ahead=7)
        free = ([s for s in nearby if s > starts_local] + [s for s in nearby if s < starts_local])[:6]
        raise SlotFull(_l("%(time)s with %(advisor)s is full: choose one of the free times below.",
                          time=starts_local.strftime("%m-%d %H:%M"), advisor=advisor.display_name), free)
    appointment = Appointment(
        store_id=store_id, customer_id=vehicle.customer_id, vehicle_id=vehicle_id, advisor_id=advisor_id,
        starts_at=clock.store_local_to_utc(starts_local, store.timezone),
        work_wanted=work_wanted or canned.name, canned_job_id=canned.id if canned else None, estimated_hours=hours,
        parts_wanted=(parts_wanted or "").strip() or None, booked_by_id=actor_id, booked_at=clock.utcnow(),
        note=(note or "").strip() or None)
    db.session.add(appointment)
    db.session.flush()
    add_lines(appointment, lines, actor_id=actor_id)
    bump(store_id, "today")
    return appointment


def _appointment(appointment_id: int, store_id: int) -> Appointment:
    return get_owned(Appointment, appointment_id, store_id, _l("No such appointment."))


def arrive(appointment_id: int, *, store_id: int, actor_id: int):
    """The booked customer is here: one tap opens the repair order with the work wanted (and the
    menu item booked). A second tap returns the same repair order."""
    appointment = _appointment(appointment_id, store_id)
    if appointment.status_enum == AppointmentStatus.ARRIVED and appointment.repair_order_id:
        return db.session.get(RepairOrder, appointment.repair_order_id)
    if appointment.status_enum != AppointmentStatus.BOOKED:
        raise Conflict(_l("This appointment is %(status)s.", status=appointment.status_enum.label))
    ro = check_in(store_id=store_id, vehicle_id=appointment.vehicle_id, actor_id=actor_id,
                  complaint=appointment.work_wanted)
    ro.advisor_id = appointment.advisor_id
    # the pre-picked parts move to the repair order before the menu's part lines, which then hold only
    # what is missing
    hooks.appointment_arrived.send(appointment_id=appointment.id, repair_order_id=ro.id)
    if appointment.canned_job_id:
        apply_canned_job(ro.id, appointment.canned_job_id, store_id=store_id, actor_id=actor_id)
    appointment.status, appointment.repair_order_id = AppointmentStatus.ARRIVED, ro.id
    db.session.flush()
    return ro


def set_status(appointment_id: int, status: AppointmentStatus, *, store_id: int) -> Appointment:
    appointment = _appointment(appointment_id, store_id)
    if appointment.status_enum != AppointmentStatus.BOOKED:
        raise Conflict(_l("This appointment is %(status)s.", status=appointment.status_enum.label))
    appointment.status = status
    hooks.appointment_dropped.send(appointment_id=appointment.id)
    db.session.flush()
    bump(store_id, "today")
    return appointment


def mark_no_shows(store_id: int, *, grace: timedelta = timedelta(hours=2)) -> int:
    """Booked appointments whose slot passed more than `grace` ago become no-shows. Idempotent."""
    overdue = db.session.scalars(select(Appointment).where(
        Appointment.store_id == store_id, Appointment.status == AppointmentStatus.BOOKED,
        Appointment.starts_at < clock.utcnow() - grace)).all()
    for appointment in overdue:
        appointment.status = AppointmentStatus.NO_SHOW
        hooks.appointment_dropped.send(appointment_id=appointment.id)
    db.session.flush()
    return len(overdue)


def appointments_between(store_id: int, start_local: datetime, end_local: datetime, tz: str,
                         advisor_id: int | None = None) -> list[Appointment]:
    stmt = (select(Appointment)
            .options(joinedload(Appointment.customer), joinedload(Appointment.vehicle),
                     joinedload(Appointment.advisor))
            .where(Appointment.store_id == store_id,
                   Appointment.starts_at >= clock.store_local_to_utc(start_local, tz),
                   Appointment.starts_at < clock.store_local_to_utc(end_local, tz))
            .order_by(Appointment.starts_at, Appointment.id))
    if advisor_id:
        stmt = stmt.where(Appointment.advisor_id == advisor_id)
    return list(db.session.scalars(stmt))


def show_rate(store_id: int, start: datetime, end: datetime, advisor_id: int | None = None):
    """(arrived, no-shows, rate) for appointments starting in [start, end) UTC; rate None when none."""
    stmt = (select(Appointment.status, func.count())
            .where(Appointment.store_id == store_id, Appointment.starts_at >= start, Appointment.starts_at < end,
                   Appointment.status.in_([AppointmentStatus.ARRIVED.value, AppointmentStatus.NO_SHOW.value]))
            .group_by(Appointment.status))
    if advisor_id:
        stmt = stmt.where(Appointment.advisor_id == advisor_id)
    counts = dict(db.session.execute(stmt).all())
    arrived, no_show = counts.get("arrived", 0), counts.get("no_show", 0)
    return arrived, no_show, (arrived / (arrived + no_show) if arrived + no_show else None)


def advisors(store_id: int) -> list[User]:
    return list(db.session.scalars(select(User).where(
        User.store_id == store_id, User.active.is_(True), User.role_rows.any(role=Role.ADVISOR.value))
        .order_by(User.display_name)))


