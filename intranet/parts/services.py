"""The parts store's counter and catalogue: parts and bins, the stock list and bin cards, issuing
against a technician's request with the old part handed in (交旧领新), returns, reservations, the
pending parts list (待缺料) and the old parts ledger. Purchasing lives in `purchasing`, counts in
`counts`, write-offs in `writeoffs`; all of them change stock only through `ledger`."""
from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.core import notices
from intranet.core.billing import decimal_from, money
from intranet.core.models import (
    RO_ON_SITE, LineKind, PayType, RepairOrder, RepairOrderLine, Role, User, Vehicle,
)
from intranet.core.services import get_owned
from intranet.errors import Conflict, DomainError
from intranet.extensions import db
from intranet.live.services import bump
from intranet.parts import ledger
from intranet.parts.models import (
    OPEN_PENDING, ZERO, AbcClass, MovementKind, OldPart, OldPartOutcome, OldPartStatus, Part, PendingPart,
    PendingStatus, Reservation, ReservationStatus, StockMovement, Supplier,
)
from intranet.reception.models import Appointment, AppointmentStatus
from intranet.workshop.models import OPEN_PARTS_REQUEST, Job, PartsRequest, PartsRequestStatus

BOARDS = ("parts", "workshop")
PART_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9 .\-/]{1,31}$")


def get_part(part_id: int, store_id: int) -> Part:
    return get_owned(Part, part_id, store_id, _l("No such part."))


def part_by_number(store_id: int, number: str | None) -> Part | None:
    number = (number or "").strip().upper()
    if not number:
        return None
    return db.session.scalar(select(Part).where(Part.store_id == store_id, Part.number == number))


def _require_part(store_id: int, number: str | None, field: str = "part_number") -> Part:
    part = part_by_number(store_id, number)
    if part is None:
        if not (number or "").strip():
            raise DomainError(_l("Enter the part number."), field=field)
        raise DomainError(_l("There is no part %(number)s in the catalogue.", number=number.strip().upper()),
                          field=field)
    if not part.active:
        raise DomainError(_l("Part %(number)s is no longer stocked.", number=part.number), field=field)
    return part


# --------------------------------------------------------------------------- catalogue

PART_FIELDS = ("number", "name", "fitment", "abc_class", "unit", "cost", "price", "reorder_point",
               "reorder_quantity", "supplier_id", "bin_code")


def _amount(value, field: str, *, required: bool = False) -> Decimal:
    if value in (None, ""):
        if required:
            raise DomainError(_l("This is required."), field=field)
        return ZERO
    amount = decimal_from(value, field)
    if amount < 0:
        raise DomainError(_l("A price or quantity cannot be negative."), field=field)
    return amount


def _check_bin(store_id: int, code: str | None, part_id: int | None) -> str | None:
    code = ledger.normalise_bin(code)
    if code:
        holder = db.session.scalar(select(Part.number).where(Part.store_id == store_id, Part.bin_code == code,
                                                             Part.id != (part_id or 0)))
        if holder:
            raise Conflict(_l("Bin %(bin)s already holds %(number)s: one part number per bin.", bin=code,
                              number=holder), field="bin_code")
    return code


