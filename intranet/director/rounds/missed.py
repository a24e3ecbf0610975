"""Missed rounds: a round whose window has ended without being started is marked missed and the
director is told; a round still open past its window is marked late."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from intranet import clock
from intranet.core import notices, transitions
from intranet.core.models import Role, Store
from intranet.core.services import holders_of
from intranet.director.models import DirectorEvent, InspectionRound, RoundStatus
from intranet.director.rounds.schedule import day_schedule
from intranet.director.rounds.walk import SUBJECT
from intranet.extensions import db

def flag_missed(store: Store, now: datetime) -> list[InspectionRound]:
    """Rounds whose window has ended today without being started become MISSED (and the director
    is told, once: the row is the memory); rounds still open past their window are marked late."""
    day = clock.to_store_time(now, store.timezone).date()
    made = []
    for entry in day_schedule(store, day, now):
        if now <= entry.window_end:
            continue
        if entry.round is None:
            round_ = InspectionRound(store_id=store.id, slot_id=entry.slot.id, day=day, status=RoundStatus.MISSED,
                                     missed=True)
            db.session.add(round_)
            db.session.flush()
            transitions.opened(round_, event_model=DirectorEvent, subject=SUBJECT, actor_id=None)
            made.append(round_)
        elif entry.round.status_enum in (RoundStatus.IN_PROGRESS, RoundStatus.PAUSED) and not entry.round.missed:
            entry.round.missed = True
    db.session.flush()
    if made:
        notices.notify(store.id, holders_of(store.id, Role.DIRECTOR), "round_missed",
                       {"rounds": "、".join(r.slot.name for r in made)}, link="/director/rounds/")
    return made


notices.register("round_missed", lambda p: _("Round not done in its time window: %(rounds)s", rounds=p.get("rounds")))
