"""Complaints (投诉处理), a closed loop: register (who, when, channel, what) → judge whether justified
(not justified: the explanation given is recorded, and that is the end) → investigate the cause and
who is responsible → propose solutions → a manager approves one → carry it out → the customer
confirms (signature or recorded confirmation) → call back → closed.

Each step has a due time from the store's care settings; the reminder job tells the handler when a
step is late, the supervisor later, management later still. Every move is a CareEvent."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from intranet import clock
from intranet.care.models import (
    COMPLAINT_OPEN,
    COMPLAINT_TRANSITIONS,
    CareEvent,
    CareSettings,
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintSolution,
    ComplaintStatus,
    Department,
)
from intranet.care.settings import settings_for
from intranet.care.staff import supervisor_of
from intranet.core import notices, transitions
from intranet.core.photos import save_photo
from intranet.core.models import Customer, RepairOrder, Role, User, Vehicle
from intranet.core.services import get_owned, get_store, holders_of, next_number
from intranet.errors import Conflict, DomainError, IllegalTransition, NotFound
from intranet.extensions import db

SUBJECT = "complaint"


def page_link(complaint: Complaint) -> str:
    return f"/care/complaints/{complaint.id}"


def supervisor_id(store_id: int) -> int | None:
    return supervisor_of(store_id)


def step_hours(settings: CareSettings, status: ComplaintStatus) -> int | None:
    """How long the step that starts with `status` may take (None: no step, the case is over)."""
    if status == ComplaintStatus.INVESTIGATING:
        return settings.complaint_investigate_hours
    if status == ComplaintStatus.CARRYING_OUT:
        return settings.complaint_carry_out_hours
    if status in (ComplaintStatus.CLOSED, ComplaintStatus.UNJUSTIFIED):
        return None
    return settings.complaint_step_hours


def _number(store, day) -> str:
    """SH01-TS-20261124-01: the store, 投诉 (TS), the store-local day, the day's sequence."""
    plain = next_number(store, "CP", day)  # CODE-YYYYMMDD-NNN
    code, _day, seq = plain.rsplit("-", 2)
    return f"{code}-TS-{day:%Y%m%d}-{int(seq):02d}"


def _choice(enum_cls, value, field: str, message):
    try:
        return enum_cls(str(value))
    except ValueError:
        raise DomainError(message, field=field) from None


def register_complaint(*, store_id: int, customer_id: int, actor_id: int | None, channel, category,
                       description: str, received_at: datetime | None = None,
                       repair_order_id: int | None = None, vehicle_id: int | None = None) -> Complaint:
    """Register a complaint: numbered, the RO's advisor noted, handed to the care supervisor with the
    judging step's due time; the supervisor is told."""
    store = get_store(store_id)
    customer = get_owned(Customer, customer_id, store_id, _l("No such customer."))
    description = (description or "").strip()
    if not description:
        raise DomainError(_l("Write what the customer complains about."), field="description")
    channel = _choice(ComplaintChannel, channel, "channel", _l("Choose how the complaint came in."))
    category = _choice(ComplaintCategory, category, "category", _l("Choose the complaint's category."))
    now = clock.utcnow()
    received_at = received_at or now
    if received_at > now + timedelta(minutes=5):
        raise DomainError(_l("The complaint cannot be received in the future."), field="received_at")
    ro = None
    if repair_order_id:
        ro = get_owned(RepairOrder, repair_order_id, store_id, _l("No such repair order."))
        if ro.customer_id != customer.id:
            raise DomainError(_l("That repair order belongs to another customer."), field="repair_order_id")
        vehicle_id = vehicle_id or ro.vehicle_id
    if vehicle_id:
        vehicle = get_owned(Vehicle, vehicle_id, store_id, _l("No such vehicle."))
        if vehicle.customer_id != customer.id:
            raise DomainError(_l("That car belongs to another customer."), field="vehicle_id")
    settings = settings_for(store_id)
    day = clock.to_store_time(received_at, store.timezone).date()
    complaint = Complaint(
        store_id=store_id, number=_number(store, day), customer_id=customer.id, vehicle_id=vehicle_id,
        repair_order_id=ro.id if ro else None, advisor_id=ro.advisor_id if ro else None,
        channel=str(channel), category=str(category), received_at=received_at, registered_by_id=actor_id,
        description=description[:4000], status=ComplaintStatus.REGISTERED, handler_id=supervisor_id(store_id),
        step_due_at=now + timedelta(hours=step_hours(settings, ComplaintStatus.REGISTERED)), created_at=now)
    db.session.add(complaint)
    db.session.flush()
    transitions.opened(complaint, event_model=CareEvent, subject=SUBJECT, actor_id=actor_id,
                       note=description[:200])
    if complaint.handler_id:
        notices.notify(store_id, [complaint.handler_id], "complaint_assigned",
                       {"number": complaint.number, "name": customer.name, "step": str(complaint.status)},
                       link=page_link(complaint))
    db.session.flush()
    return complaint


