"""Insurer relations (保险公司联络): the store's insurers, a log of every contact with them (who,
when, how, what about) and the month's target — at least `insurer_contacts_target` contacts a
month with each insurer, `partner_contacts_target` with a partner insurer (the store's settings,
4 and 8 by default).

A month is the store's calendar month. The list shows each insurer's progress against its target
and against an even pace through the month; in the last third of the month the insurers still
short of their target come first, so the director sees whom to call before the month closes.
Functions flush; the caller commits once."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.core.services import get_owned, get_store
from intranet.director.models import ContactChannel, Insurer, InsurerContact
from intranet.director.settings import settings_for
from intranet.errors import Conflict, DomainError
from intranet.extensions import db

HISTORY_PAGE = 30
RECENT_CONTACTS = 8


def get_insurer(insurer_id: int | None, store_id: int) -> Insurer:
    return get_owned(Insurer, insurer_id, store_id, _l("No such insurer."))


def insurers(store_id: int, *, active_only: bool = True) -> list[Insurer]:
    stmt = select(Insurer).where(Insurer.store_id == store_id)
    if active_only:
        stmt = stmt.where(Insurer.active.is_(True))
    return list(db.session.scalars(stmt.order_by(Insurer.partner.desc(), Insurer.name)))


def month_start_of(day: date) -> date:
    return day.replace(day=1)


def next_month(month_start: date) -> date:
    return (month_start + timedelta(days=32)).replace(day=1)


def month_bounds_utc(month_start: date, tz: str) -> tuple[datetime, datetime]:
    """The UTC instants [start, end) of a calendar month in the store's time zone."""
    start, _ = clock.store_day_bounds_utc(month_start, tz)
    end, _ = clock.store_day_bounds_utc(next_month(month_start), tz)
    return start, end


def target_for(insurer: Insurer, settings) -> int:
    return settings.partner_contacts_target if insurer.partner else settings.insurer_contacts_target


# ------------------------------------------------------------------ the month's progress

