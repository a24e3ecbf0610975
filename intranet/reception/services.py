"""Reception and the advisor's repair order: check-in, editing with an optimistic lock, lines,
menu items (canned jobs). Functions flush; the caller commits."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from intranet import clock
from intranet.core import hooks
from intranet.core.billing import decimal_from, money
from intranet.core.models import (
    RO_ON_SITE, CannedJob, InsurerPayment, LineKind, PayType, RepairOrder, RepairOrderEvent, RepairOrderLine, ROStatus,
    Vehicle,
)
from intranet.core.photos import save_photo
from intranet.core.services import (
    claim, find_vehicle_by_plate, get_owned, get_store, open_repair_order, transition_repair_order,
)
from intranet.errors import Conflict, DomainError, NotFound
from intranet.extensions import db
from intranet.live.services import bump
from intranet.reception.models import (
    DAMAGE_KINDS, PANELS, AnswerChannel, DamageMark, Finding, FindingStatus, WalkAround,
)

# Lines may be changed until the car is handed back.
EDITABLE = frozenset(ROStatus) - {ROStatus.DELIVERED, ROStatus.CLOSED, ROStatus.CANCELLED}


def check_in(*, store_id: int, actor_id: int, vehicle_id: int | None = None, plate: str | None = None,
             odometer_km: int | None = None, odometer_reason: str | None = None,
             complaint: str | None = None, origin_token: str | None = None) -> RepairOrder:
    """Open a repair order for the car (by id, or by its plate) and announce it on the boards.
    The same `origin_token` twice (a double-tapped submit) returns the first repair order."""
    if vehicle_id is None:
        vehicle_id = find_vehicle_by_plate(store_id, plate or "").id
    claim(Vehicle, vehicle_id)  # the same car checked in at this moment on another tablet: that one goes first
    if origin_token:
        earlier = db.session.scalar(select(RepairOrder).where(RepairOrder.origin_token == origin_token))
        if earlier is not None:
            return earlier
    try:
        with db.session.begin_nested():
            ro = open_repair_order(store_id=store_id, vehicle_id=vehicle_id, actor_id=actor_id,
                                   odometer_km=odometer_km, odometer_reason=odometer_reason, complaint=complaint)
            ro.origin_token = origin_token or None
            db.session.flush()
    except IntegrityError:
        # the same form arrived twice at once, or the same car was checked in twice at the same moment
        # (one repair order on site per car: a unique index): the first one made the repair order
        earlier = db.session.scalar(select(RepairOrder).where(RepairOrder.origin_token == origin_token)) \
            if origin_token else None
        earlier = earlier or db.session.scalar(select(RepairOrder).where(
            RepairOrder.vehicle_id == vehicle_id, RepairOrder.status.in_([str(s) for s in RO_ON_SITE])))
        if earlier is None:
            raise
        return earlier
    bump(store_id, "today", "workshop")
    return ro


class StaleEdit(Conflict):
    """The form was loaded at an older version; `events` are the changes made since."""

    def __init__(self, message, events: list[RepairOrderEvent]):
        super().__init__(message)
        self.events = events


def get_repair_order(ro_id: int, store_id: int) -> RepairOrder:
    return get_owned(RepairOrder, ro_id, store_id, _l("No such repair order."))


# What an advisor edits on the repair order's header, with the label shown in its history.
HEADER_FIELDS = {
    "complaint": _l("Customer's words"),
    "promised_at": _l("Promised delivery"),
    "key_tag": _l("Key tag"),
    "pay_type": _l("Default payer"),
    "insurer": _l("Insurer"),
    "claim_number": _l("Claim number"),
    "assessor": _l("Assessor"),
    "assessed_amount": _l("Assessed amount"),
    "insurer_payment": _l("Insurer payment"),
    "warranty_claim_ref": _l("Warranty claim"),
}


# Fields holding a state whose name people read: the history shows its label, not the stored value.
_LABELLED_FIELDS = {"pay_type": PayType, "insurer_payment": InsurerPayment}


def _shown(value, tz: str, name: str | None = None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return clock.to_store_time(value, tz).strftime("%m-%d %H:%M")
    kind = _LABELLED_FIELDS.get(name)
    if kind is not None:
        try:
            return str(kind(value).label)  # 客户 → 保险, not "customer → insurance"
        except ValueError:
            return str(value)
    return str(value)


def changes_since(ro: RepairOrder, version: int) -> list[RepairOrderEvent]:
    return [e for e in ro.events if e.version is not None and e.version > version]


def rebase(ro: RepairOrder, posted: dict, events: list[RepairOrderEvent]) -> dict:
    """After a refused stale save: the fields a colleague changed meanwhile that this person left
    as they were, with the colleague's (current) value — so saving again keeps both people's work."""
    tz = get_store(ro.store_id).timezone
    by_label = {str(label): name for name, label in HEADER_FIELDS.items()}
    rebased = {}
    for event in events:
        for label, old, _new in event.changes:
            name = by_label.get(label)
            if name and name in posted and _shown(posted[name], tz, name) == old:
                rebased[name] = getattr(ro, name)
    return rebased


def update_repair_order(ro_id: int, *, store_id: int, actor_id: int, expected_version: int,
                        **values) -> RepairOrder:
    """Save the header. A form loaded at an older version is refused with what changed since,
    never saved over a colleague's edit."""
    ro = get_repair_order(ro_id, store_id)
    if ro.version != expected_version:
        raise StaleEdit(_l("Someone else saved repair order %(number)s while you were editing. Their changes "
                           "are shown below; your entries are still in the form — check and save again.",
                           number=ro.number), changes_since(ro, expected_version))
    if ro.status_enum not in EDITABLE:
        raise DomainError(_l("Repair order %(number)s is %(status)s and can no longer be changed.",
                             number=ro.number, status=ro.status_enum.label))
    unknown = set(values) - set(HEADER_FIELDS)
    if unknown:
        raise ValueError(f"not editable here: {sorted(unknown)}")
    values["pay_type"] = PayType(values.get("pay_type") or ro.pay_type)
    values["insurer_payment"] = InsurerPayment(values.get("insurer_payment") or ro.insurer_payment)
    if values.get("assessed_amount") is not None and values["assessed_amount"] < 0:
        raise DomainError(_l("The assessed amount cannot be negative."), field="assessed_amount")
    # a field not sent keeps what is stored (answering a finding moves only the promise of an insurance
    # or warranty repair order); one sent empty is judged empty
    if values["pay_type"] == PayType.INSURANCE and not (values.get("insurer", ro.insurer) or "").strip():
        raise DomainError(_l("An insurance repair order needs the insurer."), field="insurer")
    if values["pay_type"] == PayType.WARRANTY and not (values.get("warranty_claim_ref", ro.warranty_claim_ref)
                                                       or "").strip():
        raise DomainError(_l("A warranty repair order needs the claim reference."), field="warranty_claim_ref")
    if "key_tag" in values:  # the key gets its numbered tag: the key board follows it from here
        typed = (values["key_tag"] or "").strip() or None
        answers = hooks.key_tag_set.send(store_id=store_id, repair_order_id=ro.id, code=typed, actor_id=actor_id)
        values["key_tag"] = answers[0] if answers else typed
    tz = get_store(store_id).timezone
    changes = []
    for name in (n for n in HEADER_FIELDS if n in values):  # history lists fields in the form's order
        new = values[name]
        if isinstance(new, str):
            new = new.strip() or None
        old = getattr(ro, name)
        if _shown(old, tz, name) != _shown(new, tz, name):
            changes.append([str(HEADER_FIELDS[name]), _shown(old, tz, name), _shown(new, tz, name)])
            setattr(ro, name, new)
    if not changes:
        return ro
    ro.updated_at = clock.utcnow()
    db.session.flush()  # the version moves here (and a concurrent save fails on it)
    ro.events.append(RepairOrderEvent(from_status=ro.status, to_status=ro.status, actor_id=actor_id,
                                      at=ro.updated_at, changes_json=json.dumps(changes, ensure_ascii=False),
                                      version=ro.version))
    db.session.flush()
    bump(store_id, "today", "workshop")
    return ro


