"""One way for a record with a status to move: check the move against its table of legal moves,
set the status, and write who moved it, when, from where to where into the area's event table
(`PartsEvent`, `DirectorEvent`, `CareEvent` — each a `core.models.StatusEvent`)."""
from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.errors import IllegalTransition
from intranet.extensions import db


def move(record, to, moves: Mapping, *, event_model, subject: str, actor_id: int | None,
         refusal: Callable[[object], object], note: str | None = None) -> None:
    """Move `record` to `to` if `moves` allows it; else raise IllegalTransition with
    `refusal(current status)`."""
    current = type(to)(record.status)
    if to not in moves.get(current, frozenset()):
        raise IllegalTransition(refusal(current))
    record.status = to
    opened(record, event_model=event_model, subject=subject, actor_id=actor_id, note=note, from_status=current)


def opened(record, *, event_model, subject: str, actor_id: int | None, note: str | None = None,
           from_status=None) -> None:
    """Record a subject's first state (or a move)."""
    if record.id is None:
        db.session.flush()
    limit = event_model.note.type.length or 200
    db.session.add(event_model(store_id=record.store_id, subject=subject, subject_id=record.id,
                               from_status=str(from_status) if from_status is not None else None,
                               to_status=str(record.status), actor_id=actor_id, at=clock.utcnow(),
                               note=(note or "").strip()[:limit] or None))


def events_of(event_model, subject: str, subject_id: int) -> list:
    return list(db.session.scalars(select(event_model).options(joinedload(event_model.actor))
                                   .where(event_model.subject == subject, event_model.subject_id == subject_id)
                                   .order_by(event_model.id)))