def save_part(*, store_id: int, part_id: int | None = None, **values) -> Part:
    """Create or change a catalogue part. Stock is not touched here (an opening balance goes
    through `ledger.post`)."""
    part = get_part(part_id, store_id) if part_id else Part(store_id=store_id)
    number = (values.get("number") or "").strip().upper()
    if not PART_NUMBER.match(number):
        raise DomainError(_l("A part number is 2 to 32 letters, digits, dots or dashes, e.g. 06J115403Q."),
                          field="number")
    if number != part.number and part_by_number(store_id, number):
        raise Conflict(_l("Part %(number)s is already in the catalogue.", number=number), field="number")
    name = (values.get("name") or "").strip()
    if not name:
        raise DomainError(_l("Enter the part's name."), field="name")
    abc = (values.get("abc_class") or "C").strip().upper()
    if abc not in {c.value for c in AbcClass}:
        raise DomainError(_l("The ABC class is A, B or C."), field="abc_class")
    supplier_id = values.get("supplier_id") or None
    if supplier_id:
        get_owned(Supplier, int(supplier_id), store_id, _l("No such supplier."))
    part.number, part.name, part.abc_class = number, name[:100], abc
    part.fitment = (values.get("fitment") or "").strip()[:200] or None
    part.unit = (values.get("unit") or part.unit or "件").strip()[:8]
    part.cost = money(_amount(values.get("cost"), "cost"))
    part.price = money(_amount(values.get("price"), "price"))
    part.reorder_point = _amount(values.get("reorder_point"), "reorder_point")
    part.reorder_quantity = _amount(values.get("reorder_quantity"), "reorder_quantity")
    part.supplier_id = int(supplier_id) if supplier_id else None
    part.bin_code = _check_bin(store_id, values.get("bin_code"), part.id)
    if part.id is None:
        db.session.add(part)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # a colleague took the number or the bin a moment ago
        raise Conflict(_l("That part number or bin was taken a moment ago by a colleague; check and save again."),
                       field="bin_code") from None
    return part


def suppliers(store_id: int) -> list[Supplier]:
    return list(db.session.scalars(select(Supplier).where(Supplier.store_id == store_id, Supplier.active)
                                   .order_by(Supplier.name)))


def stock_list(store_id: int, *, query: str | None = None, abc: str | None = None, only: str | None = None,
               page: int = 1, per_page: int = 50) -> tuple[list[Part], int]:
    """The stock list: a page of parts (by bin order) and how many match. `query` matches the start
    of a part number or a bin, or any part of a name; `only` is "low" (at or under the reorder
    point), "reserved" or "empty"."""
    stmt = select(Part).where(Part.store_id == store_id, Part.active)
    query = (query or "").strip()
    if query:
        upper = query.upper()
        stmt = stmt.where(or_(and_(Part.number >= upper, Part.number < upper + "\uffff"),
                              and_(Part.bin_code >= upper, Part.bin_code < upper + "\uffff"),
                              Part.name.contains(query, autoescape=True)))
    if abc in {c.value for c in AbcClass}:
        stmt = stmt.where(Part.abc_class == abc)
    if only == "low":
        stmt = stmt.where(Part.on_hand - Part.reserved <= Part.reorder_point, Part.reorder_point > 0)
    elif only == "reserved":
        stmt = stmt.where(Part.reserved > 0)
    elif only == "empty":
        stmt = stmt.where(Part.on_hand == 0)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = max(page, 1)
    parts = db.session.scalars(stmt.options(joinedload(Part.supplier))
                               .order_by(Part.bin_code, Part.number)
                               .limit(per_page).offset((page - 1) * per_page))
    return list(parts), total


def stock_value(store_id: int) -> Decimal:
    return money(db.session.scalar(select(func.coalesce(func.sum(Part.on_hand * Part.cost), 0))
                                   .where(Part.store_id == store_id)))


def bin_card(part_id: int, store_id: int, *, page: int = 1, per_page: int = 100) -> tuple[list[StockMovement], int]:
    """The part's movements, newest first, each with the balance it left (卡片帐)."""
    base = select(StockMovement).where(StockMovement.part_id == part_id, StockMovement.store_id == store_id)
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    rows = db.session.scalars(base.options(joinedload(StockMovement.actor),
                                           joinedload(StockMovement.repair_order).joinedload(RepairOrder.vehicle))
                              .order_by(StockMovement.at.desc(), StockMovement.id.desc())
                              .limit(per_page).offset((max(page, 1) - 1) * per_page))
    return list(rows), total


def add_opening_stock(part_id: int, quantity, *, store_id: int, actor_id: int | None, note: str | None = None):
    return ledger.post(part_id, ledger.quantity_from(quantity), MovementKind.OPENING, store_id=store_id,
                       actor_id=actor_id, note=note)