class DeliverAtSettlement(DomainError):
    """Handing a car back is not a plain status move: it goes through settlement.deliver."""


def move_repair_order(ro_id: int, to: str, *, store_id: int, actor_id: int, expected_version: int,
                      note: str | None = None) -> RepairOrder:
    """A status button on the repair order: any legal move except delivery, and the boards hear of it."""
    ro = get_repair_order(ro_id, store_id)
    try:
        target = ROStatus(to)
    except ValueError:
        raise DomainError(_l("Unknown status.")) from None
    if target == ROStatus.DELIVERED:
        raise DeliverAtSettlement(_l("A car is handed back from the settlement page, after payment and the "
                                     "delivery checklist."))
    transition_repair_order(ro.id, target, actor_id=actor_id, note=note, expected_version=expected_version)
    bump(store_id, "today", "workshop")
    return ro


def _editable_lines(ro: RepairOrder) -> None:
    if ro.status_enum not in EDITABLE:
        raise DomainError(_l("Repair order %(number)s is %(status)s: its lines can no longer be changed.",
                             number=ro.number, status=ro.status_enum.label))


def _log_lines(ro: RepairOrder, actor_id: int, note: str) -> None:
    ro.events.append(RepairOrderEvent(from_status=ro.status, to_status=ro.status, actor_id=actor_id,
                                      at=clock.utcnow(), note=note))


