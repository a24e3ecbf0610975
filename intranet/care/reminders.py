"""Reminders (提醒): periodic maintenance, annual inspection (年审), insurance renewal and birthdays.

Each night the job looks at the days ahead: a car whose next service, inspection or insurance
expiry falls within the store's reminder steps (e.g. 30, 15 and 7 days before), and a customer
whose birthday is near, gets a reminder in a care agent's task list and a message in the
outgoing box (SMS, and WeChat when the file has a WeChat id).

`occasion` names the date and the step ("2026-12-20/15", plus the car for car occasions), and
(store, customer, kind, occasion) is unique: running the job twice, or catching up after a night
it did not run, makes each reminder once. Only the latest step reached is made — a customer first
seen 5 days before expiry gets the 7-day reminder, not three at once — and a newer step replaces
the older one still open. A reminder is due on its step's day, or on the day it is made when that
day has already passed (a catch-up, a date imported or planned inside the lead time): never before
it exists, so nothing is overdue on its first day."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, extract, func, insert, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.care.staff import agents
from intranet.care.models import (
    CareEvent, CareReminder, MessageStatus, OutgoingMessage, ReminderKind, ReminderStatus,
)
from intranet.care.settings import days_list, settings_for
from intranet.core import transitions
from intranet.core.identifiers import MOBILE_RE
from intranet.core.models import Customer, Store, Vehicle
from intranet.core.services import get_owned, get_store
from intranet.errors import DomainError
from intranet.extensions import db

REMINDER_TRANSITIONS = {
    ReminderStatus.OPEN: frozenset({ReminderStatus.DONE, ReminderStatus.DISMISSED}),
    ReminderStatus.DONE: frozenset(),
    ReminderStatus.DISMISSED: frozenset(),
}

# the car's date each car reminder is about, and the store setting with its steps
VEHICLE_DATES = {
    ReminderKind.MAINTENANCE: Vehicle.next_service_on,
    ReminderKind.INSPECTION: Vehicle.inspection_due_on,
    ReminderKind.INSURANCE: Vehicle.insurance_expires_on,
}
STEP_SETTINGS = {
    ReminderKind.MAINTENANCE: "maintenance_days_before",
    ReminderKind.INSPECTION: "inspection_days_before",
    ReminderKind.INSURANCE: "insurance_days_before",
    ReminderKind.BIRTHDAY: "birthday_days_before",
}
CHUNK = 400  # rows per INSERT statement (SQLite's limit on bound parameters)


def valid_mobile(mobile: str | None) -> bool:
    return bool(mobile and MOBILE_RE.match(mobile))


def occasion_key(occasion_on: date, days_before: int, vehicle_id: int | None = None) -> str:
    key = f"{occasion_on.isoformat()}/{days_before}"
    return f"{key}/{vehicle_id}" if vehicle_id else key


def latest_step(occasion_on: date, today: date, steps: list[int]) -> int | None:
    """The step (days before) most recently reached by `today`, while the occasion is still ahead."""
    if occasion_on < today:
        return None
    reached = [d for d in steps if occasion_on - timedelta(days=d) <= today]
    return min(reached) if reached else None


def insert_missing(model, rows: list[dict], *returning):
    """INSERT … ON CONFLICT DO NOTHING (SQLite and PostgreSQL), in chunks; returns the rows
    actually inserted (the `returning` columns). A unique key decides what already exists."""
    if not rows:
        return []
    dialect = db.session.get_bind().dialect.name
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    inserted = []
    for start in range(0, len(rows), CHUNK):
        stmt = make(model).values(rows[start:start + CHUNK]).on_conflict_do_nothing()
        if returning:
            inserted.extend(db.session.execute(stmt.returning(*returning)).all())
        else:
            db.session.execute(stmt)
    return inserted


def record_events(store_id: int, subject: str, ids: list[int], to_status: str, *, actor_id: int | None = None,
                  note: str | None = None) -> None:
    """One CareEvent per new record, in one statement (the set-based twin of transitions.opened)."""
    if ids:
        now = clock.utcnow()
        db.session.execute(insert(CareEvent), [
            {"store_id": store_id, "subject": subject, "subject_id": i, "from_status": None,
             "to_status": str(to_status), "actor_id": actor_id, "at": now, "note": note} for i in ids])


# ---------------------------------------------------------------- what is due
@dataclass(frozen=True)
class DueStep:
    kind: ReminderKind
    customer_id: int
    vehicle_id: int | None
    occasion_on: date
    days_before: int
    name: str
    mobile: str | None
    wechat: str | None
    plate: str | None = None

    @property
    def occasion(self) -> str:
        return occasion_key(self.occasion_on, self.days_before, self.vehicle_id)

    def due_on(self, today: date) -> date:
        """The day the agent should act: the step's day, or `today` when the step's day has already
        passed by the time the reminder is made (a policy seen 20 days before expiry reaches the
        30-day step 10 days late) — a new reminder is due the day it is made, never before it, so it
        is not overdue on its first day."""
        return max(self.occasion_on - timedelta(days=self.days_before), today)


def birthday_in(birthday: date, year: int) -> date:
    """The customer's birthday in `year` (29 February is kept on the 28th in other years)."""
    if birthday.month == 2 and birthday.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return birthday.replace(year=year)