# --------------------------------------------------------------------------- the counter

def _open_ro(ro_id: int | None, store_id: int) -> RepairOrder:
    if not ro_id:
        raise DomainError(_l("Parts leave the store only against a repair order."), field="repair_order")
    ro = get_owned(RepairOrder, ro_id, store_id, _l("No such repair order."))
    if ro.status_enum not in RO_ON_SITE:
        raise DomainError(_l("Repair order %(number)s is %(status)s: no parts can be issued to it.",
                             number=ro.number, status=ro.status_enum.label), field="repair_order")
    return ro


def _request(request_id: int, store_id: int) -> PartsRequest:
    return get_owned(PartsRequest, request_id, store_id, _l("No such parts request."))


def counter_queue(store_id: int) -> list[PartsRequest]:
    """Open requests, oldest first, with their car, technician and the catalogue part they name."""
    requests = list(db.session.scalars(
        select(PartsRequest)
        .options(joinedload(PartsRequest.requested_by),
                 joinedload(PartsRequest.repair_order).joinedload(RepairOrder.vehicle))
        .where(PartsRequest.store_id == store_id, PartsRequest.status.in_([str(s) for s in OPEN_PARTS_REQUEST]))
        .order_by(PartsRequest.requested_at)))
    _attach_parts(store_id, requests)
    return requests


def _attach_parts(store_id: int, requests: list[PartsRequest]) -> None:
    """Give each request `.part`: the chosen part, or the one its number names (one query)."""
    ids = {r.part_id for r in requests if r.part_id}
    numbers = {r.part_number for r in requests if not r.part_id and r.part_number}
    found = list(db.session.scalars(select(Part).where(Part.store_id == store_id, or_(
        Part.id.in_(ids or [0]), Part.number.in_(numbers or [""]))))) if (ids or numbers) else []
    by_id = {p.id: p for p in found}
    by_number = {p.number: p for p in found}
    for r in requests:
        r.part = by_id.get(r.part_id) if r.part_id else by_number.get(r.part_number or "")


def sign_warranty(request_id: int, *, store_id: int, actor: User) -> PartsRequest:
    """The warranty clerk agrees that this part is issued under warranty (before the counter issues it)."""
    if not actor.has_role(Role.WARRANTY):
        raise DomainError(_l("Only the warranty clerk signs off warranty parts."))
    request = _request(request_id, store_id)
    if request.status not in OPEN_PARTS_REQUEST:
        raise Conflict(_l("This request is already %(status)s.", status=request.status_enum.label))
    request.pay_type = PayType.WARRANTY
    request.warranty_signed_by_id, request.warranty_signed_at = actor.id, clock.utcnow()
    db.session.flush()
    bump(store_id, "parts")
    return request


def ask_warranty(request_id: int, *, store_id: int) -> PartsRequest:
    """The counter marks a request as a warranty issue: it waits for the warranty clerk's sign-off."""
    request = _request(request_id, store_id)
    if request.status not in OPEN_PARTS_REQUEST:
        raise Conflict(_l("This request is already %(status)s.", status=request.status_enum.label))
    request.pay_type = PayType.WARRANTY
    db.session.flush()
    bump(store_id, "parts")
    return request


def warranty_waiting(store_id: int) -> list[PartsRequest]:
    requests = list(db.session.scalars(
        select(PartsRequest).options(joinedload(PartsRequest.requested_by),
                                     joinedload(PartsRequest.repair_order).joinedload(RepairOrder.vehicle))
        .where(PartsRequest.store_id == store_id, PartsRequest.status.in_([str(s) for s in OPEN_PARTS_REQUEST]),
               PartsRequest.pay_type == PayType.WARRANTY, PartsRequest.warranty_signed_by_id.is_(None))
        .order_by(PartsRequest.requested_at)))
    _attach_parts(store_id, requests)
    return requests