def add_line(ro_id: int, *, store_id: int, actor_id: int, kind: str, description: str, quantity,
             unit_price=None, pay_type: str | None = None, code: str | None = None,
             team: str | None = None) -> RepairOrderLine:
    """Add a line. A labour line goes to its workshop team's job on this car (made if needed), so
    it appears on the dispatch board."""
    ro = get_repair_order(ro_id, store_id)
    _editable_lines(ro)
    kind = LineKind(kind)
    description = (description or "").strip()
    if not description:
        raise DomainError(_l("Describe the operation or the part."), field="description")
    quantity = decimal_from(quantity, "quantity")
    if quantity <= 0:
        raise DomainError(_l("Hours or quantity must be more than zero."), field="quantity")
    if unit_price in (None, "") and kind == LineKind.LABOUR:
        unit_price = get_store(store_id).labour_rate
    if unit_price in (None, ""):
        raise DomainError(_l("Enter the unit price."), field="unit_price")
    unit_price = money(decimal_from(unit_price, "unit_price"))
    if unit_price < 0:
        raise DomainError(_l("A price cannot be negative."), field="unit_price")
    line = RepairOrderLine(kind=kind, description=description[:200], quantity=quantity, unit_price=unit_price,
                           pay_type=PayType(pay_type or ro.pay_type), code=(code or "").strip() or None,
                           position=max((line.position for line in ro.lines), default=0) + 1,
                           team=(team or None) if kind == LineKind.LABOUR else None)
    ro.lines.append(line)
    _log_lines(ro, actor_id, f"+ {line.description}")
    db.session.flush()
    hooks.line_added.send(line=line, store_id=store_id, actor_id=actor_id)  # labour joins a job, a part is held
    return line


def remove_line(ro_id: int, line_id: int, *, store_id: int, actor_id: int) -> None:
    ro = get_repair_order(ro_id, store_id)
    _editable_lines(ro)
    line = next((line for line in ro.lines if line.id == line_id), None)
    if line is None:
        raise NotFound(_l("That line was already removed (perhaps by a colleague)."))
    if line.part_id:
        raise DomainError(_l("This part was issued by the parts counter: it comes off the bill when it is "
                             "returned there."))
    hooks.line_removed.send(line=line)  # its job shrinks, what was held for it goes back
    ro.lines.remove(line)
    _log_lines(ro, actor_id, f"− {line.description}")
    db.session.flush()


def apply_canned_job(ro_id: int, canned_job_id: int, *, store_id: int, actor_id: int) -> list[RepairOrderLine]:
    job = db.session.get(CannedJob, canned_job_id)
    if job is None or job.store_id != store_id or not job.active:
        raise NotFound(_l("No such menu item."))
    return [add_line(ro_id, store_id=store_id, actor_id=actor_id, kind=item.kind, description=item.description,
                     quantity=item.quantity, unit_price=item.unit_price, code=item.code, team=item.team)
            for item in job.lines]


