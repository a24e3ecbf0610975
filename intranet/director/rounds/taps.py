"""Taps sent from the tablet's queue. The walk keeps every tap (an answer, a photo, the finish) on the
tablet until the server has it, and sends each with a one-time key and the time it was tapped: a
re-send of a tap already applied (the answer was lost, not the tap) is recognised by its key and
changes nothing, and what was tapped offline is dated when it was tapped, not when the Wi-Fi
returned."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from intranet.director.models import InspectionRound, RoundTap
from intranet.extensions import db

_KEY = re.compile(r"[A-Za-z0-9_-]{8,40}")
# A tablet's own clock is believed only this far back: a tap queued longer ago (or a clock that is
# far off) is dated when it arrives.
LONGEST_OFFLINE = timedelta(hours=12)


def clean_key(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if _KEY.fullmatch(value) else None


def applied(round_id: int, key: str | None) -> bool:
    return key is not None and db.session.scalar(
        select(RoundTap.id).where(RoundTap.round_id == round_id, RoundTap.key == key)) is not None


def remember(round_id: int, key: str | None, kind: str) -> None:
    """Record the tap as applied, in the same unit of work as its change: two copies arriving at once
    meet the unique key, and the second finds the first's."""
    if key is not None:
        db.session.add(RoundTap(round_id=round_id, key=key, kind=kind))
        db.session.flush()


def tapped_at(value: str | None, round_: InspectionRound, now: datetime) -> datetime:
    """When the tablet says it was tapped (milliseconds since 1970), kept between the round's start
    and now; the arrival time when it says nothing believable."""
    try:
        at = datetime.fromtimestamp(int(value) / 1000, UTC).replace(tzinfo=None)
    except (TypeError, ValueError, OverflowError, OSError):
        return now
    if at > now or at < now - LONGEST_OFFLINE:
        return now
    return max(at, round_.started_at) if round_.started_at else at