def _bill_line(ro: RepairOrder, part: Part, quantity: Decimal, pay_type: str) -> RepairOrderLine:
    """The repair order's part line follows what was issued: an issued line of this part and payer
    grows; else the advisor's estimate line of the same part number becomes the issued line; else a
    new line at the part's price."""
    line = next((ln for ln in ro.lines if ln.part_id == part.id and ln.pay_type == pay_type), None)
    if line is not None:
        line.quantity = Decimal(line.quantity) + quantity
        return line
    line = next((ln for ln in ro.lines if ln.kind == LineKind.PART and ln.part_id is None
                 and (ln.code or "").upper() == part.number), None)
    if line is not None:
        line.part_id, line.quantity, line.pay_type = part.id, quantity, pay_type
        return line
    line = RepairOrderLine(kind=LineKind.PART, code=part.number, description=part.name, quantity=quantity,
                           unit_price=part.price, pay_type=pay_type, part_id=part.id,
                           position=max((ln.position for ln in ro.lines), default=0) + 1)
    ro.lines.append(line)
    return line


def issue(request_id: int, *, store_id: int, actor_id: int, part_number: str | None, quantity,
          old_part: str | None, expected_status: str | None = None) -> PartsRequest:
    """Issue a technician's request at the counter (never without a request, never without an open
    repair order). The old part is handed in for the new one, or the reason it is not is recorded.
    A warranty issue needs the warranty clerk's sign-off first. Takes the repair order's own
    reservation of the part first; refused when the rest is not available."""
    request = _request(request_id, store_id)
    if request.status == PartsRequestStatus.ISSUED:
        raise Conflict(_l("This request was already issued by %(name)s.",
                          name=_name(request.issued_by_id)))
    if request.status not in OPEN_PARTS_REQUEST:
        raise Conflict(_l("This request is already %(status)s.", status=request.status_enum.label))
    if expected_status and request.status != expected_status:
        raise Conflict(_l("This request changed meanwhile; look at it again."))
    ro = _open_ro(request.repair_order_id, store_id)
    part = _require_part(store_id, part_number or request.part_number)
    quantity = ledger.quantity_from(quantity)
    try:
        outcome = OldPartOutcome(old_part or "")
    except ValueError:
        raise DomainError(_l("Record the old part: handed in, kept by the customer, held by warranty, or none."),
                          field="old_part") from None
    warranty = request.pay_type == PayType.WARRANTY
    if warranty and not request.warranty_signed_by_id:
        raise DomainError(_l("A warranty part needs the warranty clerk's sign-off before it is issued."),
                          field="pay_type")
    if warranty and outcome in (OldPartOutcome.CUSTOMER_KEEPS, OldPartOutcome.NONE):
        raise DomainError(_l("A warranty old part belongs to the manufacturer: it is handed in or held by "
                             "warranty."), field="old_part")
    reservations = ledger.open_reservations(repair_order_id=ro.id, part_id=part.id)
    own = min(sum((Decimal(r.quantity) for r in reservations), ZERO), quantity)
    ledger.post(part.id, -quantity, MovementKind.ISSUE, store_id=store_id, actor_id=actor_id, unreserve=own,
                repair_order_id=ro.id, parts_request_id=request.id, note=ro.vehicle.plate)
    left = own
    for reservation in reservations:
        if left <= 0:
            break
        left -= ledger.release(reservation, left, issued=True)
    line_pay = PayType.WARRANTY if warranty else ro.pay_type
    _bill_line(ro, part, quantity, line_pay)
    request.from_stock = request.status == PartsRequestStatus.REQUESTED and not _was_short(request.id)
    request.status = PartsRequestStatus.ISSUED
    request.part_id, request.quantity, request.old_part = part.id, quantity, outcome
    request.issued_by_id, request.issued_at = actor_id, clock.utcnow()
    if outcome in (OldPartOutcome.RECEIVED, OldPartOutcome.WARRANTY_HOLDS):
        holder = request.warranty_signed_by_id if outcome == OldPartOutcome.WARRANTY_HOLDS else actor_id
        db.session.add(OldPart(store_id=store_id, repair_order_id=ro.id, parts_request_id=request.id, part_id=part.id,
                               description=part.name, quantity=quantity, warranty=warranty, holder_id=holder,
                               claim_number=ro.warranty_claim_ref if warranty else None,
                               received_at=clock.utcnow()))
    db.session.flush()
    if request.requested_by_id and request.requested_by_id != actor_id:
        notices.notify(store_id, [request.requested_by_id], "part_issued",
                       {"plate": ro.vehicle.plate, "part": part.name, "number": part.number}, link="/workshop/my")
    bump(store_id, *BOARDS)
    return request