def canned_jobs(store_id: int) -> list[CannedJob]:
    return list(db.session.scalars(
        select(CannedJob).where(CannedJob.store_id == store_id, CannedJob.active.is_(True)).order_by(CannedJob.code)))


# ------------------------------------------------------------------ findings during repair

ON_SITE_FOR_FINDINGS = frozenset({ROStatus.CHECKED_IN, ROStatus.IN_WORKSHOP, ROStatus.WAITING_APPROVAL,
                                  ROStatus.WAITING_PARTS, ROStatus.QUALITY_CHECK})


def report_finding(ro_id: int, *, store_id: int, actor_id: int, description: str, labour_hours=0,
                   parts_description: str | None = None, parts_amount=0, photos=(), photo_folder=None) -> Finding:
    """A technician (or anyone on the floor) reports extra work; it goes to the advisor's queue and
    the car waits for the customer's answer."""
    ro = get_repair_order(ro_id, store_id)
    if ro.status_enum not in ON_SITE_FOR_FINDINGS:
        raise DomainError(_l("Repair order %(number)s is %(status)s: findings can no longer be reported on it.",
                             number=ro.number, status=ro.status_enum.label))
    description = (description or "").strip()
    if not description:
        raise DomainError(_l("Describe what was found."), field="description")
    hours = decimal_from(labour_hours or 0, "labour_hours")
    amount = money(decimal_from(parts_amount or 0, "parts_amount"))
    if hours < 0 or amount < 0:
        raise DomainError(_l("Hours and amounts cannot be negative."), field="labour_hours")
    finding = Finding(store_id=store_id, repair_order_id=ro.id, vehicle_id=ro.vehicle_id, description=description,
                      labour_hours=hours, parts_description=(parts_description or "").strip() or None,
                      parts_amount=amount, reported_by_id=actor_id, reported_at=clock.utcnow())
    db.session.add(finding)
    db.session.flush()
    for upload in photos:
        save_photo(upload, store_id=store_id, taken_by_id=actor_id, folder=photo_folder, finding_id=finding.id)
    if ro.status_enum == ROStatus.IN_WORKSHOP:
        transition_repair_order(ro.id, ROStatus.WAITING_APPROVAL, actor_id=actor_id, note=description[:200])
    bump(store_id, "today", "workshop")
    return finding


def _finding(finding_id: int, store_id: int) -> Finding:
    return get_owned(Finding, finding_id, store_id, _l("No such finding."))


def _lines_for(finding: Finding, ro_id: int, *, store_id: int, actor_id: int) -> None:
    if finding.labour_hours and finding.labour_hours > 0:
        add_line(ro_id, store_id=store_id, actor_id=actor_id, kind=LineKind.LABOUR,
                 description=finding.description[:200], quantity=finding.labour_hours)
    if finding.parts_amount and finding.parts_amount > 0:
        add_line(ro_id, store_id=store_id, actor_id=actor_id, kind=LineKind.PART,
                 description=(finding.parts_description or finding.description)[:200], quantity=1,
                 unit_price=finding.parts_amount)


def answer_finding(finding_id: int, *, store_id: int, actor_id: int, approved: bool, channel: str,
                   decline_reason: str | None = None, promised_at: datetime | None = None) -> Finding:
    """Record the customer's answer. Approving adds the work to the repair order and moves the
    promise if given; declining keeps it on the vehicle, with the reason, for the next visit."""
    finding = _finding(finding_id, store_id)
    if finding.status_enum != FindingStatus.WAITING:
        raise Conflict(_l("This finding was already answered (%(status)s).", status=finding.status_enum.label))
    try:
        channel = AnswerChannel(channel)
    except ValueError:
        raise DomainError(_l("How did the customer answer: in person, by phone or by message?"),
                          field="channel") from None
    ro = finding.repair_order
    if approved:
        _lines_for(finding, ro.id, store_id=store_id, actor_id=actor_id)
        finding.status = FindingStatus.APPROVED
        if promised_at is not None and promised_at != ro.promised_at:
            update_repair_order(ro.id, store_id=store_id, actor_id=actor_id, expected_version=ro.version,
                                promised_at=promised_at)
    else:
        reason = (decline_reason or "").strip()
        if not reason:
            raise DomainError(_l("Note why the customer declined (price, time, next visit…)."),
                              field="decline_reason")
        finding.status, finding.decline_reason = FindingStatus.DECLINED, reason[:200]
    finding.answer_channel, finding.answered_at, finding.answered_by_id = channel, clock.utcnow(), actor_id
    db.session.flush()
    still_waiting = db.session.scalar(select(func.count()).select_from(Finding).where(
        Finding.repair_order_id == ro.id, Finding.status == FindingStatus.WAITING))
    if ro.status_enum == ROStatus.WAITING_APPROVAL and not still_waiting:
        transition_repair_order(ro.id, ROStatus.IN_WORKSHOP, actor_id=actor_id)
    bump(store_id, "today", "workshop")
    return finding


