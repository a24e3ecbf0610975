"""Store events (车主活动): a free check day, a driving course… Customers are invited by filters,
the invitations go out `event_notice_days` (two weeks) before the event — once each, by SMS and
WeChat through the outgoing box — and the agents record each reply (coming, not, maybe; guests)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import extract, func, select, update
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.care.lapsed import lapse_cutoff
from intranet.care.models import (
    CareEvent, EventInvitation, InvitationReply, OutgoingMessage, StoreEvent,
)
from intranet.care.reminders import insert_missing, invitation_body, message_rows, valid_mobile
from intranet.care.service_due import add_months
from intranet.care.settings import settings_for
from intranet.core.models import Customer, Vehicle
from intranet.core.services import get_owned, get_store
from intranet.errors import Conflict, DomainError, NotFound
from intranet.extensions import db

MAX_GUESTS = 10


def get_event(event_id: int, store_id: int) -> StoreEvent:
    return get_owned(StoreEvent, event_id, store_id, _l("That event does not exist."))


def create_event(*, store_id: int, actor_id: int, title: str | None, held_on: date | None, today: date,
                 place: str | None = None, description: str | None = None, capacity: int | None = None,
                 origin_token: str | None = None) -> StoreEvent:
    """A new event. The form's one-time `origin_token` sent twice (a double tap) returns the first
    event: looked up first, and a unique key catches two that arrive at the same moment (the caller's
    `commit_unit` then runs this again, which finds the first)."""
    origin_token = (origin_token or "").strip()[:36] or None
    if origin_token:
        earlier = db.session.scalar(select(StoreEvent).where(StoreEvent.origin_token == origin_token,
                                                             StoreEvent.store_id == store_id))
        if earlier is not None:
            return earlier
    title = (title or "").strip()
    if not title:
        raise DomainError(_l("Give the event a name."), field="title")
    if held_on is None:
        raise DomainError(_l("Choose the day of the event."), field="held_on")
    if held_on < today:
        raise DomainError(_l("The event's day (%(day)s) is in the past. Choose today or a later day.",
                             day=held_on.isoformat()), field="held_on")
    if capacity is not None and capacity < 1:
        raise DomainError(_l("The number of places must be at least 1 (or leave it empty)."), field="capacity")
    event = StoreEvent(store_id=store_id, title=title[:120], held_on=held_on, place=(place or "").strip()[:120] or None,
                       description=(description or "").strip() or None, capacity=capacity, created_by_id=actor_id,
                       created_at=clock.utcnow(), origin_token=origin_token)
    db.session.add(event)
    db.session.flush()
    return event


def notify_on(event: StoreEvent) -> date:
    """The day the invitations go out: `event_notice_days` before the event."""
    return event.held_on - timedelta(days=settings_for(event.store_id).event_notice_days)


# ---------------------------------------------------------------- inviting
@dataclass(frozen=True)
class Audience:
    """Who to invite. Everyone retained (seen within the store's lapsed months) unless
    `visited_within_months` narrows it; `model` matches a car model (part of the name);
    `birthday_month` 1–12 picks birthdays in that month."""

    visited_within_months: int | None = None
    model: str | None = None
    birthday_month: int | None = None


def audience_ids(store_id: int, audience: Audience, today: date) -> list[int]:
    months = audience.visited_within_months or settings_for(store_id).lapsed_months
    if months < 1:
        raise DomainError(_l("Months since the last visit must be at least 1."), field="visited_within_months")
    cutoff = add_months(today, -months) if audience.visited_within_months else lapse_cutoff(today, months)
    stmt = select(Customer.id).where(Customer.store_id == store_id, Customer.last_visit_on >= cutoff)
    model = (audience.model or "").strip()
    if model:
        stmt = stmt.where(select(Vehicle.id).where(Vehicle.customer_id == Customer.id,
                                                   Vehicle.model.contains(model, autoescape=True)).exists())
    if audience.birthday_month is not None:
        if not 1 <= audience.birthday_month <= 12:
            raise DomainError(_l("Choose a month from 1 to 12."), field="birthday_month")
        stmt = stmt.where(extract("month", Customer.birthday) == audience.birthday_month)
    return list(db.session.scalars(stmt.order_by(Customer.id)))


@dataclass
class InviteResult:
    invited: int
    already: int  # matched but already on the list (skipped)
    notified: int  # sent at once because the notice day has come


def invite(event_id: int, *, store_id: int, actor_id: int, audience: Audience, today: date,
           customer_ids: list[int] | None = None) -> InviteResult:
    """Invite the customers the audience matches (or `customer_ids`). A customer already invited is
    skipped quietly and counted. Inside the notice period the invitations go out at once."""
    event = get_event(event_id, store_id)
    if event.held_on < today:
        raise DomainError(_l("This event is over; invite customers to an upcoming one."))
    if customer_ids is not None:
        ids = list(db.session.scalars(select(Customer.id).where(Customer.store_id == store_id,
                                                                Customer.id.in_(customer_ids))))
        if len(ids) != len(set(customer_ids)):
            raise NotFound(_l("That customer does not exist."))
    else:
        ids = audience_ids(store_id, audience, today)
    already = set(db.session.scalars(select(EventInvitation.customer_id).where(
        EventInvitation.event_id == event.id, EventInvitation.customer_id.in_(ids)))) if ids else set()
    rows = [{"event_id": event.id, "customer_id": i, "reply": InvitationReply.NONE, "guests": 1}
            for i in ids if i not in already]
    inserted = insert_missing(EventInvitation, rows, EventInvitation.id)
    if inserted:
        db.session.add(CareEvent(store_id=store_id, subject="event", subject_id=event.id, from_status=None,
                                 to_status="invited", actor_id=actor_id, at=clock.utcnow(),
                                 note=str(_l("%(n)s invited", n=len(inserted)))))
    notified = notify_event(event, today) if inserted and notify_on(event) <= today else 0
    db.session.flush()
    return InviteResult(invited=len(inserted), already=len(ids) - len(inserted), notified=notified)


def notify_event(event: StoreEvent, today: date) -> int:
    """Queue the invitation message of every invitation not yet sent, and mark them sent (once).
    A customer with neither a valid mobile nor a WeChat id gets no message: the list shows it."""
    if event.held_on < today:
        return 0
    store = get_store(event.store_id)
    pending = db.session.execute(
        select(EventInvitation.id, Customer.id, Customer.name, Customer.mobile, Customer.wechat)
        .join(Customer, Customer.id == EventInvitation.customer_id)
        .where(EventInvitation.event_id == event.id, EventInvitation.notified_at.is_(None))).all()
    messages, done = [], []
    for invitation_id, customer_id, name, mobile, wechat in pending:
        body = invitation_body(store, name=name, title=event.title, held_on=event.held_on, place=event.place)
        rows = message_rows(store.id, customer_id, mobile, wechat, body, invitation_id=invitation_id)
        if rows:
            messages += rows
            done.append(invitation_id)
    insert_missing(OutgoingMessage, messages)
    if done:
        db.session.execute(update(EventInvitation).where(EventInvitation.id.in_(done))
                           .values(notified_at=clock.utcnow()), execution_options={"synchronize_session": False})
    return len(done)


def notify_due(store_id: int, today: date) -> int:
    """Every upcoming event whose notice day has come: its invitations not yet sent go out."""
    days = settings_for(store_id).event_notice_days
    events = db.session.scalars(select(StoreEvent).where(
        StoreEvent.store_id == store_id, StoreEvent.held_on >= today,
        StoreEvent.held_on <= today + timedelta(days=days))).all()
    return sum(notify_event(e, today) for e in events)


# ---------------------------------------------------------------- replies
def get_invitation(invitation_id: int, store_id: int) -> EventInvitation:
    invitation = db.session.scalar(select(EventInvitation).options(joinedload(EventInvitation.event))
                                   .where(EventInvitation.id == invitation_id))
    if invitation is None or invitation.event.store_id != store_id:
        raise NotFound(_l("That invitation does not exist."))
    return invitation


def record_reply(invitation_id: int, *, store_id: int, actor_id: int, reply: str | None, guests=None,
                 note: str | None = None) -> EventInvitation:
    """The customer's answer: coming (with how many people in all), not coming, or maybe."""
    invitation = get_invitation(invitation_id, store_id)
    try:
        answer = InvitationReply(reply or "")
    except ValueError:
        raise DomainError(_l("Choose the customer's answer."), field="reply") from None
    if answer == InvitationReply.NONE:
        raise DomainError(_l("Choose the customer's answer."), field="reply")
    people = 0
    if answer in (InvitationReply.YES, InvitationReply.MAYBE):
        text = str(guests if guests is not None else 1).strip() or "1"
        if not text.isdigit() or not 1 <= int(text) <= MAX_GUESTS:
            raise DomainError(_l("How many people come, the customer included: 1 to %(n)s.", n=MAX_GUESTS),
                              field="guests")
        people = int(text)
        event = invitation.event
        if answer == InvitationReply.YES and event.capacity:
            taken = db.session.scalar(select(func.coalesce(func.sum(EventInvitation.guests), 0)).where(
                EventInvitation.event_id == event.id, EventInvitation.reply == InvitationReply.YES,
                EventInvitation.id != invitation.id)) or 0
            if taken + people > event.capacity:
                raise Conflict(_l("Only %(left)s places are left (of %(capacity)s).",
                                  left=max(event.capacity - taken, 0), capacity=event.capacity), field="guests")
    previous = invitation.reply
    invitation.reply = answer
    invitation.guests = people
    invitation.replied_at = clock.utcnow()
    invitation.note = (note or "").strip()[:200] or None
    db.session.add(CareEvent(store_id=store_id, subject="invitation", subject_id=invitation.id,
                             from_status=previous, to_status=str(answer), actor_id=actor_id, at=clock.utcnow(),
                             note=invitation.note))
    db.session.flush()
    return invitation


# ---------------------------------------------------------------- pages
@dataclass
class ReplyCounts:
    invited: int = 0
    notified: int = 0
    yes: int = 0
    no: int = 0
    maybe: int = 0
    none: int = 0
    people: int = 0  # coming, guests included


def reply_counts(event_ids: list[int]) -> dict[int, ReplyCounts]:
    counts = {i: ReplyCounts() for i in event_ids}
    if not event_ids:
        return counts
    rows = db.session.execute(
        select(EventInvitation.event_id, EventInvitation.reply, func.count(), func.count(EventInvitation.notified_at),
               func.coalesce(func.sum(EventInvitation.guests), 0))
        .where(EventInvitation.event_id.in_(event_ids))
        .group_by(EventInvitation.event_id, EventInvitation.reply)).all()
    for event_id, reply, n, notified, guests in rows:
        c = counts[event_id]
        c.invited += n
        c.notified += notified
        setattr(c, reply, getattr(c, reply) + n)
        if reply == InvitationReply.YES:
            c.people += int(guests)
    return counts


def event_list(store_id: int, today: date) -> tuple[list[StoreEvent], list[StoreEvent], dict[int, ReplyCounts]]:
    """Upcoming events (soonest first) and the last past ones, with their reply counts."""
    upcoming = list(db.session.scalars(select(StoreEvent).where(
        StoreEvent.store_id == store_id, StoreEvent.held_on >= today).order_by(StoreEvent.held_on, StoreEvent.id)))
    past = list(db.session.scalars(select(StoreEvent).where(
        StoreEvent.store_id == store_id, StoreEvent.held_on < today)
        .order_by(StoreEvent.held_on.desc(), StoreEvent.id.desc()).limit(20)))
    return upcoming, past, reply_counts([e.id for e in upcoming + past])


@dataclass
class InvitationRow:
    invitation: EventInvitation

    @property
    def no_mobile(self) -> bool:
        return not valid_mobile(self.invitation.customer.mobile)


def invitation_rows(event_id: int, *, reply: str | None = None, ids: list[int] | None = None, page: int = 1,
                    per_page: int = 50) -> tuple[list[InvitationRow], bool]:
    """A page of the event's invitations (and whether more follow), in the order they were made."""
    stmt = (select(EventInvitation)
            .options(joinedload(EventInvitation.customer).selectinload(Customer.vehicles))
            .where(EventInvitation.event_id == event_id).order_by(EventInvitation.id))
    if ids is not None:
        stmt = stmt.where(EventInvitation.id.in_(ids))
    else:
        if reply in {r.value for r in InvitationReply}:
            stmt = stmt.where(EventInvitation.reply == reply)
        stmt = stmt.offset((page - 1) * per_page).limit(per_page + 1)
    rows = [InvitationRow(i) for i in db.session.scalars(stmt).unique()]
    if ids is not None:
        return rows, False
    return rows[:per_page], len(rows) > per_page


def model_choices(store_id: int) -> list[str]:
    """The car models on file, most common first (for the invite form)."""
    return list(db.session.scalars(select(Vehicle.model).where(Vehicle.store_id == store_id)
                                   .group_by(Vehicle.model).order_by(func.count().desc(), Vehicle.model).limit(40)))


def invitation_events(event_id: int) -> list[CareEvent]:
    return list(db.session.scalars(select(CareEvent).options(joinedload(CareEvent.actor)).where(
        CareEvent.subject == "event", CareEvent.subject_id == event_id).order_by(CareEvent.id)))

