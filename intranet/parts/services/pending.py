"""Pending parts (待缺料): a part asked for at the counter and not on the shelf goes on the pending
list; when it is booked in, it is handed to the repair orders waiting for it and their advisor
and technician are told."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.core import notices
from intranet.core.models import RO_ON_SITE, RepairOrder
from intranet.errors import Conflict, DomainError
from intranet.extensions import db
from intranet.live.services import bump
from intranet.parts import ledger
from intranet.parts.models import OPEN_PENDING, ZERO, PendingPart, PendingStatus
from intranet.parts.services.catalogue import _require_part
from intranet.parts.services.counter import BOARDS, _open_ro, _request
from intranet.workshop.models import Job, PartsRequest, PartsRequestStatus

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


def on_received(part_id: int, quantity: Decimal, *, store_id: int, actor_id: int | None,
                order_line_id: int | None = None) -> Decimal:
    """Stock of a part has just been booked in: hand it to the repair orders waiting for it, hold it
    for them, mark them received and tell their advisor and technician. Stock booked against a
    purchase order line goes first to the cars that line was raised for (an urgent order for one
    car is that car's part, whatever older shortage waits elsewhere); only what is left over goes to
    the others, oldest first. Returns the quantity handed out."""
    left = Decimal(quantity)
    handed = ZERO
    waiting = list(db.session.scalars(
        select(PendingPart).options(joinedload(PendingPart.repair_order).joinedload(RepairOrder.vehicle),
                                    joinedload(PendingPart.part))
        .where(PendingPart.part_id == part_id, PendingPart.store_id == store_id,
               PendingPart.status.in_([str(s) for s in OPEN_PENDING]))
        .order_by(PendingPart.created_at, PendingPart.id)))
    own = [p for p in waiting if order_line_id is not None and p.order_line_id == order_line_id]
    others = sorted((p for p in waiting if p not in own),
                    key=lambda p: (p.status != PendingStatus.ORDERED, p.created_at, p.id))
    for group in (own, others):
        for pending in group:
            need = Decimal(pending.quantity)
            if left < need:
                break
            _hand_over(pending, need, store_id=store_id, actor_id=actor_id)
            left -= need
            handed += need
        else:
            continue
        break  # a car this delivery was meant for is still short: the rest waits for it, not for others
    db.session.flush()
    bump(store_id, *BOARDS, "pending")
    return handed


def _hand_over(pending: PendingPart, need: Decimal, *, store_id: int, actor_id: int | None) -> None:
    ro = pending.repair_order
    if ro.status_enum in RO_ON_SITE:
        ledger.reserve(pending.part_id, need, store_id=store_id, actor_id=actor_id, repair_order_id=ro.id)
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


def _notice_texts() -> None:
    notices.register("part_arrived", lambda p: _("%(part)s (%(number)s) for %(plate)s has arrived and is held "
                                                 "for the car.", part=p.get("part"), number=p.get("number"),
                                                 plate=p.get("plate")))


_notice_texts()