def take_up_declined(finding_id: int, ro_id: int, *, store_id: int, actor_id: int) -> Finding:
    """Work declined on an earlier visit, accepted now: its lines go on this repair order."""
    finding = _finding(finding_id, store_id)
    ro = get_repair_order(ro_id, store_id)
    if finding.status_enum != FindingStatus.DECLINED or finding.vehicle_id != ro.vehicle_id:
        raise Conflict(_l("This work is no longer open on this car."))
    _lines_for(finding, ro.id, store_id=store_id, actor_id=actor_id)
    finding.status, finding.approved_on_id = FindingStatus.DONE_LATER, ro.id
    db.session.flush()
    return finding


def declined_work(vehicle_id: int) -> list[Finding]:
    return list(db.session.scalars(
        select(Finding).options(selectinload(Finding.repair_order))
        .where(Finding.vehicle_id == vehicle_id, Finding.status == FindingStatus.DECLINED)
        .order_by(Finding.reported_at.desc())))


def findings_on(ro_id: int) -> list[Finding]:
    return list(db.session.scalars(
        select(Finding).options(selectinload(Finding.photos), joinedload(Finding.reported_by),
                                joinedload(Finding.answered_by))
        .where(Finding.repair_order_id == ro_id).order_by(Finding.reported_at)))


def waiting_findings(store_id: int, advisor_id: int | None = None) -> list[Finding]:
    """The advisor's queue: findings whose customer has not answered yet, oldest first."""
    stmt = (select(Finding).join(Finding.repair_order)
            .options(joinedload(Finding.repair_order).joinedload(RepairOrder.vehicle),
                     joinedload(Finding.repair_order).joinedload(RepairOrder.customer))
            .where(Finding.store_id == store_id, Finding.status == FindingStatus.WAITING)
            .order_by(Finding.reported_at))
    if advisor_id is not None:
        stmt = stmt.where(RepairOrder.advisor_id == advisor_id)
    return list(db.session.scalars(stmt))


# ------------------------------------------------------------------ comebacks


def comeback_candidates(ro: RepairOrder) -> list[RepairOrder]:
    """Earlier visits of the same car handed back within the store's comeback window."""
    window = timedelta(days=get_store(ro.store_id).comeback_days)
    return list(db.session.scalars(select(RepairOrder).where(
        RepairOrder.vehicle_id == ro.vehicle_id, RepairOrder.id != ro.id,
        RepairOrder.delivered_at.is_not(None), RepairOrder.delivered_at <= ro.opened_at,
        RepairOrder.delivered_at >= ro.opened_at - window).order_by(RepairOrder.delivered_at.desc())))


def mark_comeback(ro_id: int, original_id: int | None, *, store_id: int, actor_id: int) -> RepairOrder:
    """Link this repair order to the earlier one whose work it redoes (or unlink with None)."""
    ro = get_repair_order(ro_id, store_id)
    if original_id is not None and original_id not in {c.id for c in comeback_candidates(ro)}:
        raise DomainError(_l("A comeback must be an earlier visit of the same car, delivered within %(days)d days.",
                             days=get_store(store_id).comeback_days), field="original_id")
    previous = ro.comeback_of.number if ro.comeback_of else None
    ro.comeback_of_id = original_id
    db.session.flush()
    db.session.refresh(ro, ["comeback_of"])
    ro.events.append(RepairOrderEvent(from_status=ro.status, to_status=ro.status, actor_id=actor_id,
                                      at=clock.utcnow(), changes_json=json.dumps(
                                          [[str(_l("Comeback of")), previous or "—",
                                            ro.comeback_of.number if ro.comeback_of else "—"]], ensure_ascii=False)))
    db.session.flush()
    return ro


