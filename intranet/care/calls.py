"""Follow-up calls (回访): made when a car is delivered, shared out among the care agents, called
within their window and at the customer's preferred time, and the answers recorded. A
dissatisfied answer is a hot alert: a complaint opens at once and the customer is called again
until satisfied. What the agent cannot answer goes to the supervisor (see questions.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload, selectinload

from intranet import clock
from intranet.care.complaints import register_complaint
from intranet.care.models import (
    CALL_TOPICS, CALL_TRANSITIONS, AttemptOutcome, CallAttempt, CallKind, CallStatus, CareEvent, CareSettings,
    ComplaintCategory, ComplaintChannel, FollowUpCall, Satisfaction,
)
from intranet.care.service_due import record_service
from intranet.care.settings import settings_for
from intranet.care.staff import agents, supervisors
from intranet.core import notices, transitions
from intranet.core.models import ContactTime, Customer, RepairOrder, Store, User
from intranet.core.services import get_owned, get_store
from intranet.errors import Conflict, DomainError
from intranet.extensions import db

# the hours of each preferred contact time, store-local (the labels in core.models say the same)
CONTACT_HOURS = {
    ContactTime.MORNING: (time(9, 0), time(12, 0)),
    ContactTime.NOON: (time(12, 0), time(14, 0)),
    ContactTime.AFTERNOON: (time(14, 0), time(18, 0)),
    ContactTime.EVENING: (time(18, 0), time(20, 0)),
}
# "any time" still means the working day: nobody is called at 7 a.m. or 10 p.m.
ANY_HOURS = (time(9, 0), time(20, 0))

# a dissatisfied topic names the complaint's category
TOPIC_CATEGORY = {
    "reception": ComplaintCategory.SERVICE, "quality": ComplaintCategory.QUALITY, "time": ComplaintCategory.TIME,
    "price": ComplaintCategory.PRICE, "cleanliness": ComplaintCategory.CLEANLINESS,
}


def _move(call: FollowUpCall, to: CallStatus, *, actor_id: int | None, note: str | None = None) -> None:
    transitions.move(call, to, CALL_TRANSITIONS, event_model=CareEvent, subject="call", actor_id=actor_id,
                     note=note, refusal=lambda current: _l("This call is already %(status)s.",
                                                           status=current.label))


# ---------------------------------------------------------------- who calls
def balanced_agent(store_id: int) -> int | None:
    """The agent with the fewest calls still to make (ties: the one who has had fewest in all,
    then the lowest id), so queues stay even as calls arrive."""
    ids = [a.id for a in agents(store_id)]
    if not ids:
        return None
    open_counts = dict(db.session.execute(
        select(FollowUpCall.agent_id, func.count()).where(
            FollowUpCall.store_id == store_id, FollowUpCall.status == CallStatus.DUE,
            FollowUpCall.agent_id.in_(ids)).group_by(FollowUpCall.agent_id)).all())
    return min(ids, key=lambda i: (open_counts.get(i, 0), i))


# ---------------------------------------------------------------- making calls
def _new_call(ro: RepairOrder, kind: CallKind, from_day: date, to_day: date, expires_on: date, *,
              round_: int = 1, agent_id: int | None = None, complaint_id: int | None = None) -> FollowUpCall | None:
    exists = db.session.scalar(select(FollowUpCall.id).where(
        FollowUpCall.repair_order_id == ro.id, FollowUpCall.kind == kind, FollowUpCall.round == round_))
    if exists:
        return None
    call = FollowUpCall(store_id=ro.store_id, customer_id=ro.customer_id, vehicle_id=ro.vehicle_id,
                        repair_order_id=ro.id, kind=kind, round=round_, due_from=from_day, due_until=to_day,
                        expires_on=expires_on, agent_id=agent_id or balanced_agent(ro.store_id),
                        complaint_id=complaint_id, status=CallStatus.DUE, created_at=clock.utcnow())
    db.session.add(call)
    transitions.opened(call, event_model=CareEvent, subject="call", actor_id=None)
    return call


def on_delivered(ro_id: int) -> FollowUpCall | None:
    """A car went home: the customer's file records the visit, the car's next service counts from
    today, and the first follow-up call is due from day 1 to day 3 (store settings)."""
    ro = db.session.get(RepairOrder, ro_id)
    if ro is None or ro.customer_id is None:
        return None
    store = get_store(ro.store_id)
    settings = settings_for(ro.store_id)
    day = clock.to_store_time(ro.delivered_at or clock.utcnow(), store.timezone).date()
    customer = db.session.get(Customer, ro.customer_id)
    if customer.last_visit_on is None or customer.last_visit_on < day:
        customer.last_visit_on = day
    customer.lost_cause = None  # back again: no longer lost
    record_service(ro.vehicle, settings, day)
    from_day = day + timedelta(days=settings.first_call_from_day)
    return _new_call(ro, CallKind.FIRST, from_day, day + timedelta(days=settings.first_call_to_day),
                     from_day + timedelta(days=settings.call_expires_days))


# ---------------------------------------------------------------- the agent's queue
def contact_window(customer: Customer) -> tuple[time, time]:
    return CONTACT_HOURS.get(ContactTime(customer.preferred_contact_time or ContactTime.ANY), ANY_HOURS)


def within_preferred_time(customer: Customer, at_local: datetime) -> bool:
    start, end = contact_window(customer)
    return start <= at_local.time() < end


@dataclass(frozen=True)
class QueueEntry:
    call: FollowUpCall
    callable_now: bool  # inside the customer's preferred time, and past any retry time
    late: bool  # past the end of its window (not yet expired)
    next_window: tuple[time, time]


def call_queue(store_id: int, now: datetime, *, agent_id: int | None = None, limit: int = 200) -> list[QueueEntry]:
    """The calls due today or earlier and not expired, those the agent can make now first (recalls
    of unhappy customers, then the oldest), then those waiting for their time."""
    store = get_store(store_id)
    local = clock.to_store_time(now, store.timezone).replace(tzinfo=None)
    today = local.date()
    stmt = (select(FollowUpCall)
            .options(joinedload(FollowUpCall.customer), joinedload(FollowUpCall.vehicle),
                     joinedload(FollowUpCall.repair_order), joinedload(FollowUpCall.agent))
            .where(FollowUpCall.store_id == store_id, FollowUpCall.status == CallStatus.DUE,
                   FollowUpCall.due_from <= today, FollowUpCall.expires_on >= today)
            .order_by(case((FollowUpCall.kind == CallKind.RECALL, 0), else_=1), FollowUpCall.due_until,
                      FollowUpCall.id)
            .limit(limit))
    if agent_id is not None:
        stmt = stmt.where(FollowUpCall.agent_id == agent_id)
    entries = []
    for call in db.session.scalars(stmt):
        ready = call.retry_at is None or call.retry_at <= now
        entries.append(QueueEntry(call, ready and within_preferred_time(call.customer, local),
                                  call.due_until < today, contact_window(call.customer)))
    entries.sort(key=lambda e: not e.callable_now)  # stable: keeps the order within each group
    return entries


def queue_counts(store_id: int, today: date) -> list[tuple[User | None, int, int]]:
    """Per agent: calls due now (in window or late) and recalls — to see the queues are even."""
    rows = db.session.execute(
        select(FollowUpCall.agent_id, func.count(),
               func.sum(case((FollowUpCall.kind == CallKind.RECALL, 1), else_=0)))
        .where(FollowUpCall.store_id == store_id, FollowUpCall.status == CallStatus.DUE,
               FollowUpCall.due_from <= today, FollowUpCall.expires_on >= today)
        .group_by(FollowUpCall.agent_id)).all()
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_([r[0] for r in rows if r[0]])))}
    return [(users.get(agent_id), count, int(recalls or 0)) for agent_id, count, recalls in rows]


def get_call(call_id: int, store_id: int) -> FollowUpCall:
    return get_owned(FollowUpCall, call_id, store_id, _l("That follow-up call does not exist."))


def call_history(customer_id: int) -> list[FollowUpCall]:
    return list(db.session.scalars(
        select(FollowUpCall).options(selectinload(FollowUpCall.attempt_rows).joinedload(CallAttempt.agent),
                                     joinedload(FollowUpCall.repair_order))
        .where(FollowUpCall.customer_id == customer_id).order_by(FollowUpCall.id.desc())))


# ---------------------------------------------------------------- recording a call
@dataclass
class Answers:
    """What a reached customer said: overall and per topic (Satisfaction values), and comments."""

    satisfaction: str | None = None
    topics: dict | None = None
    comments: str | None = None


def _check_version(call: FollowUpCall, version: int | None) -> None:
    if version is not None and version != call.version:
        raise Conflict(_l("Someone else recorded this call a moment ago. Reload it to see what they wrote."))


def _check_time(call: FollowUpCall, store: Store, now: datetime, override_reason: str | None) -> bool:
    """True when the call is outside the customer's preferred time (allowed only with a reason)."""
    local = clock.to_store_time(now, store.timezone).replace(tzinfo=None)
    if within_preferred_time(call.customer, local):
        return False
    if not (override_reason or "").strip():
        start, end = contact_window(call.customer)
        raise DomainError(_l("%(name)s asked to be called %(when)s (%(start)s–%(end)s). Call later, or give the "
                             "reason for calling now.", name=call.customer.name,
                             when=ContactTime(call.customer.preferred_contact_time).label,
                             start=start.strftime("%H:%M"), end=end.strftime("%H:%M")), field="override_reason")
    return True


