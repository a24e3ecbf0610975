"""The periods management reads: a day, a week (Monday–Sunday), a month, or a chosen range —
store-local days, both ends included — and the period before it of the same kind and length."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from intranet.errors import DomainError

DAY, WEEK, MONTH, RANGE = "day", "week", "month", "range"


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    kind: str = RANGE

    def __post_init__(self):
        if self.start > self.end:
            raise DomainError(_l("The period starts after it ends."), field="start")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period just before: the previous day, week or calendar month, or the same number
        of days before a chosen range."""
        if self.kind == MONTH:
            return month_of(self.start - timedelta(days=1))
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1), self.kind)

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range(self.days)]


def day_of(day: date) -> Period:
    return Period(day, day, DAY)


def week_of(day: date) -> Period:
    monday = day - timedelta(days=day.weekday())
    return Period(monday, monday + timedelta(days=6), WEEK)


def month_of(day: date) -> Period:
    first = day.replace(day=1)
    return Period(first, first.replace(day=calendar.monthrange(first.year, first.month)[1]), MONTH)


def period_for(kind: str, today: date, start: date | None = None, end: date | None = None) -> Period:
    """The period a page asks for: today, this week, this month (so far is fine: the figures count
    what happened), or a range (start and end required)."""
    if kind == WEEK:
        return week_of(today)
    if kind == MONTH:
        return month_of(today)
    if kind == RANGE:
        if start is None or end is None:
            raise DomainError(_l("Choose the first and the last day."), field="start")
        return Period(start, end, RANGE)
    return day_of(today)