def _was_short(request_id: int) -> bool:
    return bool(db.session.scalar(select(PendingPart.id).where(PendingPart.parts_request_id == request_id).limit(1)))


def _name(user_id: int | None) -> str:
    return (db.session.scalar(select(User.display_name).where(User.id == user_id)) if user_id else None) or "?"


def cancel_request(request_id: int, *, store_id: int, actor_id: int) -> PartsRequest:
    request = _request(request_id, store_id)
    if request.status not in OPEN_PARTS_REQUEST:
        raise Conflict(_l("This request is already %(status)s.", status=request.status_enum.label))
    request.status = PartsRequestStatus.CANCELLED
    for pending in db.session.scalars(select(PendingPart).where(PendingPart.parts_request_id == request.id,
                                                                PendingPart.status == PendingStatus.SHORTAGE)):
        pending.status = PendingStatus.CANCELLED
    db.session.flush()
    bump(store_id, *BOARDS, "pending")
    return request


def return_to_stock(ro_id: int, part_id: int, quantity, *, store_id: int, actor_id: int,
                    note: str | None = None) -> StockMovement:
    """An unused part comes back from the workshop: it goes back on the shelf and off the bill."""
    ro = get_owned(RepairOrder, ro_id, store_id, _l("No such repair order."))
    if ro.status_enum not in RO_ON_SITE:
        raise DomainError(_l("Repair order %(number)s is %(status)s: returns are booked while the car is here.",
                             number=ro.number, status=ro.status_enum.label))
    part = get_part(part_id, store_id)
    quantity = ledger.quantity_from(quantity)
    issued = db.session.scalar(select(func.coalesce(func.sum(StockMovement.quantity), 0)).where(
        StockMovement.repair_order_id == ro.id, StockMovement.part_id == part.id,
        StockMovement.kind.in_([MovementKind.ISSUE, MovementKind.RETURN])))
    if quantity > -Decimal(issued):
        raise DomainError(_l("Only %(issued)s of %(number)s were issued to %(ro)s; %(wanted)s cannot come back.",
                             issued=ledger.plain_quantity(-Decimal(issued)), number=part.number, ro=ro.number,
                             wanted=ledger.plain_quantity(quantity)), field="quantity")
    movement = ledger.post(part.id, quantity, MovementKind.RETURN, store_id=store_id, actor_id=actor_id,
                           repair_order_id=ro.id, note=note or ro.vehicle.plate)
    left = quantity
    for line in sorted((ln for ln in ro.lines if ln.part_id == part.id), key=lambda ln: ln.id, reverse=True):
        taken = min(Decimal(line.quantity), left)
        line.quantity = Decimal(line.quantity) - taken
        left -= taken
        if line.quantity <= 0:
            ro.lines.remove(line)
        if left <= 0:
            break
    db.session.flush()
    bump(store_id, *BOARDS)
    return movement


def issued_to(ro_id: int) -> list[tuple[Part, Decimal]]:
    """What is out on a repair order now, part by part (issues less returns)."""
    net = func.sum(StockMovement.quantity)
    rows = db.session.execute(
        select(Part, net).join(StockMovement, StockMovement.part_id == Part.id)
        .where(StockMovement.repair_order_id == ro_id,
               StockMovement.kind.in_([MovementKind.ISSUE, MovementKind.RETURN]))
        .group_by(Part.id).having(net < 0).order_by(Part.number)).all()
    return [(part, -Decimal(total)) for part, total in rows]


