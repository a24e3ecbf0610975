"""Enqueueing declared jobs. When Redis cannot take a job it is kept in the database
(PendingEnqueue) and handed over again later, never dropped."""
from __future__ import annotations

import json
import logging

from flask import current_app
from rq import Queue, Retry
from sqlalchemy import delete, select, update

from intranet import clock
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.jobs.connection import REDIS_ERRORS, get_redis
from intranet.jobs.models import PendingEnqueue
from intranet.jobs.schedule import DeclaredJob, get_job, retry_intervals

log = logging.getLogger(__name__)


class EnqueueResult:
    def __init__(self, job_id: str | None = None, kept: PendingEnqueue | None = None):
        self.job_id = job_id
        self.kept = kept

    @property
    def queued(self) -> bool:
        return self.job_id is not None


def _declared(name: str) -> DeclaredJob:
    job = get_job(name)
    if job is None:
        from flask_babel import gettext as _

        raise DomainError(_("No job is declared under the name “%(name)s”.", name=name))
    return job


RUN_NOW_WINDOW = 15  # seconds


def run_now(name: str) -> EnqueueResult:
    """"Run now" from a button: a second tap within RUN_NOW_WINDOW seconds answers with the job the
    first one queued instead of queueing another (a Redis SET NX decides which tap was first). With
    Redis down the job is kept, as `enqueue` does."""
    _declared(name)
    key = f"intranet:run-now:{name}"
    try:
        conn = get_redis()
        if not conn.set(key, "", nx=True, ex=RUN_NOW_WINDOW):
            earlier = conn.get(key)
            return EnqueueResult(job_id=earlier.decode() if earlier else "")
    except REDIS_ERRORS:
        return enqueue(name)
    result = enqueue(name)
    if result.queued:
        try:
            conn.set(key, result.job_id, ex=RUN_NOW_WINDOW)
        except REDIS_ERRORS:
            pass
    return result


def retry_of(job: DeclaredJob) -> Retry | None:
    """How often RQ runs the job again when it fails or its worker dies under it (every job is
    idempotent: a rerun finishes the work and repeats nothing)."""
    return Retry(max=job.retries, interval=retry_intervals(job.retries)) if job.retries else None


def _push(job: DeclaredJob, kwargs: dict) -> str:
    queue = Queue(job.queue, connection=get_redis())
    return queue.enqueue(job.func, kwargs=kwargs, job_timeout=job.timeout, result_ttl=3600, failure_ttl=7 * 86400,
                         retry=retry_of(job)).id


def enqueue(name: str, **kwargs) -> EnqueueResult:
    """Enqueue the declared job `name`. Kwargs must be JSON-able (ids, not objects).
    On a Redis failure the job is kept (flushed, committed by the caller's unit of work)."""
    job = _declared(name)
    payload = json.dumps(kwargs, sort_keys=True)
    try:
        return EnqueueResult(job_id=_push(job, kwargs))
    except REDIS_ERRORS as exc:
        log.warning("Redis refused job %s; kept for a later retry: %s", name, exc)
        kept = PendingEnqueue(job_name=name, kwargs_json=payload, last_error=str(exc)[:500],
                              last_attempt_at=clock.utcnow())
        db.session.add(kept)
        db.session.flush()
        return EnqueueResult(kept=kept)


def flush_pending(limit: int = 500) -> int:
    """Hand kept jobs to Redis, oldest first. Returns how many went through. Flushes only.

    Several processes flush at once when Redis comes back (the scheduler, each worker, the
    heartbeat): each kept job is taken by deleting its row first, so only the process whose DELETE
    removed it hands it over (PostgreSQL makes the others wait for that and find nothing; SQLite lets
    one writer at a time); a refused hand-over puts the row back (the savepoint rolls back)."""
    sent = 0
    rows = db.session.execute(select(PendingEnqueue.id, PendingEnqueue.job_name, PendingEnqueue.kwargs_json)
                              .order_by(PendingEnqueue.id).limit(limit)).all()
    for row_id, name, kwargs_json in rows:
        job = get_job(name)
        if job is None:  # the declaration was removed; keep the row visible rather than guess
            db.session.execute(update(PendingEnqueue).where(PendingEnqueue.id == row_id)
                               .values(last_error="job no longer declared"))
            continue
        try:
            with db.session.begin_nested():
                taken = db.session.execute(delete(PendingEnqueue).where(PendingEnqueue.id == row_id)).rowcount
                if taken:
                    _push(job, json.loads(kwargs_json))
        except REDIS_ERRORS as exc:
            db.session.execute(update(PendingEnqueue).where(PendingEnqueue.id == row_id).values(
                attempts=PendingEnqueue.attempts + 1, last_error=str(exc)[:500], last_attempt_at=clock.utcnow()))
            break
        sent += bool(taken)
    db.session.flush()
    return sent


def queue_lengths() -> dict[str, int]:
    conn = get_redis()
    return {name: Queue(name, connection=conn).count for name in current_app.config["RQ_QUEUES"]}
