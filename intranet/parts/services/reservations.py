"""Reservations: stock held for a repair order or for a booked appointment's pre-pick, the
pre-pick carried over to the repair order when the car arrives (or given back), and what an
advisor's estimate line of a catalogue part holds.

The pre-pick (预约备料): a booking names catalogue parts (`reception.models.PrePickLine`); when it is
saved (`reception.hooks.appointment_booked`) each line holds what is free of its part and keeps the
rest as a shortage. The counter's pre-pick list shows the next days' booked cars with their lines;
a storekeeper marks a line picked, or holds what came in since for a short one."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.core.models import LineKind, RepairOrder, RepairOrderLine, Store
from intranet.core.services import claim, get_owned
from intranet.errors import Conflict, DomainError
from intranet.extensions import db
from intranet.live.services import bump
from intranet.parts import ledger
from intranet.parts.models import ZERO, Part, Reservation, ReservationStatus
from intranet.parts.services.catalogue import _require_part, part_by_number, stock_list
from intranet.parts.services.counter import _open_ro
from intranet.reception.models import Appointment, AppointmentStatus, PrePickLine
from intranet.reception.pre_pick import FIELD as PRE_PICK_FIELD
from intranet.reception.pre_pick import CataloguePart

def reserve_for(*, store_id: int, actor_id: int | None, part_number: str, quantity,
                repair_order_id: int | None = None, appointment_id: int | None = None) -> Reservation:
    """Hold stock for a repair order or for an appointment's pre-pick."""
    if bool(repair_order_id) == bool(appointment_id):
        raise DomainError(_l("Reserve for a repair order or for an appointment."))
    if repair_order_id:
        _open_ro(repair_order_id, store_id)
    else:
        appointment = get_owned(Appointment, appointment_id, store_id, _l("No such appointment."))
        if appointment.status != AppointmentStatus.BOOKED:
            raise DomainError(_l("Only a booked appointment's parts can be pre-picked."))
    part = _require_part(store_id, part_number)
    reservation = ledger.reserve(part.id, ledger.quantity_from(quantity), store_id=store_id, actor_id=actor_id,
                                 repair_order_id=repair_order_id, appointment_id=appointment_id)
    bump(store_id, "parts")
    return reservation


def release_reservation(reservation_id: int, *, store_id: int) -> Reservation:
    reservation = get_owned(Reservation, reservation_id, store_id, _l("No such reservation."))
    if reservation.status != ReservationStatus.OPEN:
        raise Conflict(_l("This reservation is already %(status)s.",
                          status=ReservationStatus(reservation.status).label))
    ledger.release(reservation)
    bump(store_id, "parts")
    return reservation


def carry_pre_pick(appointment_id: int, ro_id: int) -> int:
    """The booked car arrived: its pre-picked parts are now held for its repair order, and what was
    short at booking and is free by now is held for it too."""
    moved = db.session.execute(update(Reservation).where(
        Reservation.appointment_id == appointment_id, Reservation.status == ReservationStatus.OPEN)
        .values(repair_order_id=ro_id, appointment_id=None).execution_options(synchronize_session="fetch"))
    appointment = db.session.get(Appointment, appointment_id)
    for line in appointment.short_lines if appointment is not None else []:
        part = part_by_number(appointment.store_id, line.part_number)
        if part is not None and part.active:
            _hold(line, part, actor_id=None, repair_order_id=ro_id)
    return moved.rowcount or 0


def drop_pre_pick(appointment_id: int) -> None:
    """A cancelled or missed appointment gives its pre-picked parts back."""
    for reservation in ledger.open_reservations(appointment_id=appointment_id):
        ledger.release(reservation)


def reserve_estimate_line(line: RepairOrderLine, store_id: int, actor_id: int | None) -> Reservation | None:
    """An advisor's part line that names a catalogue part holds what is free of it (called by
    reception when the line is added). Nothing is held when nothing is free: the counter will
    record the shortage when the technician asks."""
    part = part_by_number(store_id, line.code)
    if part is None or not part.active:
        return None
    held = sum((Decimal(r.quantity) for r in ledger.open_reservations(repair_order_id=line.repair_order_id,
                                                                        part_id=part.id)), ZERO)
    wanted = db.session.scalar(select(func.coalesce(func.sum(RepairOrderLine.quantity), 0)).where(
        RepairOrderLine.repair_order_id == line.repair_order_id, RepairOrderLine.kind == LineKind.PART,
        RepairOrderLine.part_id.is_(None), RepairOrderLine.code == line.code))
    free = min(part.available, Decimal(wanted) - held)
    if free <= 0:
        return None
    try:
        return ledger.reserve(part.id, free, store_id=store_id, actor_id=actor_id, repair_order_id=line.repair_order_id)
    except ledger.OutOfStock:  # taken by someone else in between
        return None


def release_estimate_line(line: RepairOrderLine) -> None:
    """The advisor removed a part line: what was held for it goes back."""
    if line.kind != LineKind.PART or not line.code:
        return
    part = part_by_number(line.repair_order.store_id, line.code)
    if part is None:
        return
    left = Decimal(line.quantity)
    for reservation in ledger.open_reservations(repair_order_id=line.repair_order_id, part_id=part.id):
        if left <= 0:
            break
        left -= ledger.release(reservation, left)


def reservations_of(*, repair_order_id: int | None = None, appointment_ids: list[int] | None = None
                    ) -> list[Reservation]:
    stmt = select(Reservation).options(joinedload(Reservation.part)).where(Reservation.status == ReservationStatus.OPEN)
    if repair_order_id is not None:
        stmt = stmt.where(Reservation.repair_order_id == repair_order_id)
    if appointment_ids is not None:
        stmt = stmt.where(Reservation.appointment_id.in_(appointment_ids or [0]))
    return list(db.session.scalars(stmt.order_by(Reservation.id)))