def _birthday_days(today: date, horizon: int) -> dict[int, date]:
    """month*100+day of each birthday falling in [today, today+horizon] → that day's date."""
    days = {}
    for offset in range(horizon + 1):
        day = today + timedelta(days=offset)
        days[day.month * 100 + day.day] = day
        if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
            days[229] = day
    return days


def due_steps(store_id: int, today: date) -> list[DueStep]:
    """Every reminder step reached by `today` whose occasion is still ahead: one query per kind,
    over the (store, date) indexes."""
    settings = settings_for(store_id)
    found: list[DueStep] = []
    for kind, column in VEHICLE_DATES.items():
        steps = days_list(getattr(settings, STEP_SETTINGS[kind]))
        if not steps:
            continue
        rows = db.session.execute(
            select(Vehicle.id, Vehicle.customer_id, column, Vehicle.plate, Customer.name, Customer.mobile,
                   Customer.wechat)
            .join(Customer, Customer.id == Vehicle.customer_id)
            .where(Vehicle.store_id == store_id, column >= today, column <= today + timedelta(days=max(steps)))
            .order_by(column, Vehicle.id)).all()
        for vehicle_id, customer_id, occasion_on, plate, name, mobile, wechat in rows:
            step = latest_step(occasion_on, today, steps)
            if step is not None:
                found.append(DueStep(kind, customer_id, vehicle_id, occasion_on, step, name, mobile, wechat, plate))
    steps = days_list(settings.birthday_days_before)
    if steps:
        days = _birthday_days(today, max(steps))
        month_day = extract("month", Customer.birthday) * 100 + extract("day", Customer.birthday)
        rows = db.session.execute(
            select(Customer.id, Customer.birthday, Customer.name, Customer.mobile, Customer.wechat)
            .where(Customer.store_id == store_id, Customer.birthday.is_not(None), month_day.in_(list(days)))
            .order_by(Customer.id)).all()
        for customer_id, birthday, name, mobile, wechat in rows:
            occasion_on = days[birthday.month * 100 + birthday.day]
            step = latest_step(occasion_on, today, steps)
            if step is not None:
                found.append(DueStep(ReminderKind.BIRTHDAY, customer_id, None, occasion_on, step, name, mobile,
                                     wechat))
    return found


# ---------------------------------------------------------------- the words of the messages
def message_body(store: Store, kind: str, *, name: str, plate: str | None, occasion_on: date) -> str:
    """The customer's message, in the store's language: "【store】尊敬的张伟：您的爱车…"."""
    with force_locale(store.default_locale or "zh_Hans_CN"):
        day = occasion_on.isoformat()
        if kind == ReminderKind.INSURANCE:
            text = _("[%(store)s] Dear %(name)s, the insurance of your car %(plate)s expires on %(date)s. "
                     "Please renew it in time — we can arrange the renewal for you.",
                     store=store.name, name=name, plate=plate or "", date=day)
        elif kind == ReminderKind.INSPECTION:
            text = _("[%(store)s] Dear %(name)s, the annual inspection of your car %(plate)s is due on %(date)s. "
                     "We can take care of it for you; please book in time.",
                     store=store.name, name=name, plate=plate or "", date=day)
        elif kind == ReminderKind.MAINTENANCE:
            text = _("[%(store)s] Dear %(name)s, your car %(plate)s is due for its periodic maintenance around "
                     "%(date)s. Book ahead and skip the wait.", store=store.name, name=name, plate=plate or "",
                     date=day)
        else:
            text = _("[%(store)s] Dear %(name)s, your birthday is coming: everyone at %(store)s wishes you a happy "
                     "birthday! A small gift is waiting for you at your next visit.", store=store.name, name=name)
        if store.phone:
            text += _(" Call us on %(phone)s.", phone=store.phone)
    return text


