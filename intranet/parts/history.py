"""The parts store's state machines (orders, claims, counts, write-offs) move through the one
`core.transitions.move`, recording each move as a `PartsEvent`."""
from __future__ import annotations

from collections.abc import Callable, Mapping

from intranet.core import transitions
from intranet.parts.models import PartsEvent


def move(record, to, moves: Mapping, *, subject: str, actor_id: int | None, refusal: Callable[[object], object],
         note: str | None = None) -> None:
    transitions.move(record, to, moves, event_model=PartsEvent, subject=subject, actor_id=actor_id,
                     refusal=refusal, note=note)


def opened(record, *, subject: str, actor_id: int | None, note: str | None = None, from_status=None) -> None:
    transitions.opened(record, event_model=PartsEvent, subject=subject, actor_id=actor_id, note=note,
                       from_status=from_status)


def events_of(subject: str, subject_id: int) -> list[PartsEvent]:
    return transitions.events_of(PartsEvent, subject, subject_id)
