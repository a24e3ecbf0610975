"""The day's schedule: the rounds of the day, each with its time window and the checklist it
walks, and where each one stands now (upcoming, open, late, or its round's status)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.core.models import Store
from intranet.core.services import get_owned
from intranet.director.models import InspectionRound, InspectionTemplate, RoundSlot, RoundStatus
from intranet.errors import DomainError
from intranet.extensions import db

def slots(store_id: int, *, active_only: bool = True) -> list[RoundSlot]:
    stmt = select(RoundSlot).options(joinedload(RoundSlot.template)).where(RoundSlot.store_id == store_id)
    if active_only:
        stmt = stmt.where(RoundSlot.active.is_(True))
    return list(db.session.scalars(stmt.order_by(RoundSlot.starts_at, RoundSlot.position)))


def _time(value, field_name: str):
    try:
        return datetime.strptime((value or "").strip(), "%H:%M").time()
    except ValueError:
        raise DomainError(_l("Enter the time as hh:mm."), field=field_name) from None


def save_slot(store_id: int, *, slot_id: int | None, name: str, starts_at, ends_at, template_id, closing: bool = False,
              active: bool = True) -> RoundSlot:
    """A round of the day's schedule: its name, its time window and the checklist it walks."""
    name = (name or "").strip()
    if not name:
        raise DomainError(_l("Name the round."), field="name")
    start, end = _time(starts_at, "starts_at"), _time(ends_at, "ends_at")
    if end <= start:
        raise DomainError(_l("The window must end after it starts."), field="ends_at")
    try:
        template = get_owned(InspectionTemplate, int(template_id), store_id, _l("Choose the checklist."))
    except (TypeError, ValueError):
        raise DomainError(_l("Choose the checklist."), field="template_id") from None
    slot = get_owned(RoundSlot, slot_id, store_id, _l("No such round in the schedule.")) if slot_id else None
    if slot is None:
        count = db.session.scalar(select(func.count()).select_from(RoundSlot).where(RoundSlot.store_id == store_id))
        slot = RoundSlot(store_id=store_id, code=f"r{(count or 0) + 1}", position=(count or 0) + 1)
        db.session.add(slot)
    slot.name, slot.starts_at, slot.ends_at = name[:64], start, end
    slot.template_id, slot.closing, slot.active = template.id, closing, active
    db.session.flush()
    return slot


@dataclass
class SlotToday:
    slot: RoundSlot
    round: InspectionRound | None
    state: str  # "upcoming", "open", "late" (window passed, not started), or the round's status
    window_start: datetime
    window_end: datetime

    @property
    def startable(self) -> bool:
        return self.round is None or self.round.status_enum == RoundStatus.MISSED


def _window(store: Store, day: date, slot: RoundSlot) -> tuple[datetime, datetime]:
    start = clock.store_local_to_utc(datetime.combine(day, slot.starts_at), store.timezone)
    end = clock.store_local_to_utc(datetime.combine(day, slot.ends_at), store.timezone)
    return start, end


def day_schedule(store: Store, day: date, now: datetime) -> list[SlotToday]:
    return days_schedule(store, day, day, now)


def days_schedule(store: Store, first: date, last: date, now: datetime) -> list[SlotToday]:
    """`day_schedule` of every day from `first` to `last`, one after the other, in two queries
    (the week pack's seven days took fourteen)."""
    found = {(r.day, r.slot_id): r for r in db.session.scalars(
        select(InspectionRound).options(joinedload(InspectionRound.started_by))
        .where(InspectionRound.store_id == store.id, InspectionRound.day >= first, InspectionRound.day <= last))}
    store_slots = slots(store.id)
    schedule = []
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        for slot in store_slots:
            start, end = _window(store, day, slot)
            round_ = found.get((day, slot.id))
            if round_ is not None:
                state = round_.status
            else:
                state = "upcoming" if now < start else "open" if now <= end else "late"
            schedule.append(SlotToday(slot=slot, round=round_, state=state, window_start=start, window_end=end))
    return schedule