# ---------------------------------------------------------------- who does what
# the steps in order (the progress line), with who may take each one
STEPS = (ComplaintStatus.REGISTERED, ComplaintStatus.INVESTIGATING, ComplaintStatus.PROPOSING,
         ComplaintStatus.APPROVING, ComplaintStatus.CARRYING_OUT, ComplaintStatus.CONFIRMING,
         ComplaintStatus.CALLING_BACK, ComplaintStatus.CLOSED)
CARE_STAFF = (Role.CARE, Role.DIRECTOR, Role.MANAGER)
APPROVERS = (Role.MANAGER, Role.DIRECTOR)
STEP_ROLES = {
    ComplaintStatus.REGISTERED: CARE_STAFF,
    ComplaintStatus.INVESTIGATING: (*CARE_STAFF, Role.CONTROLLER),
    ComplaintStatus.PROPOSING: (*CARE_STAFF, Role.CONTROLLER),
    ComplaintStatus.APPROVING: APPROVERS,
    ComplaintStatus.CARRYING_OUT: (*CARE_STAFF, Role.CONTROLLER, Role.ADVISOR),
    ComplaintStatus.CONFIRMING: (*CARE_STAFF, Role.CONTROLLER, Role.ADVISOR),
    ComplaintStatus.CALLING_BACK: CARE_STAFF,
}
REGISTER_ROLES = (*CARE_STAFF, Role.ADVISOR, Role.CONTROLLER)
CONFIRMATION_KINDS = ("signature", "recorded")


def _refusal(current: ComplaintStatus):
    return _l("This complaint is at “%(status)s”: that step is not open now.", status=current.label)


def get_complaint(complaint_id: int, store_id: int) -> Complaint:
    found = db.session.scalar(
        select(Complaint).options(
            joinedload(Complaint.customer), joinedload(Complaint.vehicle), joinedload(Complaint.repair_order),
            joinedload(Complaint.advisor), joinedload(Complaint.handler), joinedload(Complaint.responsible),
            joinedload(Complaint.registered_by), joinedload(Complaint.approved_by),
            selectinload(Complaint.solutions).joinedload(ComplaintSolution.proposed_by))
        .where(Complaint.id == complaint_id))
    if found is None or found.store_id != store_id:
        raise NotFound(_l("No such complaint."))
    return found


def _actor(actor_id: int | None, store_id: int) -> User | None:
    if actor_id is None:
        return None
    user = db.session.get(User, actor_id)
    if user is None or user.store_id != store_id:
        raise NotFound(_l("No such person."))
    return user


def may_act(user: User | None, status) -> bool:
    """Whether `user`'s roles let them take the step open at `status` (None: the system may)."""
    if user is None:
        return True
    roles = STEP_ROLES.get(ComplaintStatus(status))
    return bool(roles) and user.has_role(*roles)


def _check_actor(complaint: Complaint, actor_id: int | None, step: ComplaintStatus) -> User | None:
    user = _actor(actor_id, complaint.store_id)
    if user is None or user.has_role(*STEP_ROLES[step]):
        return user
    if step == ComplaintStatus.APPROVING:
        raise DomainError(_l("Only a manager or the after-sales director approves a complaint's solution."),
                          field="solution_id")
    raise DomainError(_l("Your role cannot take the step “%(step)s” of a complaint.", step=step.label))