def recent_issues(store_id: int, limit: int = 20, days: int = 3) -> list[StockMovement]:
    """The counter's last issues and returns. Only the last few days are looked at, so the index on
    (store, time) keeps this a short range scan however long the ledger grows."""
    since = clock.utcnow() - timedelta(days=days)
    return list(db.session.scalars(
        select(StockMovement).options(joinedload(StockMovement.actor),
                                      joinedload(StockMovement.repair_order).joinedload(RepairOrder.vehicle))
        .where(StockMovement.store_id == store_id, StockMovement.at >= since,
               StockMovement.kind.in_([MovementKind.ISSUE, MovementKind.RETURN]))
        .order_by(StockMovement.at.desc(), StockMovement.id.desc()).limit(limit)))


def parts_of(movements: list[StockMovement]) -> dict[int, Part]:
    ids = {m.part_id for m in movements}
    return {p.id: p for p in db.session.scalars(select(Part).where(Part.id.in_(ids)))} if ids else {}


# --------------------------------------------------------------------------- reservations

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


# --------------------------------------------------------------------------- pending parts (待缺料)

def record_shortage(request_id: int, *, store_id: int, actor_id: int, part_number: str | None = None,
                    note: str | None = None) -> PendingPart:
    """The part asked for is not on the shelf: the request waits and the part goes on the pending
    list, from which the planner raises a purchase request."""
    request = _request(request_id, store_id)
    if request.status != PartsRequestStatus.REQUESTED:
        raise Conflict(_l("This request is already %(status)s.", status=request.status_enum.label))
    ro = _open_ro(request.repair_order_id, store_id)
    part = _require_part(store_id, part_number or request.part_number)
    if part.available >= Decimal(request.quantity):
        raise DomainError(_l("%(number)s is in stock (%(available)s available): issue it instead.",
                             number=part.number, available=ledger.plain_quantity(part.available)), field="part_number")
    pending = PendingPart(store_id=store_id, repair_order_id=ro.id, parts_request_id=request.id, part_id=part.id,
                          quantity=request.quantity, created_by_id=actor_id, created_at=clock.utcnow(),
                          note=(note or "").strip()[:200] or None, supplier_id=part.supplier_id)
    request.status, request.part_id = PartsRequestStatus.SHORTAGE, part.id
    db.session.add(pending)
    db.session.flush()
    bump(store_id, *BOARDS, "pending")
    return pending


def pending_list(store_id: int, *, today: date | None = None, closed_days: int = 3) -> list[PendingPart]:
    """The pending parts sheet: every open shortage, plus what arrived in the last few days.
    Overdue (expected before today and not received) first."""
    since = clock.utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    rows = list(db.session.scalars(
        select(PendingPart)
        .options(joinedload(PendingPart.part), joinedload(PendingPart.supplier),
                 joinedload(PendingPart.repair_order).joinedload(RepairOrder.vehicle),
                 joinedload(PendingPart.repair_order).joinedload(RepairOrder.advisor))
        .where(PendingPart.store_id == store_id, or_(
            PendingPart.status.in_([str(s) for s in OPEN_PENDING]),
            and_(PendingPart.status == PendingStatus.RECEIVED,
                 PendingPart.received_at >= since - timedelta(days=closed_days))))
        .order_by(PendingPart.created_at)))
    for row in rows:
        row.overdue = bool(today and row.expected_on and row.expected_on < today
                           and row.status in OPEN_PENDING)
    order = {s: n for n, s in enumerate(PendingStatus)}
    return sorted(rows, key=lambda r: (not r.overdue, order[PendingStatus(r.status)], r.created_at))


