"""The boards' reads: the controller's dispatch board (jobs to assign, each team's technicians
with their hours today), a technician's own jobs, and the hours clocked on jobs."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.core.models import RepairOrder
from intranet.extensions import db
from intranet.workshop.models import OPEN_JOB, ClockSpan, Job, JobStatus, Team, Technician, span_hours
from intranet.workshop.services.clocking import running_span
from intranet.workshop.services.crew import technicians
from intranet.workshop.services.parts import parts_requests


@dataclass
class TechLoad:
    tech: Technician
    assigned_hours: Decimal = Decimal("0")  # open jobs plus jobs finished today
    clocked_today: float = 0.0
    current: Job | None = None  # the job being worked on now
    queue: list[Job] = field(default_factory=list)  # assigned or paused, not running


def _load_jobs(stmt) -> list[Job]:
    return list(db.session.scalars(stmt.options(
        joinedload(Job.repair_order).joinedload(RepairOrder.vehicle), joinedload(Job.technician))))


def dispatch_board(store, now: datetime) -> dict:
    """What the controller dispatches from: jobs to assign, and each team's technicians with the
    hours on them today. A fixed number of queries whatever the size of the workshop."""
    day_start, _day_end = clock.store_day_bounds_utc(clock.store_today(store.timezone), store.timezone)
    open_jobs = _load_jobs(select(Job).where(Job.store_id == store.id, Job.status.in_([str(s) for s in OPEN_JOB]))
                           .order_by(Job.created_at, Job.id))
    done_today = dict(db.session.execute(
        select(Job.technician_id, func.sum(Job.sold_hours)).where(
            Job.store_id == store.id, Job.status == JobStatus.DONE, Job.finished_at >= day_start)
        .group_by(Job.technician_id)).all())
    spans = db.session.execute(select(ClockSpan.technician_id, ClockSpan.started_at, ClockSpan.ended_at).where(
        ClockSpan.store_id == store.id, or_(ClockSpan.ended_at.is_(None), ClockSpan.ended_at >= day_start))).all()
    running_on = dict(db.session.execute(select(ClockSpan.technician_id, ClockSpan.job_id).where(
        ClockSpan.store_id == store.id, ClockSpan.ended_at.is_(None))).all())
    loads = {t.user_id: TechLoad(t, assigned_hours=Decimal(done_today.get(t.user_id) or 0))
             for t in technicians(store.id)}
    for tech_id, started, ended in spans:
        if tech_id in loads:
            loads[tech_id].clocked_today += span_hours(max(started, day_start), ended, now)
    blocked = _blocked(open_jobs)
    waiting = []
    jobs_by_id = {job.id: job for job in open_jobs}
    for job in open_jobs:
        if job.status_enum == JobStatus.WAITING:
            waiting.append(job)
            continue
        load = loads.get(job.technician_id)
        if load is None:
            continue
        load.assigned_hours += Decimal(job.sold_hours)
        if running_on.get(job.technician_id) == job.id:
            load.current = job
        else:
            load.queue.append(job)
    for tech_id, job_id in running_on.items():  # a team job someone joined
        if tech_id in loads and loads[tech_id].current is None and job_id in jobs_by_id:
            loads[tech_id].current = jobs_by_id[job_id]
    teams = {team: [load for load in loads.values() if load.tech.team == team] for team in Team}
    return {"waiting": waiting, "teams": teams, "blocked": blocked}


def _blocked(jobs: list[Job]) -> dict[int, Job]:
    """Jobs that must wait for an earlier team on the same car (body before paint before mechanical)."""
    first_open: dict[int, Job] = {}
    for job in sorted(jobs, key=lambda j: (j.repair_order_id, j.sequence, j.id)):
        first_open.setdefault(job.repair_order_id, job)
    return {job.id: first_open[job.repair_order_id] for job in jobs
            if first_open[job.repair_order_id].sequence < job.sequence}


def my_jobs(store_id: int, technician_id: int) -> dict:
    tech = db.session.get(Technician, technician_id)
    mine = _load_jobs(select(Job).where(Job.store_id == store_id, Job.status.in_(
        [JobStatus.ASSIGNED, JobStatus.RUNNING, JobStatus.PAUSED]), Job.technician_id == technician_id)
        .order_by(Job.assigned_at, Job.id))
    team_jobs = []
    if tech is not None:
        team_jobs = _load_jobs(select(Job).where(
            Job.store_id == store_id, Job.team_job.is_(True), Job.team == tech.team,
            Job.technician_id != technician_id, Job.status.in_([JobStatus.ASSIGNED, JobStatus.RUNNING,
                                                                 JobStatus.PAUSED])))
    span = running_span(technician_id)
    jobs = mine + team_jobs
    clocked = clocked_hours([job.id for job in jobs], clock.utcnow())
    current = next((job for job in jobs if span and job.id == span.job_id), None)
    cars = list({job.repair_order_id for job in jobs})
    # the other open jobs on these cars, only to know which of mine must wait for another team
    blocked = _blocked(list(db.session.scalars(select(Job).where(
        Job.repair_order_id.in_(cars), Job.status.in_([str(s) for s in OPEN_JOB]))))) if jobs else {}
    requests = parts_requests(store_id, ro_ids=cars) if jobs else []
    return {"current": current, "queue": [j for j in jobs if j is not current], "clocked": clocked,
            "blocked": blocked, "requests": requests}


def clocked_hours(job_ids: list[int], now: datetime) -> dict[int, float]:
    if not job_ids:
        return {}
    hours: dict[int, float] = defaultdict(float)
    for job_id, started, ended in db.session.execute(select(ClockSpan.job_id, ClockSpan.started_at,
                                                            ClockSpan.ended_at).where(ClockSpan.job_id.in_(job_ids))):
        hours[job_id] += span_hours(started, ended, now)
    return hours