def record_not_reached(call_id: int, *, store_id: int, actor_id: int, outcome: str, retry_at: datetime | None,
                       note: str | None = None, version: int | None = None,
                       override_reason: str | None = None) -> FollowUpCall:
    """An unanswered dial: recorded, and the call waits until `retry_at` (default: the store's
    retry interval). A wrong number ends nothing — the file's mobile needs fixing first."""
    call = get_call(call_id, store_id)
    _check_version(call, version)
    if call.status_enum != CallStatus.DUE:
        raise Conflict(_l("This call is already %(status)s.", status=call.status_enum.label))
    try:
        outcome = AttemptOutcome(outcome)
    except ValueError:
        raise DomainError(_l("Say what happened on the call."), field="outcome") from None
    if outcome == AttemptOutcome.REACHED:
        raise DomainError(_l("Say what happened on the call."), field="outcome")
    now = clock.utcnow()
    store = get_store(store_id)
    outside = _check_time(call, store, now, override_reason)
    settings = settings_for(store_id)
    if retry_at is None:
        retry_at = now + timedelta(minutes=settings.retry_minutes)
    elif retry_at <= now:
        raise DomainError(_l("The retry time must be later than now."), field="retry_at")
    db.session.add(CallAttempt(call_id=call.id, agent_id=actor_id, at=now, outcome=outcome,
                               note=(note or "").strip()[:400] or None, outside_preferred_time=outside,
                               override_reason=(override_reason or "").strip()[:200] if outside else None))
    call.attempts += 1
    call.retry_at = retry_at
    transitions.opened(call, event_model=CareEvent, subject="call", actor_id=actor_id, from_status=call.status,
                       note=str(outcome.label))
    db.session.flush()
    return call