def on_received(part_id: int, quantity: Decimal, *, store_id: int, actor_id: int | None) -> Decimal:
    """Stock of a part has just been booked in: hand it to the repair orders waiting for it (oldest
    first), hold it for them, mark them received and tell their advisor and technician. Returns
    the quantity handed out."""
    left = Decimal(quantity)
    handed = ZERO
    waiting = db.session.scalars(
        select(PendingPart).options(joinedload(PendingPart.repair_order).joinedload(RepairOrder.vehicle),
                                    joinedload(PendingPart.part))
        .where(PendingPart.part_id == part_id, PendingPart.store_id == store_id,
               PendingPart.status.in_([str(s) for s in OPEN_PENDING]))
        .order_by(PendingPart.status == PendingStatus.ORDERED, PendingPart.created_at))
    for pending in sorted(waiting, key=lambda p: (p.status != PendingStatus.ORDERED, p.created_at)):
        need = Decimal(pending.quantity)
        if left < need:
            break
        ro = pending.repair_order
        if ro.status_enum in RO_ON_SITE:
            ledger.reserve(part_id, need, store_id=store_id, actor_id=actor_id, repair_order_id=ro.id)
        left -= need
        handed += need
        pending.status, pending.received_at = PendingStatus.RECEIVED, clock.utcnow()
        request = db.session.get(PartsRequest, pending.parts_request_id) if pending.parts_request_id else None
        if request is not None and request.status == PartsRequestStatus.SHORTAGE:
            request.status = PartsRequestStatus.REQUESTED  # back in the counter's queue, now in stock
        technician = request.requested_by_id if request is not None else None
        if technician is None and request is not None and request.job_id:
            technician = db.session.scalar(select(Job.technician_id).where(Job.id == request.job_id))
        notices.notify(store_id, [ro.advisor_id, technician], "part_arrived",
                       {"plate": ro.vehicle.plate, "part": pending.part.name, "number": pending.part.number},
                       link=f"/reception/ro/{ro.id}")
    db.session.flush()
    bump(store_id, *BOARDS, "pending")
    return handed


def _notice_texts() -> None:
    notices.register("part_issued", lambda p: _("%(part)s (%(number)s) for %(plate)s is issued: collect it at the "
                                                "counter.", part=p.get("part"), number=p.get("number"),
                                                plate=p.get("plate")))
    notices.register("part_arrived", lambda p: _("%(part)s (%(number)s) for %(plate)s has arrived and is held "
                                                 "for the car.", part=p.get("part"), number=p.get("number"),
                                                 plate=p.get("plate")))


_notice_texts()


# --------------------------------------------------------------------------- old parts

OLD_PART_MOVES = {
    OldPartStatus.HELD: frozenset({OldPartStatus.RETURNED_TO_MAKER, OldPartStatus.HANDED_TO_CUSTOMER,
                                   OldPartStatus.SCRAPPED}),
}


def old_parts(store_id: int, *, warranty: bool | None = None, open_only: bool = True, limit: int = 200
              ) -> list[OldPart]:
    stmt = (select(OldPart).options(joinedload(OldPart.repair_order).joinedload(RepairOrder.vehicle),
                                    joinedload(OldPart.holder))
            .where(OldPart.store_id == store_id))
    if warranty is not None:
        stmt = stmt.where(OldPart.warranty.is_(warranty))
    if open_only:
        stmt = stmt.where(OldPart.status == OldPartStatus.HELD)
    return list(db.session.scalars(stmt.order_by(OldPart.received_at.desc()).limit(limit)))


