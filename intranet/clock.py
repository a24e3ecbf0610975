"""The one place the intranet asks what time it is.

Timestamps are stored as naive UTC on every database; `to_store_time` turns them into
the store's wall-clock time for display. Tests freeze the clock with `frozen(...)`.
"""
from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_frozen: datetime | None = None


def utcnow() -> datetime:
    """Naive UTC now (what the database stores)."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC).replace(tzinfo=None)


@contextlib.contextmanager
def frozen(at: datetime):
    """Freeze `utcnow()` at `at` (naive UTC, or aware and converted)."""
    global _frozen
    previous = _frozen
    _frozen = at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at
    try:
        yield
    finally:
        _frozen = previous


def to_store_time(value: datetime | None, tz_name: str) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone(ZoneInfo(tz_name))


def store_today(tz_name: str) -> date:
    return to_store_time(utcnow(), tz_name).date()


def store_day_bounds_utc(day: date, tz_name: str) -> tuple[datetime, datetime]:
    """The UTC instants [start, end) of a calendar day in the store's time zone."""
    tz = ZoneInfo(tz_name)
    start = datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC).replace(tzinfo=None)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz).astimezone(UTC).replace(tzinfo=None)
    return start, end


def store_local_to_utc(value: datetime, tz_name: str) -> datetime:
    """A naive wall-clock time in the store's zone, as naive UTC."""
    return value.replace(tzinfo=ZoneInfo(tz_name)).astimezone(UTC).replace(tzinfo=None)
