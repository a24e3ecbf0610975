"""The counter: the technicians' parts requests waiting there, the warranty clerk's sign-off,
issuing a part against a request and an open repair order with the old part handed in (交旧领新),
cancelling a request, returns from the workshop, and the counter's last issues."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.core import notices
from intranet.core.models import RO_ON_SITE, LineKind, PayType, RepairOrder, RepairOrderLine, Role, User, Vehicle
from intranet.core.services import claim, get_owned
from intranet.errors import Conflict, DomainError
from intranet.extensions import db
from intranet.live.services import bump
from intranet.parts import ledger
from intranet.parts.models import (
    ZERO, MovementKind, OldPart, OldPartOutcome, Part, PendingPart, PendingStatus, StockMovement,
)
from intranet.parts.services.catalogue import _require_part, get_part
from intranet.workshop.models import OPEN_PARTS_REQUEST, PartsRequest, PartsRequestStatus

BOARDS = ("parts", "workshop")


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
    reservation of the part first; refused when the rest is not available. The same request issued
    twice at once is issued once: the second waits for the first, then — the same person's double
    tap — answers with that issue, or is told who issued it."""
    claim(PartsRequest, request_id)
    request = _request(request_id, store_id)
    if request.status == PartsRequestStatus.ISSUED:
        if request.issued_by_id == actor_id and request.issued_at and \
                clock.utcnow() - request.issued_at < timedelta(minutes=2):
            return request  # a double tap: the first tap issued it
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


def _notice_texts() -> None:
    notices.register("part_issued", lambda p: _("%(part)s (%(number)s) for %(plate)s is issued: collect it at the "
                                                "counter.", part=p.get("part"), number=p.get("number"),
                                                plate=p.get("plate")))


_notice_texts()
