"""Reservations: stock held for a repair order or for a booked appointment's pre-pick, the
pre-pick carried over to the repair order when the car arrives (or given back), and what an
advisor's estimate line of a catalogue part holds."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from intranet.core.models import LineKind, RepairOrder, RepairOrderLine
from intranet.core.services import get_owned
from intranet.errors import Conflict, DomainError
from intranet.extensions import db
from intranet.live.services import bump
from intranet.parts import ledger
from intranet.parts.models import ZERO, Reservation, ReservationStatus
from intranet.parts.services.catalogue import _require_part, part_by_number
from intranet.parts.services.counter import _open_ro
from intranet.reception.models import Appointment, AppointmentStatus

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
    """The booked car arrived: its pre-picked parts are now held for its repair order."""
    moved = db.session.execute(update(Reservation).where(
        Reservation.appointment_id == appointment_id, Reservation.status == ReservationStatus.OPEN)
        .values(repair_order_id=ro_id, appointment_id=None).execution_options(synchronize_session="fetch"))
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