def _check_version(complaint: Complaint, version) -> None:
    if version in (None, ""):
        return
    try:
        expected = int(version)
    except (TypeError, ValueError):
        expected = -1
    if expected != complaint.version:
        raise Conflict(_l("Complaint %(number)s was changed by someone else meanwhile (it is now at “%(status)s”). "
                          "Nothing was saved; your text is kept below — check the complaint and submit again.",
                          number=complaint.number, status=complaint.status_enum.label))


def _at(complaint: Complaint, step: ComplaintStatus) -> None:
    """Refuse a step taken out of order, naming the step the complaint is waiting for."""
    if complaint.status_enum != step:
        raise IllegalTransition(_l("Complaint %(number)s is at “%(status)s”: do that step first.",
                                   number=complaint.number, status=complaint.status_enum.label))


def _handler_for(complaint: Complaint, status: ComplaintStatus) -> int | None:
    if status == ComplaintStatus.APPROVING:
        managers = holders_of(complaint.store_id, Role.MANAGER)
        return managers[0] if managers else supervisor_id(complaint.store_id)
    if status in (ComplaintStatus.CARRYING_OUT, ComplaintStatus.CONFIRMING):
        return complaint.advisor_id or supervisor_id(complaint.store_id)
    if status in (ComplaintStatus.CLOSED, ComplaintStatus.UNJUSTIFIED):
        return None
    return supervisor_id(complaint.store_id)


def _move(complaint: Complaint, to: ComplaintStatus, *, actor_id: int | None, note: str | None = None) -> None:
    transitions.move(complaint, to, COMPLAINT_TRANSITIONS, event_model=CareEvent, subject=SUBJECT,
                     actor_id=actor_id, refusal=_refusal, note=note)
    hours = step_hours(settings_for(complaint.store_id), to)
    complaint.step_due_at = clock.utcnow() + timedelta(hours=hours) if hours is not None else None
    previous = complaint.handler_id
    complaint.handler_id = _handler_for(complaint, to)
    if complaint.handler_id and complaint.handler_id != actor_id and (
            complaint.handler_id != previous or to == ComplaintStatus.APPROVING):
        notices.notify(complaint.store_id, [complaint.handler_id], "complaint_assigned",
                       {"number": complaint.number, "name": complaint.customer.name, "step": str(to)},
                       link=page_link(complaint))


def _flush(complaint: Complaint) -> Complaint:
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict(_l("Complaint %(number)s was changed by someone else meanwhile. Nothing was saved; "
                          "your text is kept below — check the complaint and submit again.",
                          number=complaint.number)) from None
    return complaint


def _text(value, field_name: str, message, limit: int = 4000) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(message, field=field_name)
    return value[:limit]


def _start(complaint_id: int, store_id: int, actor_id: int | None, version, step: ComplaintStatus) -> Complaint:
    complaint = get_complaint(complaint_id, store_id)
    _check_version(complaint, version)
    _check_actor(complaint, actor_id, step)
    _at(complaint, step)
    return complaint


# ---------------------------------------------------------------- the steps
def judge(complaint_id: int, *, store_id: int, actor_id: int | None, version, justified: bool | None,
          explanation: str | None = None) -> Complaint:
    """Is the complaint justified? Yes: investigate it. No: record what the customer was told; done."""
    complaint = _start(complaint_id, store_id, actor_id, version, ComplaintStatus.REGISTERED)
    if justified is None:
        raise DomainError(_l("Say whether the complaint is justified."), field="justified")
    complaint.justified = bool(justified)
    if justified:
        complaint.explanation = (explanation or "").strip()[:4000] or None
        _move(complaint, ComplaintStatus.INVESTIGATING, actor_id=actor_id, note=_("Justified"))
    else:
        complaint.explanation = _text(explanation, "explanation",
                                      _l("Not justified: write the explanation given to the customer."))
        _move(complaint, ComplaintStatus.UNJUSTIFIED, actor_id=actor_id, note=complaint.explanation)
        complaint.closed_at = clock.utcnow()
    return _flush(complaint)