@dataclass
class InsurerProgress:
    insurer: Insurer
    contacts: int  # this month
    target: int
    expected: int  # contacts due by today at an even pace through the month
    last_at: datetime | None  # the latest contact ever, this month or before

    @property
    def met(self) -> bool:
        return self.contacts >= self.target

    @property
    def short(self) -> int:
        return max(self.target - self.contacts, 0)

    @property
    def percent(self) -> int:
        return min(100, self.contacts * 100 // self.target) if self.target else 100

    @property
    def state(self) -> str:
        """met, on_pace or behind (fewer contacts than an even pace would have by today)."""
        if self.met:
            return "met"
        return "behind" if self.contacts < self.expected else "on_pace"


def month_elapsed(month_start: date, today: date) -> tuple[int, int]:
    """(days of the month gone by including today, days in the month); a past month is all gone."""
    days = calendar.monthrange(month_start.year, month_start.month)[1]
    if today < month_start:
        return 0, days
    if today >= next_month(month_start):
        return days, days
    return today.day, days


def in_last_third(month_start: date, today: date) -> bool:
    elapsed, days = month_elapsed(month_start, today)
    return elapsed * 3 > days * 2


def month_progress(store_id: int, month_start: date, *, today: date | None = None) -> list[InsurerProgress]:
    """Every active insurer with its contacts in the month against its target (a constant number
    of queries). In the last third of the month those short of their target come first, most
    short first; otherwise partners first, then by name."""
    store = get_store(store_id)
    settings = settings_for(store_id)
    today = today or clock.store_today(store.timezone)
    month_start = month_start_of(month_start)
    start, end = month_bounds_utc(month_start, store.timezone)
    in_month = (select(InsurerContact.insurer_id, func.count(InsurerContact.id).label("n"))
                .where(InsurerContact.store_id == store_id, InsurerContact.at >= start, InsurerContact.at < end)
                .group_by(InsurerContact.insurer_id).subquery())
    latest = (select(InsurerContact.insurer_id, func.max(InsurerContact.at).label("last_at"))
              .where(InsurerContact.store_id == store_id, InsurerContact.at < end)
              .group_by(InsurerContact.insurer_id).subquery())
    rows = db.session.execute(
        select(Insurer, func.coalesce(in_month.c.n, 0), latest.c.last_at)
        .outerjoin(in_month, in_month.c.insurer_id == Insurer.id)
        .outerjoin(latest, latest.c.insurer_id == Insurer.id)
        .where(Insurer.store_id == store_id, Insurer.active.is_(True))
    ).all()
    elapsed, days = month_elapsed(month_start, today)
    progress = []
    for insurer, contacts, last_at in rows:
        target = target_for(insurer, settings)
        progress.append(InsurerProgress(insurer=insurer, contacts=int(contacts), target=target,
                                        expected=target * elapsed // days, last_at=last_at))
    if in_last_third(month_start, today):
        progress.sort(key=lambda p: (p.met, -p.short, not p.insurer.partner, p.insurer.name))
    else:
        progress.sort(key=lambda p: (not p.insurer.partner, p.insurer.name))
    return progress


def recent_contacts(store_id: int, *, limit: int = RECENT_CONTACTS) -> list[InsurerContact]:
    return list(db.session.scalars(
        select(InsurerContact).options(joinedload(InsurerContact.insurer), joinedload(InsurerContact.by))
        .where(InsurerContact.store_id == store_id).order_by(InsurerContact.at.desc(), InsurerContact.id.desc())
        .limit(limit)))


def contact_history(insurer_id: int, store_id: int, *, page: int = 1) -> tuple[list[InsurerContact], bool]:
    """One page of an insurer's contacts, newest first, and whether older ones follow."""
    get_insurer(insurer_id, store_id)
    rows = list(db.session.scalars(
        select(InsurerContact).options(joinedload(InsurerContact.by))
        .where(InsurerContact.store_id == store_id, InsurerContact.insurer_id == insurer_id)
        .order_by(InsurerContact.at.desc(), InsurerContact.id.desc())
        .offset((max(page, 1) - 1) * HISTORY_PAGE).limit(HISTORY_PAGE + 1)))
    return rows[:HISTORY_PAGE], len(rows) > HISTORY_PAGE


def insurer_progress(insurer_id: int, store_id: int, *, today: date | None = None) -> InsurerProgress:
    """This month's progress of one insurer (for its page)."""
    insurer = get_insurer(insurer_id, store_id)
    store = get_store(store_id)
    today = today or clock.store_today(store.timezone)
    found = next((p for p in month_progress(store_id, month_start_of(today), today=today)
                  if p.insurer.id == insurer.id), None)
    if found is None:  # an insurer no longer active: no target, just its figures
        start, end = month_bounds_utc(month_start_of(today), store.timezone)
        contacts = db.session.scalar(select(func.count(InsurerContact.id)).where(
            InsurerContact.insurer_id == insurer.id, InsurerContact.at >= start, InsurerContact.at < end))
        found = InsurerProgress(insurer=insurer, contacts=contacts or 0, target=0, expected=0, last_at=None)
    return found


# ------------------------------------------------------------------ logging a contact and keeping insurers

def parse_local_datetime(value, field: str) -> datetime | None:
    """A wall-clock time typed on a tablet (`2026-11-30T14:05`, or with a space, seconds optional)."""
    if value is None or isinstance(value, datetime):
        return value
    text = str(value).strip().replace("T", " ")
    if not text:
        return None
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    raise DomainError(_l("Enter the date and time as 2026-11-30 14:05."), field=field)


def log_contact(*, store_id: int, actor_id: int, insurer_id, subject: str | None, at=None,
                channel: str | None = None, their_person: str | None = None, note: str | None = None
                ) -> InsurerContact:
    """Record a contact with an insurer. `at` is the store's wall-clock time (a datetime or the
    text a tablet sends), now when empty; it may not lie in the future."""
    insurer_id = int(insurer_id) if str(insurer_id or "").strip().isdigit() else None
    insurer = db.session.get(Insurer, insurer_id) if insurer_id else None
    if insurer is None or insurer.store_id != store_id or not insurer.active:
        raise DomainError(_l("Choose the insurer."), field="insurer_id")
    subject = (subject or "").strip()
    if not subject:
        raise DomainError(_l("Write what the contact was about."), field="subject")
    try:
        channel = ContactChannel(channel or ContactChannel.VISIT)
    except ValueError:
        raise DomainError(_l("Choose how you were in contact."), field="channel") from None
    store = get_store(store_id)
    now = clock.utcnow()
    local = parse_local_datetime(at, "at")
    when = clock.store_local_to_utc(local, store.timezone) if local else now
    if when > now:
        raise DomainError(_l("A contact is logged once it has happened: %(when)s is in the future.",
                             when=local.strftime("%Y-%m-%d %H:%M")), field="at")
    contact = InsurerContact(store_id=store_id, insurer_id=insurer.id, at=when, channel=channel,
                             their_person=(their_person or "").strip()[:32] or None, subject=subject[:200],
                             note=(note or "").strip() or None, by_id=actor_id, created_at=now)
    db.session.add(contact)
    db.session.flush()
    return contact


def save_insurer(*, store_id: int, name: str | None, insurer_id: int | None = None, partner: bool = False,
                 contact_person: str | None = None, phone: str | None = None, active: bool = True) -> Insurer:
    """Add an insurer, or change one. Its name is unique in the store."""
    insurer = get_insurer(insurer_id, store_id) if insurer_id else None
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_l("Enter the insurer's name."), field="name")
    if len(name) > 64:
        raise DomainError(_l("Keep the name under 64 characters."), field="name")
    taken = db.session.scalar(select(Insurer.id).where(Insurer.store_id == store_id,
                                                       func.lower(Insurer.name) == name.lower()))
    if taken and (insurer is None or taken != insurer.id):
        raise Conflict(_l("There is already an insurer called “%(name)s”.", name=name), field="name")
    if insurer is None:
        insurer = Insurer(store_id=store_id)
        db.session.add(insurer)
    insurer.name = name
    insurer.partner = bool(partner)
    insurer.contact_person = (contact_person or "").strip()[:32] or None
    insurer.phone = (phone or "").strip()[:20] or None
    insurer.active = bool(active)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # the same name saved at the same moment on another tablet
        raise Conflict(_l("There is already an insurer called “%(name)s”.", name=name), field="name") from None
    return insurer
