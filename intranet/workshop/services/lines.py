"""Jobs from repair-order lines: a labour line joins its team's job on the car that has not
started yet (or makes a new one waiting for dispatch), and leaves it when removed."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.core.models import RepairOrderLine
from intranet.extensions import db
from intranet.live.services import bump
from intranet.workshop.models import Job, JobEvent, JobStatus, Team
from intranet.workshop.services.moves import BOARDS, _move


def line_team(line: RepairOrderLine) -> Team:
    try:
        return Team(line.team) if line.team else Team.MECHANICAL
    except ValueError:
        return Team.MECHANICAL


def _retitle(job: Job, lines: list[RepairOrderLine]) -> None:
    job.title = ("、".join(line.description for line in lines) or job.title)[:200]
    job.sold_hours = sum((Decimal(line.quantity) for line in lines), Decimal("0"))


def attach_line(line: RepairOrderLine) -> Job:
    """A labour line was added: it joins its team's job on this car that has not started yet, or
    makes a new job waiting for dispatch."""
    ro = line.repair_order
    team = line_team(line)
    line.team = team
    job = db.session.scalar(select(Job).where(
        Job.repair_order_id == ro.id, Job.team == team, Job.rework_of_id.is_(None),
        Job.status.in_([JobStatus.WAITING, JobStatus.ASSIGNED])).order_by(Job.id).limit(1))
    if job is None:
        job = Job(store_id=ro.store_id, repair_order_id=ro.id, team=team, title=line.description[:200],
                  sold_hours=Decimal("0"), sequence=team.sequence, status=JobStatus.WAITING, created_at=clock.utcnow())
        db.session.add(job)
        db.session.flush()
        job.events.append(JobEvent(from_status=None, to_status=JobStatus.WAITING, at=clock.utcnow()))
    line.job_id = job.id
    db.session.flush()
    _retitle(job, _lines_of(job))
    bump(ro.store_id, *BOARDS)
    return job


def detach_line(line: RepairOrderLine) -> None:
    """A labour line is being removed: its job shrinks, and a job not yet started with nothing
    left is cancelled."""
    if line.job_id is None:
        return
    job = db.session.get(Job, line.job_id)
    remaining = [other for other in _lines_of(job) if other.id != line.id]
    line.job_id = None
    if remaining:
        _retitle(job, remaining)
    else:
        job.sold_hours = Decimal("0")
        if job.status_enum in (JobStatus.WAITING, JobStatus.ASSIGNED):
            _move(job, JobStatus.CANCELLED, actor_id=None)
    db.session.flush()
    bump(job.store_id, *BOARDS)


def _lines_of(job: Job) -> list[RepairOrderLine]:
    return list(db.session.scalars(select(RepairOrderLine).where(RepairOrderLine.job_id == job.id)
                                   .order_by(RepairOrderLine.position)))


def jobs_of(ro_id: int) -> list[Job]:
    return list(db.session.scalars(select(Job).options(joinedload(Job.technician))
                                   .where(Job.repair_order_id == ro_id).order_by(Job.sequence, Job.id)))
