"""The workshop's figures, each with the formula it is computed by (from the store's documents):
per technician and team — efficiency, jobs done, first-time pass rate, reworks, comebacks; per
day — cars in and out, same-day and on-time delivery rates. A fixed number of queries."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from intranet import clock
from intranet.core.models import RepairOrder, ROStatus, Store
from intranet.extensions import db
from intranet.workshop.models import ClockSpan, Job, JobStatus, Team, span_hours
from intranet.workshop.services import technicians


def _rate(part: float, whole: float) -> float | None:
    return part / whole if whole else None


@dataclass
class PersonFigures:
    name: str
    team: str
    jobs_done: int = 0
    first_jobs: int = 0  # jobs done that were not themselves reworks
    first_time_right: int = 0  # …that no final inspection sent back
    sold_hours: float = 0.0
    clocked_hours: float = 0.0
    reworks: int = 0
    comebacks: int = 0
    user_id: int | None = None  # the technician (None on a team's total row)

    @property
    def efficiency(self) -> float | None:
        return _rate(self.sold_hours, self.clocked_hours)

    @property
    def first_time_pass(self) -> float | None:
        return _rate(self.first_time_right, self.first_jobs)

    def add(self, other: PersonFigures) -> None:
        for name in ("jobs_done", "first_jobs", "first_time_right", "sold_hours", "clocked_hours", "reworks",
                     "comebacks"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class TeamFigures:
    people: list[PersonFigures] = field(default_factory=list)
    total: PersonFigures | None = None


# made once: an alias of a wide table costs milliseconds to build, on every call if made inside
_REWORKED = aliased(Job)
_ORIGINAL = aliased(Job)
_EARLIER = aliased(RepairOrder)


def technician_figures(store: Store, start: date, end: date, *, crew=None,
                       hours_only: bool = False) -> dict[Team, TeamFigures]:
    """`crew`: the store's technicians (`technicians(store.id, active_only=False)`) when the caller
    has them; `hours_only`: only the jobs done and the hours (no reworks, no comebacks)."""
    since, _ = clock.store_day_bounds_utc(start, store.timezone)
    _, until = clock.store_day_bounds_utc(end, store.timezone)
    now = clock.utcnow()
    people = {t.user_id: PersonFigures(t.user.display_name, t.team, user_id=t.user_id)
              for t in (crew if crew is not None else technicians(store.id, active_only=False))}
    reworked = _REWORKED
    done = db.session.execute(
        select(Job.technician_id, Job.rework_of_id.is_(None), func.count(), func.sum(Job.sold_hours),
               func.count(reworked.id.distinct()))
        .outerjoin(reworked, reworked.rework_of_id == Job.id)
        .where(Job.store_id == store.id, Job.status == JobStatus.DONE, Job.finished_at >= since,
               Job.finished_at < until)
        .group_by(Job.technician_id, Job.rework_of_id.is_(None))).all()
    for tech_id, original, count, sold, sent_back in done:
        person = people.get(tech_id)
        if person is None:
            continue
        person.jobs_done += count
        person.sold_hours += float(sold or 0)
        if original:
            person.first_jobs += count
            person.first_time_right += count - sent_back
    for tech_id, started, ended in db.session.execute(
            select(ClockSpan.technician_id, ClockSpan.started_at, ClockSpan.ended_at)
            .where(ClockSpan.store_id == store.id, ClockSpan.started_at >= since, ClockSpan.started_at < until)):
        if tech_id in people:
            people[tech_id].clocked_hours += span_hours(started, ended, now)
    if hours_only:
        return _by_team(people)
    original = _ORIGINAL
    for tech_id, count in db.session.execute(
            select(original.technician_id, func.count()).select_from(Job)
            .join(original, Job.rework_of_id == original.id)
            .where(Job.store_id == store.id, Job.created_at >= since, Job.created_at < until)
            .group_by(original.technician_id)):
        if tech_id in people:
            people[tech_id].reworks += count
    # a comeback counts against every technician who did work on the visit it redoes
    earlier = _EARLIER
    for tech_id, count in db.session.execute(
            select(Job.technician_id, func.count(RepairOrder.id.distinct())).select_from(RepairOrder)
            .join(earlier, RepairOrder.comeback_of_id == earlier.id)
            .join(Job, (Job.repair_order_id == earlier.id) & (Job.status == JobStatus.DONE))
            .where(RepairOrder.store_id == store.id, RepairOrder.opened_at >= since, RepairOrder.opened_at < until)
            .group_by(Job.technician_id)):
        if tech_id in people:
            people[tech_id].comebacks += count
    return _by_team(people)


def _by_team(people: dict) -> dict[Team, TeamFigures]:
    teams = {}
    for team in Team:
        members = [p for p in people.values() if p.team == team]
        total = PersonFigures(str(team.label), team)
        for person in members:
            total.add(person)
        teams[team] = TeamFigures(people=members, total=total)
    return teams


@dataclass
class DayFigures:
    day: date
    cars_in: int = 0
    cars_out: int = 0
    in_and_out: int = 0  # came in this day and left the same day
    on_time: int = 0  # left this day before their promised time
    promised: int = 0  # left this day with a promised time

    @property
    def same_day_rate(self) -> float | None:
        return _rate(self.in_and_out, self.cars_in)

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.on_time, self.promised)


def daily_figures(store: Store, start: date, end: date) -> list[DayFigures]:
    """Days newest first, then a total row (day None)."""
    since, _ = clock.store_day_bounds_utc(start, store.timezone)
    _, until = clock.store_day_bounds_utc(end, store.timezone)
    days = {start + timedelta(days=n): DayFigures(start + timedelta(days=n)) for n in range((end - start).days + 1)}

    def local_day(value):
        return clock.to_store_time(value, store.timezone).date()

    for opened, delivered in db.session.execute(select(RepairOrder.opened_at, RepairOrder.delivered_at).where(
            RepairOrder.store_id == store.id, RepairOrder.opened_at >= since, RepairOrder.opened_at < until,
            RepairOrder.status != ROStatus.CANCELLED)):
        row = days.get(local_day(opened))
        if row:
            row.cars_in += 1
            row.in_and_out += bool(delivered and local_day(delivered) == row.day)
    for delivered, promised in db.session.execute(select(RepairOrder.delivered_at, RepairOrder.promised_at).where(
            RepairOrder.store_id == store.id, RepairOrder.delivered_at >= since, RepairOrder.delivered_at < until)):
        row = days.get(local_day(delivered))
        if row:
            row.cars_out += 1
            if promised is not None:
                row.promised += 1
                row.on_time += delivered <= promised
    total = DayFigures(None)
    for row in days.values():
        for name in ("cars_in", "cars_out", "in_and_out", "on_time", "promised"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return [*sorted(days.values(), key=lambda r: r.day, reverse=True), total]
