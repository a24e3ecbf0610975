"""Complaint statistics and the month's analysis (投诉统计分析): the month's complaints by category,
department, advisor, channel and status, the causes found, this month against last, the improvements
recorded and the six months' counts. Read by the statistics page and the management digests."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from intranet import clock
from intranet.care.complaints import month_bounds
from intranet.care.models import COMPLAINT_OPEN, CareSettings, Complaint, ComplaintStatus
from intranet.care.settings import settings_for
from intranet.core.models import User
from intranet.core.services import get_store
from intranet.extensions import db


def _grouped(store_id: int, column, start: datetime, end: datetime) -> list[tuple]:
    return [tuple(r) for r in db.session.execute(
        select(column, func.count()).where(Complaint.store_id == store_id, Complaint.received_at >= start,
                                           Complaint.received_at < end)
        .group_by(column).order_by(func.count().desc(), column))]


@dataclass
class MonthFigures:
    month: date
    count: int = 0
    judged: int = 0
    justified: int = 0
    closed: int = 0
    closed_on_time: int = 0
    average_days: float | None = None
    open_now: int = 0

    @property
    def justified_share(self) -> float | None:
        return self.justified / self.judged if self.judged else None

    @property
    def on_time_share(self) -> float | None:
        return self.closed_on_time / self.closed if self.closed else None


def allowed_hours(settings: CareSettings) -> int:
    """The whole loop's time limit: the sum of its steps' hours (judge, investigate, propose, approve,
    carry out, confirm, call back)."""
    return settings.complaint_step_hours * 5 + settings.complaint_investigate_hours + settings.complaint_carry_out_hours


def month_figures(store_id: int, month: date) -> MonthFigures:
    store = get_store(store_id)
    start, end = month_bounds(month, store.timezone)
    limit = timedelta(hours=allowed_hours(settings_for(store_id)))
    rows = db.session.execute(
        select(Complaint.status, Complaint.justified, Complaint.received_at, Complaint.closed_at)
        .where(Complaint.store_id == store_id, Complaint.received_at >= start, Complaint.received_at < end)).all()
    figures = MonthFigures(month=month.replace(day=1), count=len(rows))
    days = []
    for status, justified, received, closed in rows:
        if justified is not None:
            figures.judged += 1
            figures.justified += 1 if justified else 0
        if status == ComplaintStatus.CLOSED and closed:
            figures.closed += 1
            figures.closed_on_time += 1 if closed - received <= limit else 0
            days.append((closed - received).total_seconds() / 86400)
        elif status in [s.value for s in COMPLAINT_OPEN]:
            figures.open_now += 1
    figures.average_days = round(sum(days) / len(days), 1) if days else None
    return figures


@dataclass
class Statistics:
    month: date
    by_category: list = field(default_factory=list)
    by_department: list = field(default_factory=list)
    by_advisor: list = field(default_factory=list)
    by_channel: list = field(default_factory=list)
    by_status: list = field(default_factory=list)
    causes: list = field(default_factory=list)
    this: MonthFigures | None = None
    last: MonthFigures | None = None
    improvements: list = field(default_factory=list)
    months: list = field(default_factory=list)  # (month, count) for the last six months


def previous_month(month: date) -> date:
    return (month.replace(day=1) - timedelta(days=1)).replace(day=1)


def statistics(store_id: int, month: date) -> Statistics:
    """The month's complaints by category, department, advisor, channel and status; the causes found;
    this month against last; the improvements recorded; the six months' counts. Fixed number of queries."""
    store = get_store(store_id)
    month = month.replace(day=1)
    start, end = month_bounds(month, store.timezone)
    stats = Statistics(month=month)
    stats.by_category = _grouped(store_id, Complaint.category, start, end)
    stats.by_department = _grouped(store_id, Complaint.department, start, end)
    stats.by_channel = _grouped(store_id, Complaint.channel, start, end)
    stats.by_status = _grouped(store_id, Complaint.status, start, end)
    stats.by_advisor = [tuple(r) for r in db.session.execute(
        select(User.display_name, func.count()).select_from(Complaint)
        .join(User, User.id == Complaint.advisor_id, isouter=True)
        .where(Complaint.store_id == store_id, Complaint.received_at >= start, Complaint.received_at < end)
        .group_by(User.display_name).order_by(func.count().desc(), User.display_name))]
    stats.causes = list(db.session.execute(
        select(Complaint.cause, Complaint.department, func.count().label("n"))
        .where(Complaint.store_id == store_id, Complaint.received_at >= start, Complaint.received_at < end,
               Complaint.cause.is_not(None))
        .group_by(Complaint.cause, Complaint.department)
        .order_by(func.count().desc(), Complaint.cause).limit(12)))
    stats.this = month_figures(store_id, month)
    stats.last = month_figures(store_id, previous_month(month))
    stats.improvements = list(db.session.execute(
        select(Complaint.improvement, Complaint.department, func.count().label("n"))
        .where(Complaint.store_id == store_id, Complaint.closed_at >= start, Complaint.closed_at < end,
               Complaint.improvement.is_not(None))
        .group_by(Complaint.improvement, Complaint.department)
        .order_by(func.count().desc(), Complaint.improvement).limit(20)))
    six_start = month
    for _i in range(5):
        six_start = previous_month(six_start)
    first, _end = month_bounds(six_start, store.timezone)
    received = db.session.scalars(select(Complaint.received_at).where(
        Complaint.store_id == store_id, Complaint.received_at >= first, Complaint.received_at < end)).all()
    counts: dict[date, int] = {}
    for value in received:
        local = clock.to_store_time(value, store.timezone).date().replace(day=1)
        counts[local] = counts.get(local, 0) + 1
    m, stats.months = six_start, []
    while m <= month:
        stats.months.append((m, counts.get(m, 0)))
        m = (m + timedelta(days=32)).replace(day=1)
    return stats