def reservations_of_part(part_id: int) -> list[Reservation]:
    return list(db.session.scalars(
        select(Reservation).options(joinedload(Reservation.repair_order).joinedload(RepairOrder.vehicle),
                                    joinedload(Reservation.appointment))
        .where(Reservation.part_id == part_id, Reservation.status == ReservationStatus.OPEN).order_by(Reservation.id)))


# ------------------------------------------------------------------ the pre-pick of booked cars

def catalogue_for_booking(*, store_id: int, text: str, limit: int) -> list[CataloguePart]:
    """The booking form's catalogue search: active parts by number, bin or name, with what is free."""
    parts, _total = stock_list(store_id, query=text, per_page=limit)
    return [CataloguePart(p.number, p.name, p.unit, p.available, p.bin_code) for p in parts]


def _hold(line: PrePickLine, part: Part, *, actor_id: int | None, repair_order_id: int | None = None) -> Decimal:
    """Hold what is free of the line's shortage, for its appointment (or, once the car is here, for
    its repair order); the line records what it holds."""
    free = min(part.available, line.short)
    if free <= 0:
        return ZERO
    try:
        ledger.reserve(part.id, free, store_id=line.store_id, actor_id=actor_id, repair_order_id=repair_order_id,
                       appointment_id=None if repair_order_id else line.appointment_id)
    except ledger.OutOfStock:  # taken by someone else in between: still short
        return ZERO
    line.reserved = Decimal(line.reserved or 0) + free
    return free


def hold_pre_pick(appointment_id: int, actor_id: int | None) -> None:
    """A booking was saved with its pre-pick lines: each names a stocked catalogue part (else the
    booking is refused) and holds what is free of it; the rest is the line's shortage."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or not appointment.pre_pick:
        return
    for line in appointment.pre_pick:
        part = _require_part(appointment.store_id, line.part_number, field=PRE_PICK_FIELD)
        line.part_number, line.part_name = part.number, part.name
        _hold(line, part, actor_id=actor_id)
    db.session.flush()
    bump(appointment.store_id, "parts")


@dataclass
class PrePickDay:
    day: date
    appointments: list[Appointment]


@dataclass
class PrePickList:
    days: list[PrePickDay]
    parts: dict[str, Part]  # by number: bin and what is free, for each line

    @property
    def lines(self) -> list[PrePickLine]:
        return [line for d in self.days for a in d.appointments for line in a.pre_pick]

    @property
    def to_pick(self) -> int:
        return sum(1 for line in self.lines if line.picked_at is None)

    @property
    def short(self) -> int:
        return sum(1 for line in self.lines if line.short > 0)


def pre_pick_list(store: Store, today: date, days: int = 3) -> PrePickList:
    """The booked cars of `today` and the next days that carry pre-pick lines, by day and slot, with
    their parts — three queries whatever the number of cars."""
    start, _ = clock.store_day_bounds_utc(today, store.timezone)
    end, _ = clock.store_day_bounds_utc(today + timedelta(days=days), store.timezone)
    booked = list(db.session.scalars(
        select(Appointment)
        .options(joinedload(Appointment.vehicle), joinedload(Appointment.advisor), joinedload(Appointment.customer))
        .where(Appointment.store_id == store.id, Appointment.status == AppointmentStatus.BOOKED,
               Appointment.starts_at >= start, Appointment.starts_at < end, Appointment.pre_pick.any())
        .order_by(Appointment.starts_at, Appointment.id)))
    numbers = {line.part_number for a in booked for line in a.pre_pick}
    parts = {p.number: p for p in db.session.scalars(
        select(Part).where(Part.store_id == store.id, Part.number.in_(sorted(numbers) or [""])))}
    by_day: dict[date, list[Appointment]] = {}
    for appointment in booked:
        by_day.setdefault(clock.to_store_time(appointment.starts_at, store.timezone).date(), []).append(appointment)
    return PrePickList([PrePickDay(day, by_day.get(day, [])) for day in
                        (today + timedelta(days=n) for n in range(days))], parts)


def _pre_pick_line(line_id: int, store_id: int) -> PrePickLine:
    claim(PrePickLine, line_id)  # two taps at once: the second reads what the first left
    line = get_owned(PrePickLine, line_id, store_id, _l("No such pre-pick line."))
    if line.appointment.status != AppointmentStatus.BOOKED:
        raise Conflict(_l("This appointment is %(status)s.", status=line.appointment.status_enum.label))
    return line


def mark_picked(line_id: int, *, store_id: int, actor_id: int, picked: bool = True) -> PrePickLine:
    """The storekeeper took the line's parts off the shelf (or put them back). Tapping twice changes
    nothing: a line picked stays picked by whoever picked it first."""
    line = _pre_pick_line(line_id, store_id)
    if picked and line.picked_at is None:
        line.picked_at, line.picked_by_id = clock.utcnow(), actor_id
    elif not picked:
        line.picked_at, line.picked_by_id = None, None
    db.session.flush()
    bump(store_id, "parts")
    return line


def hold_pre_pick_rest(line_id: int, *, store_id: int, actor_id: int) -> Decimal:
    """A short line: hold what has come in since the booking. Refused when there is still none free."""
    line = _pre_pick_line(line_id, store_id)
    if line.short <= 0:
        return ZERO
    part = _require_part(store_id, line.part_number)
    held = _hold(line, part, actor_id=actor_id)
    if held <= 0:
        raise Conflict(_l("None of %(number)s is free yet.", number=part.number))
    db.session.flush()
    bump(store_id, "parts")
    return held