def investigate(complaint_id: int, *, store_id: int, actor_id: int | None, version, cause: str | None,
                department, responsible_id: int | None = None) -> Complaint:
    """The cause, the department where it lies and (if known) the person responsible."""
    complaint = _start(complaint_id, store_id, actor_id, version, ComplaintStatus.INVESTIGATING)
    complaint.cause = _text(cause, "cause", _l("Write the cause found."))
    if not department:
        raise DomainError(_l("Choose the responsible department."), field="department")
    complaint.department = str(_choice(Department, department, "department",
                                       _l("Choose the responsible department.")))
    if responsible_id:
        person = db.session.get(User, int(responsible_id))
        if person is None or person.store_id != store_id:
            raise DomainError(_l("Choose a person of this store."), field="responsible_id")
        complaint.responsible_id = person.id
    else:
        complaint.responsible_id = None
    _move(complaint, ComplaintStatus.PROPOSING, actor_id=actor_id, note=complaint.cause[:200])
    return _flush(complaint)


def _money(value, field_name: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).replace(",", "").replace("¥", "").strip())
    except InvalidOperation:
        raise DomainError(_l("Write the cost as an amount, e.g. 380 or 380.50."), field=field_name) from None
    if not amount.is_finite() or amount < 0 or amount >= 10000000:
        raise DomainError(_l("Write the cost as an amount, e.g. 380 or 380.50."), field=field_name)
    return amount.quantize(Decimal("0.01"))


def _touch(complaint: Complaint) -> None:
    """A change to the solutions is a change to the complaint: bump its version so stale forms are refused."""
    complaint.description  # noqa: B018 - loaded for flag_modified
    flag_modified(complaint, "description")


def add_solution(complaint_id: int, *, store_id: int, actor_id: int | None, version, text: str | None,
                 cost=None) -> ComplaintSolution:
    complaint = _start(complaint_id, store_id, actor_id, version, ComplaintStatus.PROPOSING)
    solution = ComplaintSolution(complaint_id=complaint.id, text=_text(text, "text", _l("Write the solution."), 2000),
                                 cost=_money(cost, "cost"), proposed_by_id=actor_id, proposed_at=clock.utcnow())
    complaint.solutions.append(solution)
    _touch(complaint)
    _flush(complaint)
    return solution


def remove_solution(complaint_id: int, solution_id: int, *, store_id: int, actor_id: int | None,
                    version) -> Complaint:
    complaint = _start(complaint_id, store_id, actor_id, version, ComplaintStatus.PROPOSING)
    found = next((s for s in complaint.solutions if s.id == solution_id), None)
    if found is None:
        raise NotFound(_l("No such solution."))
    complaint.solutions.remove(found)
    db.session.delete(found)
    _touch(complaint)
    return _flush(complaint)


def submit_for_approval(complaint_id: int, *, store_id: int, actor_id: int | None, version) -> Complaint:
    complaint = _start(complaint_id, store_id, actor_id, version, ComplaintStatus.PROPOSING)
    if not complaint.solutions:
        raise DomainError(_l("Propose at least one solution before asking for approval."), field="text")
    _move(complaint, ComplaintStatus.APPROVING, actor_id=actor_id,
          note=_("%(n)d solution(s) proposed", n=len(complaint.solutions)))
    return _flush(complaint)


def approve(complaint_id: int, solution_id, *, store_id: int, actor_id: int | None, version) -> Complaint:
    """A manager or the director chooses one of the proposed solutions; it is carried out next."""
    complaint = get_complaint(complaint_id, store_id)
    _check_version(complaint, version)
    _check_actor(complaint, actor_id, ComplaintStatus.APPROVING)
    if complaint.status_enum == ComplaintStatus.PROPOSING:
        raise IllegalTransition(_l("No solution has been submitted for approval yet."))
    _at(complaint, ComplaintStatus.APPROVING)
    chosen = next((s for s in complaint.solutions if str(s.id) == str(solution_id or "")), None)
    if chosen is None:
        raise DomainError(_l("Choose the solution to approve."), field="solution_id")
    for solution in complaint.solutions:
        solution.chosen = solution is chosen
    complaint.approved_by_id, complaint.approved_at = actor_id, clock.utcnow()
    _move(complaint, ComplaintStatus.CARRYING_OUT, actor_id=actor_id, note=chosen.text[:200])
    return _flush(complaint)