def invitation_body(store: Store, *, name: str, title: str, held_on: date, place: str | None) -> str:
    with force_locale(store.default_locale or "zh_Hans_CN"):
        text = _("[%(store)s] Dear %(name)s, you are warmly invited to “%(title)s” on %(date)s%(place)s. "
                 "Please let us know whether you can come.", store=store.name, name=name, title=title,
                 date=held_on.isoformat(), place=_(" at %(place)s", place=place) if place else "")
        if store.phone:
            text += _(" Call us on %(phone)s.", phone=store.phone)
    return text


def message_rows(store_id: int, customer_id: int, mobile: str | None, wechat: str | None, body: str,
                 **link) -> list[dict]:
    """The box's rows for one reminder or invitation: SMS to a valid mobile, WeChat to a WeChat id."""
    now = clock.utcnow()
    rows = []
    if valid_mobile(mobile):
        rows.append({"channel": "sms", "to": mobile})
    if (wechat or "").strip():
        rows.append({"channel": "wechat", "to": wechat.strip()[:64]})
    return [{**row, "store_id": store_id, "customer_id": customer_id, "body": body, "status": MessageStatus.QUEUED,
             "attempts": 0, "created_at": now, **link} for row in rows]


# ---------------------------------------------------------------- making the reminders
def _open_counts(store_id: int, agent_ids: list[int]) -> dict[int, int]:
    return dict(db.session.execute(
        select(CareReminder.agent_id, func.count()).where(
            CareReminder.store_id == store_id, CareReminder.status == ReminderStatus.OPEN,
            CareReminder.agent_id.in_(agent_ids)).group_by(CareReminder.agent_id)).all())


class AgentPicker:
    """Shares new work among the care agents: each goes to the agent with the fewest open
    reminders (ties: lowest id), and a customer's reminders of one run stay with one agent."""

    def __init__(self, store_id: int):
        self.ids = [a.id for a in agents(store_id)]
        self.counts = _open_counts(store_id, self.ids) if self.ids else {}
        self.by_customer: dict[int, int] = {}

    def pick(self, customer_id: int) -> int | None:
        if not self.ids:
            return None
        chosen = self.by_customer.get(customer_id)
        if chosen is None:
            chosen = min(self.ids, key=lambda i: (self.counts.get(i, 0), i))
            self.by_customer[customer_id] = chosen
        self.counts[chosen] = self.counts.get(chosen, 0) + 1
        return chosen


def make_reminders(store_id: int, today: date) -> int:
    """Create today's due reminders and queue their messages; replace older open steps of the same
    occasion and drop open reminders whose car date has since changed. Safe to rerun. Flushes."""
    store = get_store(store_id)
    due = due_steps(store_id, today)
    existing = set()
    if due:
        existing = set(db.session.execute(select(CareReminder.customer_id, CareReminder.kind, CareReminder.occasion)
                                          .where(CareReminder.store_id == store_id,
                                                 CareReminder.occasion_on >= today,
                                                 CareReminder.occasion_on <= max(d.occasion_on for d in due))).all())
    new = [d for d in due if (d.customer_id, str(d.kind), d.occasion) not in existing]
    picker = AgentPicker(store_id)
    now = clock.utcnow()
    rows = [{"store_id": store_id, "customer_id": d.customer_id, "vehicle_id": d.vehicle_id, "kind": str(d.kind),
             "occasion": d.occasion, "occasion_on": d.occasion_on, "due_on": d.due_on(today),
             "agent_id": picker.pick(d.customer_id), "status": ReminderStatus.OPEN, "created_at": now} for d in new]
    inserted = insert_missing(CareReminder, rows, CareReminder.id, CareReminder.customer_id, CareReminder.kind,
                              CareReminder.occasion)
    record_events(store_id, "reminder", [r.id for r in inserted], ReminderStatus.OPEN)
    by_key = {(d.customer_id, str(d.kind), d.occasion): d for d in new}
    messages = []
    for reminder_id, customer_id, kind, occasion in inserted:
        d = by_key[(customer_id, kind, occasion)]
        body = message_body(store, kind, name=d.name, plate=d.plate, occasion_on=d.occasion_on)
        messages += message_rows(store_id, customer_id, d.mobile, d.wechat, body, reminder_id=reminder_id)
    insert_missing(OutgoingMessage, messages)
    _close_outdated(store_id, today, [r.id for r in inserted])
    db.session.flush()
    return len(inserted)