def comeback_rate(store_id: int, start: datetime, end: datetime):
    """(comebacks, repair orders, rate) among repair orders opened in [start, end) UTC; rate None if none."""
    opened = RepairOrder.store_id == store_id, RepairOrder.opened_at >= start, RepairOrder.opened_at < end, \
        RepairOrder.status != ROStatus.CANCELLED
    total = db.session.scalar(select(func.count()).select_from(RepairOrder).where(*opened))
    comebacks = db.session.scalar(select(func.count()).select_from(RepairOrder).where(
        *opened, RepairOrder.comeback_of_id.is_not(None)))
    return comebacks, total, (comebacks / total if total else None)


# ------------------------------------------------------------------ walk-around check


def record_walk_around(ro_id: int, *, store_id: int, actor_id: int, fuel_eighths: int | None,
                       valuables: str | None, interior_note: str | None, marks: list[dict],
                       signature_png: bytes | None = None, signed_name: str | None = None,
                       photo_folder=None) -> WalkAround:
    """Save the walk-around with its damage marks (panel, kind, note, photo). Once the customer has
    signed it, it is the record of how the car came in and can no longer be changed."""
    ro = get_repair_order(ro_id, store_id)
    if ro.status_enum not in ON_SITE_FOR_FINDINGS:
        raise DomainError(_l("Repair order %(number)s is %(status)s: the walk-around is done at reception.",
                             number=ro.number, status=ro.status_enum.label))
    check = db.session.scalar(select(WalkAround).where(WalkAround.repair_order_id == ro.id))
    if check is not None and check.signed_at is not None:
        raise Conflict(_l("The customer signed this walk-around at %(time)s; it can no longer be changed.",
                          time=clock.to_store_time(check.signed_at, get_store(store_id).timezone).strftime("%H:%M")))
    if fuel_eighths is not None and not 0 <= fuel_eighths <= 8:
        raise DomainError(_l("Fuel level is from empty to full."), field="fuel_eighths")
    for mark in marks:
        if mark.get("panel") not in PANELS or mark.get("kind") not in DAMAGE_KINDS:
            raise DomainError(_l("Choose the panel and the kind of each damage mark."), field="marks")
    if check is None:
        check = WalkAround(repair_order_id=ro.id)
        db.session.add(check)
    check.fuel_eighths = fuel_eighths
    check.valuables = (valuables or "").strip()[:200] or None
    check.interior_note = (interior_note or "").strip()[:200] or None
    check.checked_by_id, check.checked_at = actor_id, clock.utcnow()
    check.marks.clear()
    db.session.flush()
    for mark in marks:
        photo = None
        if mark.get("photo") is not None:
            photo = save_photo(mark["photo"], store_id=store_id, taken_by_id=actor_id, folder=photo_folder,
                               field="marks")
        check.marks.append(DamageMark(panel=mark["panel"], kind=mark["kind"],
                                      note=(mark.get("note") or "").strip()[:200] or None, photo=photo))
    if signature_png:
        import io

        signature = save_photo(io.BytesIO(signature_png), store_id=store_id, taken_by_id=actor_id,
                               folder=photo_folder, field="signature")
        check.signature_photo_id, check.signed_at = signature.id, clock.utcnow()
        check.signed_name = (signed_name or (ro.customer.name if ro.customer else "") or "").strip()[:64] or None
    db.session.flush()
    signed = str(_l(", signed by the customer")) if signature_png else ""
    _log_lines(ro, actor_id, str(_l("Walk-around: %(n)d damage mark(s)%(signed)s", n=len(marks), signed=signed)))
    db.session.flush()
    return check


def walk_around_of(ro_id: int) -> WalkAround | None:
    return db.session.scalar(select(WalkAround).where(WalkAround.repair_order_id == ro_id))
