"""The technician's clock: starting (or resuming), pausing with a reason and finishing a job.
One clock runs per technician; a team job can have several. The repair order follows: waiting
for parts or approval on such a pause, the final inspection when its last job is done."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from intranet import clock
from intranet.core.models import ROStatus, User
from intranet.errors import Conflict, DomainError, IllegalTransition
from intranet.extensions import db
from intranet.live.services import bump
from intranet.workshop.models import OPEN_JOB, ClockSpan, Job, JobStatus, PauseReason, Team, Technician
from intranet.workshop.services.moves import BOARDS, _move, _ro_to, already_done, get_job


def running_span(technician_id: int) -> ClockSpan | None:
    return db.session.scalar(select(ClockSpan).where(ClockSpan.technician_id == technician_id,
                                                     ClockSpan.ended_at.is_(None)))


def _may_work_on(job: Job, actor: User) -> None:
    if job.team_job:
        tech = db.session.get(Technician, actor.id)
        if (tech.team if tech else Team.MECHANICAL) != job.team:
            raise DomainError(_l("This is a %(team)s team job.", team=job.team_enum.label))
    elif job.technician_id != actor.id:
        raise DomainError(_l("This job is assigned to %(name)s.",
                             name=job.technician.display_name if job.technician else _("nobody yet")))


def start_job(job_id: int, *, store_id: int, actor_id: int, token: str | None = None) -> Job:
    """Start (or resume) a job: the technician's clock runs on it."""
    if (done := already_done(token)) is not None:
        return done.job
    job = get_job(job_id, store_id)
    actor = db.session.get(User, actor_id)
    _may_work_on(job, actor)
    if job.status_enum not in (JobStatus.ASSIGNED, JobStatus.PAUSED) and not (
            job.team_job and job.status_enum == JobStatus.RUNNING):
        raise IllegalTransition(_l("This job is “%(status)s”: it cannot be started.", status=job.status_enum.label))
    earlier = db.session.scalar(select(Job).where(
        Job.repair_order_id == job.repair_order_id, Job.sequence < job.sequence,
        Job.status.in_([str(s) for s in OPEN_JOB])).order_by(Job.sequence).limit(1))
    if earlier is not None:
        raise DomainError(_l("The %(team)s work on this car comes first (%(title)s).",
                             team=earlier.team_enum.label, title=earlier.title))
    busy = running_span(actor_id)
    if busy is not None and busy.job_id != job.id:
        other = db.session.get(Job, busy.job_id)
        raise Conflict(_l("You are working on %(plate)s (%(title)s). Pause or finish it first.",
                          plate=other.repair_order.vehicle.plate, title=other.title))
    now = clock.utcnow()
    if busy is None:
        try:
            with db.session.begin_nested():
                db.session.add(ClockSpan(store_id=store_id, job_id=job.id, technician_id=actor_id, started_at=now))
                db.session.flush()
        except IntegrityError:  # a second tap raced the first one to the clock
            raise Conflict(_l("Your clock is already running on another job. Pause or finish it first.")) from None
    if job.status_enum != JobStatus.RUNNING:
        _move(job, JobStatus.RUNNING, actor_id=actor_id, technician_id=actor_id, token=token)
    job.started_at = job.started_at or now
    job.paused_reason = None
    db.session.flush()
    ro = job.repair_order
    if ro.status_enum in (ROStatus.CHECKED_IN, ROStatus.WAITING_PARTS):
        _ro_to(ro, ROStatus.IN_WORKSHOP, actor_id)
    bump(store_id, *BOARDS)
    return job


def _stop_clock(job: Job, technician_id: int | None, reason: str) -> None:
    stmt = select(ClockSpan).where(ClockSpan.job_id == job.id, ClockSpan.ended_at.is_(None))
    if technician_id is not None:
        stmt = stmt.where(ClockSpan.technician_id == technician_id)
    now = clock.utcnow()
    for span in db.session.scalars(stmt):
        span.ended_at, span.end_reason = now, reason
    db.session.flush()


def _someone_still_on(job: Job) -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(ClockSpan).where(
        ClockSpan.job_id == job.id, ClockSpan.ended_at.is_(None))))


def pause_job(job_id: int, reason: str, *, store_id: int, actor_id: int, note: str | None = None,
              token: str | None = None) -> Job:
    if (done := already_done(token)) is not None:
        return done.job
    job = get_job(job_id, store_id)
    try:
        reason = PauseReason(reason)
    except ValueError:
        raise DomainError(_l("Choose why the job is paused."), field="reason") from None
    actor = db.session.get(User, actor_id)
    _may_work_on(job, actor)
    if job.status_enum != JobStatus.RUNNING:
        raise IllegalTransition(_l("This job is “%(status)s”: only a job being worked on can be paused.",
                                   status=job.status_enum.label))
    _stop_clock(job, actor_id if job.team_job else None, reason)
    if not _someone_still_on(job):
        _move(job, JobStatus.PAUSED, actor_id=actor_id, reason=reason, note=(note or "").strip() or None, token=token)
        job.paused_reason = reason
    db.session.flush()
    ro = job.repair_order
    if ro.status_enum == ROStatus.IN_WORKSHOP and reason == PauseReason.WAITING_PARTS:
        _ro_to(ro, ROStatus.WAITING_PARTS, actor_id, note=note)
    elif ro.status_enum == ROStatus.IN_WORKSHOP and reason == PauseReason.WAITING_APPROVAL:
        _ro_to(ro, ROStatus.WAITING_APPROVAL, actor_id, note=note)
    bump(store_id, *BOARDS)
    return job


def finish_job(job_id: int, *, store_id: int, actor_id: int, note: str | None = None,
               token: str | None = None) -> Job:
    """The work is done: the clock stops; when it was the car's last open job the car goes to the
    final inspection."""
    if (done := already_done(token)) is not None:
        return done.job
    job = get_job(job_id, store_id)
    actor = db.session.get(User, actor_id)
    _may_work_on(job, actor)
    status = job.status_enum
    if status in (JobStatus.WAITING, JobStatus.ASSIGNED):
        raise IllegalTransition(_l("This job has not been started: start it before finishing it."))
    if status == JobStatus.PAUSED:
        raise IllegalTransition(_l("This job is paused: resume it before finishing it."))
    _stop_clock(job, None, "done")
    _move(job, JobStatus.DONE, actor_id=actor_id, note=(note or "").strip() or None, token=token)
    job.finished_at = clock.utcnow()
    db.session.flush()
    ro = job.repair_order
    still_open = db.session.scalar(select(func.count()).select_from(Job).where(
        Job.repair_order_id == ro.id, Job.status.in_([str(s) for s in OPEN_JOB])))
    if not still_open and ro.status_enum == ROStatus.IN_WORKSHOP:
        _ro_to(ro, ROStatus.QUALITY_CHECK, actor_id)
    bump(store_id, *BOARDS)
    return job