def record_reached(call_id: int, *, store_id: int, actor_id: int, answers: Answers, version: int | None = None,
                   override_reason: str | None = None) -> FollowUpCall:
    """The customer answered: record satisfaction overall and per topic. A dissatisfied answer
    (overall or any topic) opens a complaint at once and schedules a recall; a satisfied answer
    on a first call schedules the second call a week later."""
    call = get_call(call_id, store_id)
    _check_version(call, version)
    if call.status_enum != CallStatus.DUE:
        raise Conflict(_l("This call is already %(status)s.", status=call.status_enum.label))
    try:
        overall = Satisfaction(answers.satisfaction or "")
    except ValueError:
        raise DomainError(_l("Ask whether the customer was satisfied, and record the answer."),
                          field="satisfaction") from None
    topics = {}
    for topic in CALL_TOPICS:
        value = (answers.topics or {}).get(topic) or None
        if value is not None:
            try:
                value = Satisfaction(value)
            except ValueError:
                raise DomainError(_l("That is not an answer to choose."), field=f"topic_{topic}") from None
        topics[topic] = value
    unhappy = [t for t, v in topics.items() if v == Satisfaction.DISSATISFIED]
    comments = (answers.comments or "").strip() or None
    if (overall == Satisfaction.DISSATISFIED or unhappy) and not comments:
        raise DomainError(_l("Write down what the customer was not happy with."), field="comments")
    now = clock.utcnow()
    store = get_store(store_id)
    outside = _check_time(call, store, now, override_reason)
    db.session.add(CallAttempt(call_id=call.id, agent_id=actor_id, at=now, outcome=AttemptOutcome.REACHED,
                               outside_preferred_time=outside,
                               override_reason=(override_reason or "").strip()[:200] if outside else None))
    call.attempts += 1
    call.reached_at = now
    call.satisfaction = overall
    for topic, value in topics.items():
        setattr(call, f"score_{topic}", value)
    call.comments = comments
    call.retry_at = None
    _move(call, CallStatus.DONE, actor_id=actor_id, note=str(overall.label))
    settings = settings_for(store_id)
    today = clock.to_store_time(now, store.timezone).date()
    if dissatisfied(call):
        _hot_alert(call, unhappy, comments, actor_id=actor_id, settings=settings, today=today)
    elif call.kind_enum == CallKind.FIRST:
        from_day = today + timedelta(days=settings.second_call_after_days)
        _new_call(call.repair_order, CallKind.SECOND, from_day, from_day + timedelta(days=2),
                  from_day + timedelta(days=settings.call_expires_days), agent_id=call.agent_id)
    db.session.flush()
    return call