def reject(complaint_id: int, *, store_id: int, actor_id: int | None, version, reason: str | None) -> Complaint:
    """The approver sends the solutions back to be reworked, saying why."""
    complaint = _start(complaint_id, store_id, actor_id, version, ComplaintStatus.APPROVING)
    reason = _text(reason, "reason", _l("Say why the solutions are sent back."), 400)
    _move(complaint, ComplaintStatus.PROPOSING, actor_id=actor_id, note=reason)
    return _flush(complaint)


def carry_out(complaint_id: int, *, store_id: int, actor_id: int | None, version, note: str | None,
              penalty_note: str | None = None) -> Complaint:
    """What was done for the customer (and, per the rules, the penalty for the one responsible)."""
    complaint = _start(complaint_id, store_id, actor_id, version, ComplaintStatus.CARRYING_OUT)
    complaint.carried_out_note = _text(note, "note", _l("Write what was done for the customer."))
    complaint.penalty_note = (penalty_note or "").strip()[:2000] or None
    _move(complaint, ComplaintStatus.CONFIRMING, actor_id=actor_id, note=complaint.carried_out_note[:200])
    return _flush(complaint)


def confirm(complaint_id: int, *, store_id: int, actor_id: int | None, version, kind: str | None,
            signed_name: str | None = None, signature_png: bytes | None = None,
            recording_ref: str | None = None, photo_folder=None) -> Complaint:
    """The customer confirms the solution: signed on the tablet (name + signature) or a recorded
    confirmation (phone recording's reference)."""
    complaint = _start(complaint_id, store_id, actor_id, version, ComplaintStatus.CONFIRMING)
    if kind not in CONFIRMATION_KINDS:
        raise DomainError(_l("Choose how the customer confirms: signature or recorded confirmation."), field="kind")
    if kind == "signature":
        name = _text(signed_name, "signed_name", _l("Write the name of the person signing."), 64)
        if not signature_png:
            raise DomainError(_l("The customer has not signed yet: ask them to sign on the pad."), field="signature")
        photo = save_photo(io.BytesIO(signature_png), store_id=store_id, taken_by_id=actor_id,
                           folder=photo_folder, field="signature")
        complaint.signature_photo_id, complaint.confirmed_name = photo.id, name
        complaint.confirmation_ref = None
        note = _("Signed by %(name)s", name=name)
    else:
        complaint.confirmation_ref = _text(recording_ref, "recording_ref",
                                           _l("Write the recording's reference (call time, recording number)."), 200)
        complaint.confirmed_name = (signed_name or "").strip()[:64] or complaint.customer.name
        complaint.signature_photo_id = None
        note = _("Recorded confirmation: %(ref)s", ref=complaint.confirmation_ref)
    complaint.confirmation_kind, complaint.confirmed_at = kind, clock.utcnow()
    _move(complaint, ComplaintStatus.CALLING_BACK, actor_id=actor_id, note=note)
    return _flush(complaint)


def not_accepted(complaint_id: int, *, store_id: int, actor_id: int | None, version,
                 reason: str | None) -> Complaint:
    """The customer does not accept what was done: back to carrying out, with their words."""
    complaint = _start(complaint_id, store_id, actor_id, version, ComplaintStatus.CONFIRMING)
    reason = _text(reason, "reason", _l("Write what the customer does not accept."), 400)
    _move(complaint, ComplaintStatus.CARRYING_OUT, actor_id=actor_id, note=reason)
    return _flush(complaint)


