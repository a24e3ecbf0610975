"""Dispatch: the controller assigns (or reassigns) a job to a technician of its team, or takes it
back to the waiting list. The first dispatch moves the car to "in workshop"."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from intranet import clock
from intranet.core.models import ROStatus
from intranet.errors import DomainError, NotFound
from intranet.extensions import db
from intranet.live.services import bump
from intranet.workshop.models import Job, JobStatus, Technician
from intranet.workshop.services.crew import technicians
from intranet.workshop.services.moves import BOARDS, _expect, _move, _ro_to, already_done, get_job


def _technician(user_id: int, store_id: int) -> Technician:
    tech = next(iter(technicians(store_id, active_only=False, user_id=user_id)), None)
    if tech is None:
        raise NotFound(_l("This person is not a technician of the workshop."))
    return tech


def assign_job(job_id: int, technician_id: int, *, store_id: int, actor_id: int, expected_version: int | None,
               token: str | None = None) -> Job:
    """Dispatch (or reassign) a job to a technician of its team."""
    if (done := already_done(token)) is not None:
        return done.job
    job = get_job(job_id, store_id)
    _expect(job, expected_version)
    tech = _technician(technician_id, store_id)
    if not tech.user.active:
        raise DomainError(_l("%(name)s's account is disabled: choose another technician.",
                             name=tech.user.display_name))
    if tech.team != job.team:
        raise DomainError(_l("%(name)s works in %(team)s, but this is %(job_team)s work.",
                             name=tech.user.display_name, team=tech.team_enum.label, job_team=job.team_enum.label))
    if job.status_enum == JobStatus.RUNNING:
        raise DomainError(_l("%(name)s is working on this job now; it can be reassigned once paused.",
                             name=job.technician.display_name if job.technician else "?"))
    if job.status_enum == JobStatus.ASSIGNED and job.technician_id == technician_id:
        return job
    _move(job, JobStatus.ASSIGNED, actor_id=actor_id, technician_id=technician_id, token=token)
    job.technician, job.assigned_at = tech.user, clock.utcnow()
    db.session.flush()
    ro = job.repair_order
    if ro.status_enum == ROStatus.CHECKED_IN:
        _ro_to(ro, ROStatus.IN_WORKSHOP, actor_id)
    bump(store_id, *BOARDS)
    return job


def unassign_job(job_id: int, *, store_id: int, actor_id: int, expected_version: int | None,
                 token: str | None = None) -> Job:
    if (done := already_done(token)) is not None:
        return done.job
    job = get_job(job_id, store_id)
    _expect(job, expected_version)
    _move(job, JobStatus.WAITING, actor_id=actor_id, token=token)
    job.technician = None
    db.session.flush()
    bump(store_id, *BOARDS)
    return job
