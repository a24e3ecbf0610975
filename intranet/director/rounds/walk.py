"""A round's life: started with its checklist as it is now (once per slot and day; a missed round
can still be walked, late), paused and resumed, and finished when every item is answered."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from intranet import clock
from intranet.core import transitions
from intranet.core.models import Store
from intranet.core.services import get_owned
from intranet.director.models import ROUND_TRANSITIONS, DirectorEvent, InspectionRound, RoundSlot, RoundStatus
from intranet.director.rounds.checklists import current_version
from intranet.director.rounds.schedule import _window
from intranet.director.rounds.scores import sheet
from intranet.errors import Conflict, DomainError, some_of
from intranet.extensions import db

SUBJECT = "round"


class RoundStarted(Conflict):
    """The slot's round of that day is already under way: `round_id` is the one to open."""

    def __init__(self, message, *, round_id: int):
        super().__init__(message)
        self.round_id = round_id


# How long before its window a round may be started (the director walking up to the first area).
EARLY_START = timedelta(minutes=15)


def start_round(store: Store, slot_id: int, day: date, *, actor_id: int, now: datetime) -> InspectionRound:
    """Start the slot's round of `day` with its checklist as it is now. A second start of the same
    slot is refused (naming who started it); a missed round can still be walked, late."""
    slot = get_owned(RoundSlot, slot_id, store.id, _l("No such round in the schedule."))
    existing = db.session.scalar(select(InspectionRound).where(
        InspectionRound.store_id == store.id, InspectionRound.slot_id == slot.id, InspectionRound.day == day))
    version = current_version(slot.template_id)
    if version is None:
        raise DomainError(_l("The checklist of this round has no items yet."))
    if existing is not None and existing.status_enum != RoundStatus.MISSED:
        who = existing.started_by.display_name if existing.started_by else "—"
        raise RoundStarted(_l("%(round)s was already started by %(name)s at %(time)s: open it instead.",
                              round=slot.name, name=who,
                              time=clock.to_store_time(existing.started_at, store.timezone).strftime("%H:%M")
                              if existing.started_at else "—"), round_id=existing.id)
    start, end = _window(store, day, slot)
    if now < start - EARLY_START:  # a round walked before its time would count as on time
        raise DomainError(_l("%(round)s opens at %(time)s.", round=slot.name, time=slot.starts_at.strftime("%H:%M")))
    if existing is None:
        existing = InspectionRound(store_id=store.id, slot_id=slot.id, day=day, status=RoundStatus.IN_PROGRESS,
                                   missed=now > end)
        db.session.add(existing)
        existing.version_id, existing.started_at, existing.started_by_id = version.id, now, actor_id
        db.session.flush()
        transitions.opened(existing, event_model=DirectorEvent, subject=SUBJECT, actor_id=actor_id)
    else:
        existing.version_id, existing.started_at, existing.started_by_id = version.id, now, actor_id
        _move(existing, RoundStatus.IN_PROGRESS, actor_id, _("Walked late."))
    db.session.flush()
    return existing


def _refusal(current):
    return _l("This round is “%(status)s”: that is not possible now.", status=current.label)


def _move(round_: InspectionRound, to: RoundStatus, actor_id: int | None, note: str | None = None) -> None:
    transitions.move(round_, to, ROUND_TRANSITIONS, event_model=DirectorEvent, subject=SUBJECT, actor_id=actor_id,
                     refusal=_refusal, note=note)


def get_round(store_id: int, round_id: int) -> InspectionRound:
    return get_owned(InspectionRound, round_id, store_id, _l("No such round."))


def round_history(round_id: int) -> list[DirectorEvent]:
    return transitions.events_of(DirectorEvent, SUBJECT, round_id)


def pause_round(store_id: int, round_id: int, *, actor_id: int, area_id: int | None = None) -> InspectionRound:
    round_ = get_round(store_id, round_id)
    _move(round_, RoundStatus.PAUSED, actor_id)
    if area_id:
        round_.last_area_id = area_id
    db.session.flush()
    return round_


def resume_round(store_id: int, round_id: int, *, actor_id: int) -> InspectionRound:
    round_ = get_round(store_id, round_id)
    _move(round_, RoundStatus.IN_PROGRESS, actor_id)
    db.session.flush()
    return round_


def finish_round(store: Store, round_id: int, *, actor_id: int, now: datetime,
                 extra_check=None) -> InspectionRound:
    """Finish: every item answered, every failed item that needs a photo has one. `extra_check`
    (the closing round's overnight cars) may refuse too. The score is kept on the round."""
    round_ = get_round(store.id, round_id)
    current = sheet(round_)
    if current.answered < current.total:
        raise DomainError(_l("%(n)d of %(total)d items are not answered yet.", n=current.total - current.answered,
                             total=current.total))
    missing = current.missing_photos()
    if missing:
        raise DomainError(_l("A photo is required for each failed item: %(items)s.",
                             items=some_of((item.text for item in missing), shown=5)), field="photos")
    if extra_check is not None:
        extra_check(round_)
    _move(round_, RoundStatus.DONE, actor_id)
    round_.finished_at = now
    round_.score = Decimal(str(current.score)) if current.score is not None else None
    _start, end = _window(store, round_.day, round_.slot)
    if now > end:
        round_.missed = True
    db.session.flush()
    return round_