def _close_outdated(store_id: int, today: date, new_ids: list[int]) -> None:
    """An open reminder is outdated when a newer step of its occasion arrived, when its car's
    date moved (insurance renewed, inspection done, next service recomputed), or when the day it
    reminds of has passed."""
    outdated: dict[int, str] = {}
    if new_ids:
        new = db.session.execute(select(CareReminder.customer_id, CareReminder.kind, CareReminder.vehicle_id,
                                        CareReminder.occasion_on).where(CareReminder.id.in_(new_ids))).all()
        keys = {(c, k, v, o) for c, k, v, o in new}
        older = db.session.execute(
            select(CareReminder.id, CareReminder.customer_id, CareReminder.kind, CareReminder.vehicle_id,
                   CareReminder.occasion_on)
            .where(CareReminder.store_id == store_id, CareReminder.status == ReminderStatus.OPEN,
                   CareReminder.id.not_in(new_ids),
                   tuple_(CareReminder.customer_id, CareReminder.kind).in_(sorted({(c, k) for c, k, _v, _o in keys})))).all()
        for reminder_id, *key in older:
            if tuple(key) in keys:
                outdated[reminder_id] = _("Replaced by a newer reminder.")
    for kind, column in VEHICLE_DATES.items():
        moved = db.session.scalars(
            select(CareReminder.id).join(Vehicle, Vehicle.id == CareReminder.vehicle_id)
            .where(CareReminder.store_id == store_id, CareReminder.status == ReminderStatus.OPEN,
                   CareReminder.kind == kind, CareReminder.occasion_on >= today,
                   (column.is_(None)) | (column != CareReminder.occasion_on))).all()
        for reminder_id in moved:
            outdated.setdefault(reminder_id, _("The date changed since (renewed, done or rescheduled)."))
    passed = db.session.scalars(select(CareReminder.id).where(
        CareReminder.store_id == store_id, CareReminder.status == ReminderStatus.OPEN,
        CareReminder.occasion_on < today)).all()
    for reminder_id in passed:  # a birthday or an expiry already behind us: too late to remind
        outdated.setdefault(reminder_id, _("The day passed before anyone got to it."))
    if outdated:
        for reminder in db.session.scalars(select(CareReminder).where(CareReminder.id.in_(list(outdated)))):
            _move(reminder, ReminderStatus.DISMISSED, actor_id=None, note=outdated[reminder.id])
            reminder.outcome = outdated[reminder.id]
            reminder.done_at = clock.utcnow()


# ---------------------------------------------------------------- the task list
def _move(reminder: CareReminder, to: ReminderStatus, *, actor_id: int | None, note: str | None = None) -> None:
    transitions.move(reminder, to, REMINDER_TRANSITIONS, event_model=CareEvent, subject="reminder",
                     actor_id=actor_id, note=note,
                     refusal=lambda current: _l("This reminder is already %(status)s.", status=current.label))


def get_reminder(reminder_id: int, store_id: int) -> CareReminder:
    return get_owned(CareReminder, reminder_id, store_id, _l("That reminder does not exist."))


def complete(reminder_id: int, *, store_id: int, actor_id: int, outcome: str | None) -> CareReminder:
    """The agent contacted the customer: what came of it is required (booked, renewed, will think…)."""
    reminder = get_reminder(reminder_id, store_id)
    text = (outcome or "").strip()
    if not text:
        raise DomainError(_l("Write what came of the contact (booked, renewed elsewhere, call back later…)."),
                          field="outcome")
    _move(reminder, ReminderStatus.DONE, actor_id=actor_id, note=text)
    reminder.outcome, reminder.done_at, reminder.done_by_id = text[:400], clock.utcnow(), actor_id
    db.session.flush()
    return reminder