def call_back(complaint_id: int, *, store_id: int, actor_id: int | None, version, note: str | None,
              satisfied: bool | None, improvement: str | None = None) -> Complaint:
    """The call back after the solution. Satisfied: the complaint is closed (with the improvement the
    store makes, for the month's analysis). Not satisfied: back to carrying out; a new confirmation is
    needed."""
    complaint = _start(complaint_id, store_id, actor_id, version, ComplaintStatus.CALLING_BACK)
    note = _text(note, "call_note", _l("Write what the customer said on the call back."))
    if satisfied is None:
        raise DomainError(_l("Say whether the customer is satisfied."), field="satisfied")
    complaint.call_back_note, complaint.customer_satisfied = note, bool(satisfied)
    complaint.improvement = (improvement or "").strip()[:2000] or complaint.improvement
    if not satisfied:
        _move(complaint, ComplaintStatus.CARRYING_OUT, actor_id=actor_id,
              note=_("Not satisfied: %(note)s", note=note)[:200])
        complaint.confirmation_kind = complaint.confirmed_at = None
        return _flush(complaint)
    return close(complaint.id, store_id=store_id, actor_id=actor_id, version=None, _note=note)


def close(complaint_id: int, *, store_id: int, actor_id: int | None, version, _note: str | None = None) -> Complaint:
    """Close a complaint: only once the customer confirmed the solution and was called back."""
    complaint = get_complaint(complaint_id, store_id)
    _check_version(complaint, version)
    _check_actor(complaint, actor_id, ComplaintStatus.CALLING_BACK)
    if complaint.status_enum in (ComplaintStatus.CLOSED, ComplaintStatus.UNJUSTIFIED):
        raise IllegalTransition(_l("Complaint %(number)s is already closed.", number=complaint.number))
    if complaint.confirmed_at is None or not complaint.confirmation_kind:
        raise DomainError(_l("Complaint %(number)s cannot be closed: the customer has not confirmed the solution "
                             "(signature or recorded confirmation).", number=complaint.number))
    if complaint.status_enum != ComplaintStatus.CALLING_BACK or not complaint.call_back_note \
            or not complaint.customer_satisfied:
        raise DomainError(_l("Complaint %(number)s cannot be closed before the call back finds the customer "
                             "satisfied.", number=complaint.number))
    _move(complaint, ComplaintStatus.CLOSED, actor_id=actor_id, note=(_note or "")[:200] or None)
    complaint.closed_at = clock.utcnow()
    return _flush(complaint)


# ---------------------------------------------------------------- what the page shows
@dataclass
class StepView:
    status: ComplaintStatus
    label: str
    state: str  # "done", "current", "todo", "skipped"
    event: CareEvent | None = None  # the move that finished the step


STEP_TITLES = {
    ComplaintStatus.REGISTERED: _l("Judge"),
    ComplaintStatus.INVESTIGATING: _l("Investigate"),
    ComplaintStatus.PROPOSING: _l("Propose"),
    ComplaintStatus.APPROVING: _l("Approve"),
    ComplaintStatus.CARRYING_OUT: _l("Carry out"),
    ComplaintStatus.CONFIRMING: _l("Confirm"),
    ComplaintStatus.CALLING_BACK: _l("Call back"),
    ComplaintStatus.CLOSED: _l("Case closed"),
}


def progress(complaint: Complaint, events: list[CareEvent]) -> list[StepView]:
    """The progress line: each step done (with the last move that left it), current, or to do."""
    current = complaint.status_enum
    left = {}
    for event in events:
        if event.from_status:
            left[event.from_status] = event
    if current == ComplaintStatus.UNJUSTIFIED:
        steps = [StepView(ComplaintStatus.REGISTERED, str(STEP_TITLES[ComplaintStatus.REGISTERED]), "done",
                          left.get(ComplaintStatus.REGISTERED.value))]
        steps += [StepView(s, str(STEP_TITLES[s]), "skipped") for s in STEPS[1:-1]]
        steps.append(StepView(ComplaintStatus.UNJUSTIFIED, str(ComplaintStatus.UNJUSTIFIED.label), "current"))
        return steps
    index = STEPS.index(current)
    views = []
    for i, step in enumerate(STEPS):
        state = "done" if i < index else "current" if i == index else "todo"
        if step == ComplaintStatus.CLOSED and current == ComplaintStatus.CLOSED:
            state = "done"
        views.append(StepView(step, str(STEP_TITLES[step]), state, left.get(step.value) if state == "done" else None))
    return views