def dissatisfied(call: FollowUpCall) -> bool:
    """Unhappy overall or about any topic: a hot alert."""
    return call.satisfaction == Satisfaction.DISSATISFIED or any(
        getattr(call, f"score_{topic}") == Satisfaction.DISSATISFIED for topic in CALL_TOPICS)


def _hot_alert(call: FollowUpCall, unhappy: list[str], comments: str, *, actor_id: int, settings: CareSettings,
               today: date) -> None:
    """Open the complaint (once per visit: a recall that is still unhappy adds to the same case)
    and call the customer again until satisfied."""
    if call.complaint_id is None:
        category = TOPIC_CATEGORY[unhappy[0]] if unhappy else ComplaintCategory.OTHER
        complaint = register_complaint(
            store_id=call.store_id, customer_id=call.customer_id, actor_id=actor_id,
            channel=ComplaintChannel.FOLLOW_UP, category=category, description=comments,
            repair_order_id=call.repair_order_id, vehicle_id=call.vehicle_id)
        call.complaint_id = complaint.id
        notices.notify(call.store_id, supervisors(call.store_id, settings), "care_hot_alert",
                       {"name": call.customer.name, "number": complaint.number, "comments": comments[:80]},
                       link=f"/care/complaints/{complaint.id}")
    round_ = call.round + 1 if call.kind_enum == CallKind.RECALL else 1
    from_day = today + timedelta(days=settings.hot_recall_days)
    _new_call(call.repair_order, CallKind.RECALL, from_day, from_day + timedelta(days=1),
              from_day + timedelta(days=settings.call_expires_days), round_=round_, agent_id=call.agent_id,
              complaint_id=call.complaint_id)


# ---------------------------------------------------------------- the window closing
def expire_calls(store_id: int, today: date) -> int:
    """Calls whose window passed without reaching the customer are expired (kept, not deleted)."""
    calls = list(db.session.scalars(select(FollowUpCall).where(
        FollowUpCall.store_id == store_id, FollowUpCall.status == CallStatus.DUE, FollowUpCall.expires_on < today)))
    for call in calls:
        _move(call, CallStatus.EXPIRED, actor_id=None)
    db.session.flush()
    return len(calls)


notices.register("care_hot_alert", lambda p: _("Dissatisfied customer %(name)s: complaint %(number)s opened — "
                                                "%(comments)s", name=p.get("name"), number=p.get("number"),
                                                comments=p.get("comments")))