def dismiss(reminder_id: int, *, store_id: int, actor_id: int, reason: str | None = None) -> CareReminder:
    """Not needed (sold the car, already done elsewhere…); the reason is kept when given."""
    reminder = get_reminder(reminder_id, store_id)
    text = (reason or "").strip() or None
    _move(reminder, ReminderStatus.DISMISSED, actor_id=actor_id, note=text)
    reminder.outcome, reminder.done_at, reminder.done_by_id = (text or "")[:400] or None, clock.utcnow(), actor_id
    db.session.flush()
    return reminder


@dataclass
class ReminderRow:
    reminder: CareReminder
    messages: list[OutgoingMessage]

    @property
    def no_mobile(self) -> bool:
        return not valid_mobile(self.reminder.customer.mobile)


DUE_FILTERS = ("today", "week", "all")


def reminder_rows(store_id: int, today: date, *, agent_id: int | None = None, kind: str | None = None,
                  due: str = "today", status: str = ReminderStatus.OPEN, ids: list[int] | None = None,
                  limit: int = 200) -> list[ReminderRow]:
    """The task list: open reminders due by today (or within a week, or all), the earliest first;
    done and dismissed ones newest first. Two queries whatever the number of rows."""
    stmt = (select(CareReminder)
            .options(joinedload(CareReminder.customer), joinedload(CareReminder.vehicle),
                     joinedload(CareReminder.agent))
            .where(CareReminder.store_id == store_id).limit(limit))
    if ids is not None:
        stmt = stmt.where(CareReminder.id.in_(ids))
    else:
        stmt = stmt.where(CareReminder.status == (status if status in {s.value for s in ReminderStatus}
                                                  else ReminderStatus.OPEN))
        if agent_id is not None:
            stmt = stmt.where(CareReminder.agent_id == agent_id)
        if kind in {k.value for k in ReminderKind}:
            stmt = stmt.where(CareReminder.kind == kind)
        if status in (None, ReminderStatus.OPEN, ""):
            if due == "today":
                stmt = stmt.where(CareReminder.due_on <= today)
            elif due == "week":
                stmt = stmt.where(CareReminder.due_on <= today + timedelta(days=7))
    if status in (ReminderStatus.DONE, ReminderStatus.DISMISSED):
        stmt = stmt.order_by(CareReminder.done_at.desc(), CareReminder.id.desc())
    else:
        stmt = stmt.order_by(CareReminder.due_on, CareReminder.occasion_on, CareReminder.id)
    reminders = list(db.session.scalars(stmt).unique())
    by_reminder: dict[int, list[OutgoingMessage]] = {r.id: [] for r in reminders}
    if reminders:
        for message in db.session.scalars(select(OutgoingMessage).where(
                OutgoingMessage.reminder_id.in_(list(by_reminder))).order_by(OutgoingMessage.id)):
            by_reminder[message.reminder_id].append(message)
    return [ReminderRow(r, by_reminder[r.id]) for r in reminders]


def agent_counts(store_id: int, today: date) -> list[tuple[int | None, int, int]]:
    """Per agent: open reminders due by today, and of those, late ones (the step date passed)."""
    return [(agent_id, n, int(late or 0)) for agent_id, n, late in db.session.execute(
        select(CareReminder.agent_id, func.count(),
               func.sum(case((CareReminder.due_on < today, 1), else_=0)))
        .where(CareReminder.store_id == store_id, CareReminder.status == ReminderStatus.OPEN,
               CareReminder.due_on <= today)
        .group_by(CareReminder.agent_id).order_by(CareReminder.agent_id)).all()]


@dataclass
class MyReminders:
    rows: list[CareReminder]
    total: int


def my_reminders(store_id: int, agent_id: int, today: date, limit: int = 8) -> MyReminders:
    """The home panel: the agent's open reminders due by today, the earliest first (two queries)."""
    where = (CareReminder.store_id == store_id, CareReminder.agent_id == agent_id,
             CareReminder.status == ReminderStatus.OPEN, CareReminder.due_on <= today)
    rows = list(db.session.scalars(
        select(CareReminder).options(joinedload(CareReminder.customer), joinedload(CareReminder.vehicle))
        .where(*where).order_by(CareReminder.due_on, CareReminder.occasion_on, CareReminder.id).limit(limit)))
    total = db.session.scalar(select(func.count()).select_from(CareReminder).where(*where))
    return MyReminders(rows, total or 0)
