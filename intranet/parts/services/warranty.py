"""The warranty mark (索赔件) on a parts request, both ways: the warranty clerk may refuse a request
the counter sent for sign-off (with a reason; the advisor and the counter are told), and the counter
may take back a wrong mark — on a request not yet issued, or on one issued whose old part is still
held (the bill line goes back to the repair order's payer, the old part leaves the warranty ledger).
Every change is a `PartsEvent` of the request (subject "parts_request": from, to, who, why)."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from intranet import clock
from intranet.core import notices
from intranet.core.models import RO_ON_SITE, PayType, RepairOrder, Role, User, UserRole
from intranet.core.services import claim, get_owned
from intranet.errors import Conflict, DomainError
from intranet.extensions import db
from intranet.live.services import bump
from intranet.parts.models import OldPart, OldPartStatus, Part, PartsEvent
from intranet.parts.services.counter import BOARDS, _bill_line
from intranet.workshop.models import OPEN_PARTS_REQUEST, PartsRequest, PartsRequestStatus

SUBJECT = "parts_request"
REFUSED_NOTICE = "warranty_refused"
REASON_LENGTH = 200


def _payer(ro: RepairOrder) -> PayType:
    """Who pays for a part that is not a warranty part: the repair order's payer (the customer when
    the repair order itself is a warranty one)."""
    payer = PayType(ro.pay_type)
    return PayType.CUSTOMER if payer == PayType.WARRANTY else payer


def _record(request: PartsRequest, to: str, *, actor_id: int, note: str | None) -> None:
    db.session.add(PartsEvent(store_id=request.store_id, subject=SUBJECT, subject_id=request.id,
                              from_status=PayType.WARRANTY, to_status=to, actor_id=actor_id, at=clock.utcnow(),
                              note=note))


def _reason(reason: str | None, *, required: bool) -> str | None:
    reason = " ".join((reason or "").split())
    if required and not reason:
        raise DomainError(_l("Say why it is not a warranty part: the advisor and the counter read it."),
                          field="reason")
    if len(reason) > REASON_LENGTH:
        raise DomainError(_l("The reason is at most %(n)d characters.", n=REASON_LENGTH), field="reason")
    return reason or None


def refuse_warranty(request_id: int, *, store_id: int, actor: User, reason: str | None) -> PartsRequest:
    """The warranty clerk refuses a request the counter marked as a warranty part: it goes back to the
    repair order's payer, and the car's advisor and the parts counter get a notice with the reason. A
    second tap (the request no longer waits) answers with the first refusal."""
    if not actor.has_role(Role.WARRANTY):
        raise DomainError(_l("Only the warranty clerk refuses warranty parts."))
    why = _reason(reason, required=True)
    claim(PartsRequest, request_id)
    request = get_owned(PartsRequest, request_id, store_id, _l("No such parts request."))
    if request.pay_type != PayType.WARRANTY:
        last = _last_event(request.id)
        if last is not None and last.actor_id == actor.id and last.note == why:
            return request  # a double tap: the first refused it
        raise Conflict(_l("This request is no longer waiting for a warranty sign-off."))
    if request.status not in OPEN_PARTS_REQUEST:
        raise Conflict(_l("This request is already %(status)s.", status=request.status_enum.label))
    if request.warranty_signed_by_id:
        raise Conflict(_l("This request is already signed off as a warranty part."))
    ro = request.repair_order
    request.pay_type = _payer(ro)
    _record(request, request.pay_type, actor_id=actor.id, note=why)
    db.session.flush()
    counter = db.session.scalars(select(UserRole.user_id).join(User, User.id == UserRole.user_id).where(
        User.store_id == store_id, User.active.is_(True), UserRole.role == str(Role.PARTS)))
    told = {"plate": ro.vehicle.plate, "number": ro.number, "part": request.description, "reason": why,
            "by": actor.display_name}
    notices.notify(store_id, [ro.advisor_id], REFUSED_NOTICE, told, link=f"/reception/ro/{ro.id}")
    notices.notify(store_id, [u for u in counter if u != ro.advisor_id], REFUSED_NOTICE, told, link="/parts/")
    bump(store_id, *BOARDS)
    return request


def undo_warranty_mark(request_id: int, *, store_id: int, actor: User, note: str | None = None) -> PartsRequest:
    """The counter takes back a wrong 索赔件 tap: the request is the repair order's payer's again and
    any sign-off is withdrawn. Once issued, only while the old part is still held and the car is
    still here: the bill line moves to the payer and the old part leaves the warranty ledger."""
    if not actor.has_role(Role.PARTS, Role.DIRECTOR):
        raise DomainError(_l("The parts counter takes back its warranty mark."))
    why = _reason(note, required=False)
    claim(PartsRequest, request_id)
    request = get_owned(PartsRequest, request_id, store_id, _l("No such parts request."))
    if request.pay_type != PayType.WARRANTY:
        raise Conflict(_l("This request is not marked as a warranty part."))
    ro = request.repair_order
    payer = _payer(ro)
    if request.status == PartsRequestStatus.ISSUED:
        _undo_issued(request, ro, payer)
    elif request.status not in OPEN_PARTS_REQUEST:
        raise Conflict(_l("This request is already %(status)s.", status=request.status_enum.label))
    request.pay_type = payer
    request.warranty_signed_by_id, request.warranty_signed_at = None, None
    _record(request, payer, actor_id=actor.id, note=why or _("warranty mark taken back"))
    db.session.flush()
    bump(store_id, *BOARDS)
    return request


def _undo_issued(request: PartsRequest, ro: RepairOrder, payer: PayType) -> None:
    old = db.session.scalar(select(OldPart).where(OldPart.parts_request_id == request.id))
    if old is not None and old.status != OldPartStatus.HELD:
        raise Conflict(_l("Its old part is already %(status)s: the warranty mark stays.",
                          status=old.status_enum.label))
    if ro.status_enum not in RO_ON_SITE:
        raise Conflict(_l("Repair order %(number)s is %(status)s: its bill no longer changes.",
                          number=ro.number, status=ro.status_enum.label))
    part = db.session.get(Part, request.part_id)
    quantity = Decimal(request.quantity)
    line = next((ln for ln in ro.lines if ln.part_id == part.id and ln.pay_type == PayType.WARRANTY), None)
    if line is not None:
        left = Decimal(line.quantity) - quantity
        if left > 0:
            line.quantity = left
        else:
            ro.lines.remove(line)
    _bill_line(ro, part, quantity, payer)
    if old is not None:
        old.warranty, old.claim_number = False, None


def _last_event(request_id: int) -> PartsEvent | None:
    return db.session.scalar(select(PartsEvent).where(PartsEvent.subject == SUBJECT, PartsEvent.subject_id == request_id)
                             .order_by(PartsEvent.id.desc()).limit(1))


def history(request_ids) -> dict[int, list[PartsEvent]]:
    """The warranty mark's changes of these requests, newest first (one query)."""
    ids = list(request_ids)
    found: dict[int, list[PartsEvent]] = {}
    if not ids:
        return found
    for event in db.session.scalars(select(PartsEvent).where(PartsEvent.subject == SUBJECT,
                                                             PartsEvent.subject_id.in_(ids))
                                    .order_by(PartsEvent.id.desc())):
        found.setdefault(event.subject_id, []).append(event)
    return found


def _refused_text(p: dict) -> str:
    return _("%(by)s refused %(part)s on %(plate)s (%(number)s) as a warranty part: %(reason)s. It goes on the "
             "repair order's payer.", by=p.get("by"), part=p.get("part"), plate=p.get("plate"),
             number=p.get("number"), reason=p.get("reason"))


notices.register(REFUSED_NOTICE, _refused_text)
