"""The heartbeat: a recurring job whose runs show that scheduler and workers are alive."""
from __future__ import annotations

from datetime import timedelta

from rq import get_current_job
from sqlalchemy import delete

from intranet import clock
from intranet.extensions import db
from intranet.jobs.models import JobHeartbeat
from intranet.jobs.queue import flush_pending
from intranet.jobs.runtime import unit_of_work

KEEP_DAYS = 2


def record_heartbeat(*, origin: str = "scheduler") -> JobHeartbeat:
    job = get_current_job()
    beat = JobHeartbeat(
        enqueued_at=job.enqueued_at.replace(tzinfo=None) if job and job.enqueued_at else None,
        ran_at=clock.utcnow(),
        worker=(job.worker_name if job else None),
        origin=origin,
    )
    db.session.add(beat)
    db.session.execute(delete(JobHeartbeat).where(JobHeartbeat.ran_at < clock.utcnow() - timedelta(days=KEEP_DAYS)))
    db.session.flush()
    return beat


@unit_of_work
def heartbeat(origin: str = "scheduler") -> int:
    record_heartbeat(origin=origin)
    return flush_pending()  # the queue works again: hand over kept jobs