def events(complaint_id: int) -> list[CareEvent]:
    return transitions.events_of(CareEvent, SUBJECT, complaint_id)


# ---------------------------------------------------------------- lists
PAGE_SIZE = 30


def month_bounds(month: date, tz: str) -> tuple[datetime, datetime]:
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return clock.store_day_bounds_utc(first, tz)[0], clock.store_day_bounds_utc(following, tz)[0]


def list_complaints(store_id: int, *, status: str | None = "open", category: str | None = None,
                    department: str | None = None, advisor_id: int | None = None, month: date | None = None,
                    page: int = 1) -> tuple[list[Complaint], bool]:
    """Open complaints first, by due time; then the finished ones, newest first. Returns (rows, more)."""
    query = select(Complaint).options(
        joinedload(Complaint.customer), joinedload(Complaint.vehicle), joinedload(Complaint.handler),
        joinedload(Complaint.advisor)).where(Complaint.store_id == store_id)
    open_values = [s.value for s in COMPLAINT_OPEN]
    if status == "open":
        query = query.where(Complaint.status.in_(open_values))
    elif status and status != "all":
        query = query.where(Complaint.status == status)
    if category:
        query = query.where(Complaint.category == category)
    if department:
        query = query.where(Complaint.department == department)
    if advisor_id:
        query = query.where(Complaint.advisor_id == advisor_id)
    if month:
        start, end = month_bounds(month, get_store(store_id).timezone)
        query = query.where(Complaint.received_at >= start, Complaint.received_at < end)
    is_open = case((Complaint.status.in_(open_values), 0), else_=1)
    query = query.order_by(is_open, Complaint.step_due_at, Complaint.received_at.desc(), Complaint.id.desc())
    rows = list(db.session.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).unique())
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def open_complaints(store_id: int, now: datetime, limit: int = 8) -> dict:
    """For the home panel: the open complaints soonest due first (number, customer, step, due, late),
    with how many are open and late in all. Two queries."""
    open_values = [s.value for s in COMPLAINT_OPEN]
    rows = list(db.session.execute(
        select(Complaint.id, Complaint.number, Customer.name, Complaint.status, Complaint.step_due_at)
        .join(Customer, Customer.id == Complaint.customer_id)
        .where(Complaint.store_id == store_id, Complaint.status.in_(open_values))
        .order_by(Complaint.step_due_at, Complaint.id).limit(limit)))
    total, late = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case((Complaint.step_due_at < now, 1), else_=0)), 0))
        .where(Complaint.store_id == store_id, Complaint.status.in_(open_values))).one()
    items = [{"id": r.id, "number": r.number, "customer": r.name, "status": r.status,
              "step": ComplaintStatus(r.status).label, "due_at": r.step_due_at,
              "late": bool(r.step_due_at and r.step_due_at < now)} for r in rows]
    return {"items": items, "total": int(total or 0), "late": int(late or 0)}


def customer_complaints(customer_id: int) -> list[Complaint]:
    return list(db.session.scalars(select(Complaint).where(Complaint.customer_id == customer_id)
                                   .order_by(Complaint.received_at.desc())))


def _step_label(value) -> str:
    try:
        return str(ComplaintStatus(value).label)
    except ValueError:
        return str(value or "")


notices.register("complaint_assigned", lambda p: _("Complaint %(number)s (%(name)s) is yours: %(step)s.",
                                                   number=p.get("number"), name=p.get("name"),
                                                   step=_step_label(p.get("step"))))
notices.register("complaint_late", lambda p: _("Complaint %(number)s (%(name)s) is late: %(step)s was due %(due)s.",
                                               number=p.get("number"), name=p.get("name"),
                                               step=_step_label(p.get("step")), due=p.get("due")))
notices.register("complaint_escalated", lambda p: _(
    "Escalated: complaint %(number)s (%(name)s) is still at \"%(step)s\", due %(due)s.",
    number=p.get("number"), name=p.get("name"), step=_step_label(p.get("step")), due=p.get("due")))
