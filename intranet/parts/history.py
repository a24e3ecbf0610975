"""The parts store's state machines share one way to move: check the move against the subject's
table, set the status, and record who moved it, when, from where to where (`PartsEvent`)."""
from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.errors import IllegalTransition
from intranet.extensions import db
from intranet.parts.models import PartsEvent


def move(record, to, moves: Mapping, *, subject: str, actor_id: int | None, refusal: Callable[[object], object],
         note: str | None = None) -> None:
    """Move `record` (an order, a claim, a count, a write-off) to `to` if `moves` allows it; else
    raise IllegalTransition with `refusal(current status)`."""
    current = type(to)(record.status)
    if to not in moves.get(current, frozenset()):
        raise IllegalTransition(refusal(current))
    record.status = to
    opened(record, subject=subject, actor_id=actor_id, note=note, from_status=current)


def opened(record, *, subject: str, actor_id: int | None, note: str | None = None, from_status=None) -> None:
    """Record a subject's first state (or a move): call after the record has its id (flush)."""
    if record.id is None:
        db.session.flush()
    db.session.add(PartsEvent(store_id=record.store_id, subject=subject, subject_id=record.id,
                              from_status=str(from_status) if from_status is not None else None,
                              to_status=str(record.status), actor_id=actor_id, at=clock.utcnow(),
                              note=(note or "").strip()[:200] or None))


def events_of(subject: str, subject_id: int) -> list[PartsEvent]:
    return list(db.session.scalars(select(PartsEvent).options(joinedload(PartsEvent.actor))
                                   .where(PartsEvent.subject == subject, PartsEvent.subject_id == subject_id)
                                   .order_by(PartsEvent.id)))
