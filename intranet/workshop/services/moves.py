"""A job's moves and what every move checks: the job of this store, its state machine (each move
leaves an event), a resent tap answered by the event it already produced, the version the board
showed, and the repair order following its jobs. Functions flush; the caller commits once."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from intranet import clock
from intranet.core.models import RepairOrder, ROStatus
from intranet.core.services import get_owned, transition_repair_order
from intranet.errors import Conflict, IllegalTransition
from intranet.extensions import db
from intranet.workshop.models import JOB_TRANSITIONS, Job, JobEvent, JobStatus

BOARDS = ("today", "workshop")


class StaleJob(Conflict):
    """The board showed an older state of the job (someone reassigned or started it meanwhile)."""


def get_job(job_id: int, store_id: int) -> Job:
    return get_owned(Job, job_id, store_id, _l("No such job."))


def _move(job: Job, to: JobStatus, *, actor_id: int | None, technician_id: int | None = None,
          reason: str | None = None, note: str | None = None, token: str | None = None) -> None:
    current = job.status_enum
    if to not in JOB_TRANSITIONS[current]:
        raise IllegalTransition(_l("A job that is “%(current)s” cannot become “%(target)s”.",
                                   current=current.label, target=to.label))
    job.status = to
    job.events.append(JobEvent(from_status=current, to_status=to, actor_id=actor_id, technician_id=technician_id,
                               at=clock.utcnow(), reason=reason, note=note, token=token or None))


def already_done(token: str | None) -> JobEvent | None:
    """The event a resent tap already produced, if any (the tablet lost the first answer)."""
    if not token:
        return None
    return db.session.scalar(select(JobEvent).where(JobEvent.token == token))


def _expect(job: Job, expected_version: int | None) -> None:
    if expected_version is None or job.version == expected_version:
        return
    last = job.events[-1] if job.events else None
    who = last.actor.display_name if last and last.actor else _("a colleague")
    raise StaleJob(_l("This job changed meanwhile (%(who)s: %(status)s). The board is refreshed — check it "
                      "and tap again.", who=who, status=job.status_enum.label))


def _ro_to(ro: RepairOrder, target: ROStatus, actor_id: int | None, note: str | None = None) -> None:
    if ro.status_enum != target:
        transition_repair_order(ro.id, target, actor_id=actor_id, note=note)