def close_old_part(old_part_id: int, to: str, *, store_id: int, actor: User, claim_number: str | None = None,
                   note: str | None = None) -> OldPart:
    """An old part leaves the store: back to the manufacturer (warranty, with its claim number),
    to the customer, or scrapped. Warranty old parts are the warranty clerk's to move."""
    old = get_owned(OldPart, old_part_id, store_id, _l("No such old part."))
    try:
        target = OldPartStatus(to)
    except ValueError:
        raise DomainError(_l("Choose where the old part went.")) from None
    if target not in OLD_PART_MOVES.get(OldPartStatus(old.status), frozenset()):
        raise Conflict(_l("This old part is already %(status)s.", status=old.status_enum.label))
    if old.warranty and not actor.has_role(Role.WARRANTY):
        raise DomainError(_l("Warranty old parts are moved by the warranty clerk."))
    if old.warranty and target == OldPartStatus.HANDED_TO_CUSTOMER:
        raise DomainError(_l("A warranty old part belongs to the manufacturer, not the customer."))
    claim_number = (claim_number or old.claim_number or "").strip()
    if old.warranty and target == OldPartStatus.RETURNED_TO_MAKER and not claim_number:
        raise DomainError(_l("Enter the warranty claim number it goes back under."), field="claim_number")
    old.status, old.closed_by_id, old.closed_at = target, actor.id, clock.utcnow()
    old.claim_number = claim_number or None
    old.note = (note or "").strip()[:200] or old.note
    db.session.flush()
    return old


def tag_claim(old_part_id: int, claim_number: str, *, store_id: int) -> OldPart:
    old = get_owned(OldPart, old_part_id, store_id, _l("No such old part."))
    claim_number = (claim_number or "").strip()
    if not claim_number:
        raise DomainError(_l("Enter the warranty claim number."), field="claim_number")
    old.claim_number = claim_number[:32]
    db.session.flush()
    return old


# --------------------------------------------------------------------------- who's who

def find_repair_order(store_id: int, text: str) -> RepairOrder | None:
    """The counter types a plate or a repair order number: the car on site it names."""
    text = (text or "").strip().upper().replace(" ", "")
    if not text:
        return None
    return db.session.scalar(
        select(RepairOrder).join(Vehicle, Vehicle.id == RepairOrder.vehicle_id)
        .where(RepairOrder.store_id == store_id, RepairOrder.status.in_([str(s) for s in RO_ON_SITE]),
               or_(RepairOrder.number == text, Vehicle.plate == text, Vehicle.plate.endswith(text)))
        .order_by(RepairOrder.id.desc()).limit(1))


def reservations_of_part(part_id: int) -> list[Reservation]:
    return list(db.session.scalars(
        select(Reservation).options(joinedload(Reservation.repair_order).joinedload(RepairOrder.vehicle),
                                    joinedload(Reservation.appointment))
        .where(Reservation.part_id == part_id, Reservation.status == ReservationStatus.OPEN).order_by(Reservation.id)))


def desk_summary(store_id: int, today: date) -> dict:
    """The parts panel of a home: requests at the counter, warranty sign-offs waiting, cars waiting
    for parts (and how many of those deliveries are overdue), parts at or under their reorder point."""
    requests = dict(db.session.execute(
        select(PartsRequest.status, func.count()).where(PartsRequest.store_id == store_id,
                                                        PartsRequest.status.in_([str(s) for s in OPEN_PARTS_REQUEST]))
        .group_by(PartsRequest.status)).all())
    sign_offs = db.session.scalar(select(func.count()).select_from(PartsRequest).where(
        PartsRequest.store_id == store_id, PartsRequest.status.in_([str(s) for s in OPEN_PARTS_REQUEST]),
        PartsRequest.pay_type == PayType.WARRANTY, PartsRequest.warranty_signed_by_id.is_(None)))
    pending, overdue = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case((PendingPart.expected_on < today, 1), else_=0)), 0))
        .where(PendingPart.store_id == store_id, PendingPart.status.in_([str(s) for s in OPEN_PENDING]))).one()
    low = db.session.scalar(select(func.count()).select_from(Part).where(
        Part.store_id == store_id, Part.active, Part.reorder_point > 0, Part.on_hand - Part.reserved <= Part.reorder_point))
    held = db.session.scalar(select(func.count()).select_from(OldPart).where(
        OldPart.store_id == store_id, OldPart.status == OldPartStatus.HELD, OldPart.warranty.is_(True)))
    return {"parts_requests": requests.get(PartsRequestStatus.REQUESTED, 0), "sign_offs": sign_offs,
            "pending": pending, "pending_overdue": int(overdue or 0), "parts_low": low, "warranty_held": held}
