"""The sweep ("jobs-sweep", every minute): work that was started and never finished, and scheduled
runs that never happened, are run again — once.

- **A job whose worker died under it** (killed, out of memory, the machine restarted) stays
  "started" in RQ. A worker is dead when it is no longer registered, when it runs on this machine
  and its process is gone, or when it has not reported for `WORKER_SILENT_SECONDS`. Its job is then
  handed to RQ's own handling of abandoned jobs: retried while it has retries left (every declared
  job has three, `schedule.RETRY_INTERVALS`), else moved to the failed jobs, which the
  administrator's jobs page lists with a button to run it again.
- **A scheduled run that was missed** (the scheduler was down, or Redis, at its cron time): when a
  cron job's last due time passed more than `MISSED_GRACE` ago, within `CATCH_UP_HOURS`, and the
  scheduler has not enqueued it since, the sweep enqueues it once and notes it in the cron job's
  history, so the next sweep does not again. A job the scheduler never ran (a new installation) is
  not caught up.
Every job is idempotent, so a rerun finishes what the killed run began and repeats nothing."""
from __future__ import annotations

import logging
import os
import re
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from flask import current_app
from rq import Queue, Worker
from rq.cron import get_cron_job_history_key
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, StartedJobRegistry

from intranet import clock
from intranet.jobs.connection import get_redis
from intranet.jobs.queue import enqueue
from intranet.jobs.runtime import unit_of_work
from intranet.jobs.schedule import JOBS, DeclaredJob, job_for_function, retry_intervals

log = logging.getLogger(__name__)

WORKER_SILENT_SECONDS = 180  # a busy worker reports every 30 s
MISSED_GRACE = timedelta(minutes=3)
CATCH_UP_HOURS = 12
LOCK = "intranet:jobs:sweep"


def schedule_zone() -> ZoneInfo:
    """The zone cron times are read in: the scheduler's TZ, the store's zone by default."""
    try:
        return ZoneInfo((os.environ.get("TZ") or "Asia/Shanghai").lstrip(":"))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Shanghai")


def _process_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def worker_gone(conn, worker_name: str | None) -> bool:
    if not worker_name:
        return True
    worker = Worker.find_by_key(Worker.redis_worker_namespace_prefix + worker_name, connection=conn)
    if worker is None:
        return True
    if worker.hostname == socket.gethostname() and not _process_alive(worker.pid):
        return True
    beat = worker.last_heartbeat
    if beat is not None:
        beat = beat if beat.tzinfo else beat.replace(tzinfo=UTC)
        if datetime.now(UTC) - beat > timedelta(seconds=WORKER_SILENT_SECONDS):
            return True
    return False


@dataclass
class StuckJob:
    """A job the administrator may want to run again: failed for good, or started under a worker
    that is gone."""

    id: str
    name: str
    queue: str
    state: str  # "failed" | "abandoned"
    kwargs: dict
    since: datetime | None  # UTC, naive
    error: str | None


def _declared_name(job: Job) -> str:
    declared = job_for_function(job.func_name)
    return declared.name if declared else (job.func_name or job.id)


def _naive(at: datetime | None) -> datetime | None:
    return at.astimezone(UTC).replace(tzinfo=None) if at and at.tzinfo else at


def _error_line(job: Job) -> str | None:
    result = job.latest_result()
    text = (result.exc_string if result is not None else None) or ""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    # "intranet.errors.NotFound: No such stock count." reads "NotFound: No such stock count."
    return re.sub(r"^(?:\w+\.)+(\w+: )", r"\1", lines[-1])[:300] if lines else None


def abandoned_jobs(conn) -> list[tuple[Job, StartedJobRegistry, str]]:
    """Jobs RQ still has as started whose worker is gone: (job, registry, registry entry)."""
    found = []
    for queue_name in current_app.config["RQ_QUEUES"]:
        registry = StartedJobRegistry(queue_name, connection=conn, job_class=Job)
        for job_id, execution_id in registry.get_job_and_execution_ids(cleanup=False):
            try:
                job = Job.fetch(job_id, connection=conn)
            except NoSuchJobError:
                continue
            if job.get_status(refresh=False) == JobStatus.STARTED and worker_gone(conn, job.worker_name):
                found.append((job, registry, f"{job_id}:{execution_id}"))
    return found


def hand_back(conn, job: Job, registry: StartedJobRegistry, entry: str) -> bool:
    """Run an abandoned job again at once, counting one of its retries (its worker died: no reason
    to wait as after a failure). With no retry left it is failed, as RQ would after the worker's
    time-to-live, and waits on the jobs page. A job enqueued without retries gets its declared ones
    first. False when someone else handed it back first."""
    declared = job_for_function(job.func_name)
    if job.retries_left is None and declared is not None and declared.retries:
        job.retries_left = declared.retries
        job.retry_intervals = retry_intervals(declared.retries)
    if not job.retries_left:
        conn.zadd(registry.key, {entry: 0}, xx=True)
        registry.cleanup(timestamp=1)  # only the entry marked above has a score that low
        return True
    if not conn.zrem(registry.key, entry):  # the guard: only one sweep (or tap) requeues it
        return False
    job.retries_left -= 1
    _requeue(conn, job)
    return True


def _requeue(conn, job: Job) -> None:
    job.started_at = job.ended_at = None
    with conn.pipeline() as pipeline:
        Queue(job.origin, connection=conn, job_class=Job)._enqueue_job(job, pipeline=pipeline)  # as rq's retry does
        pipeline.execute()


def last_due(job: DeclaredJob, now: datetime) -> datetime:
    """The cron job's latest due time at or before `now` (both UTC, naive)."""
    zone = schedule_zone()
    local_now = now.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)
    local_due = croniter(job.cron, local_now + timedelta(seconds=1)).get_prev(datetime)
    return local_due.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def missed_runs(conn, now: datetime) -> list[tuple[DeclaredJob, datetime]]:
    """Cron jobs whose last due time passed (more than MISSED_GRACE ago, within CATCH_UP_HOURS)
    without the scheduler enqueueing them since."""
    missed = []
    for job in JOBS:
        if not job.cron:
            continue
        due = last_due(job, now)
        if not (now - timedelta(hours=CATCH_UP_HOURS) <= due <= now - MISSED_GRACE):
            continue
        newest = conn.zrange(get_cron_job_history_key(job.name), -1, -1, withscores=True)
        if not newest:  # never scheduled here: a new installation, nothing to catch up
            continue
        enqueued_at = datetime.fromtimestamp(newest[0][1], UTC).replace(tzinfo=None)
        if enqueued_at < due - timedelta(seconds=1):
            missed.append((job, due))
    return missed


def sweep(now: datetime | None = None) -> dict:
    """One sweep (see the module's text). Flushes only; the job's unit of work commits what a kept
    job needs."""
    now = now or clock.utcnow()
    conn = get_redis()
    summary = {"abandoned": 0, "caught_up": []}
    lock = conn.lock(LOCK, timeout=120, blocking=False)
    if not lock.acquire():  # another worker sweeps right now
        return summary
    try:
        for job, registry, entry in abandoned_jobs(conn):
            if hand_back(conn, job, registry, entry):
                log.warning("Job %s (%s) was abandoned by its worker %s: running it again", job.id,
                            _declared_name(job), job.worker_name)
                summary["abandoned"] += 1
        for job, due in missed_runs(conn, now):
            log.warning("Scheduled job %s missed its run of %s UTC: running it now", job.name, due)
            result = enqueue(job.name)
            conn.zadd(get_cron_job_history_key(job.name), {result.job_id or f"kept-{now:%Y%m%d%H%M}": now.replace(
                tzinfo=UTC).timestamp()})
            summary["caught_up"].append(job.name)
    finally:
        try:
            lock.release()
        except Exception:  # noqa: BLE001 - the lock expired meanwhile: nothing to release
            pass
    return summary


@unit_of_work
def sweep_job() -> dict:
    return sweep()


# ------------------------------------------------------------------ the administrator's jobs page

def stuck_jobs(limit: int = 50) -> list[StuckJob]:
    """Failed jobs (their retries used up) and started jobs whose worker is gone, newest first."""
    conn = get_redis()
    found: list[StuckJob] = []
    for job, _registry, _entry in abandoned_jobs(conn):
        found.append(StuckJob(id=job.id, name=_declared_name(job), queue=job.origin, state="abandoned",
                              kwargs=dict(job.kwargs or {}), since=_naive(job.started_at), error=None))
    for queue_name in current_app.config["RQ_QUEUES"]:
        registry = FailedJobRegistry(queue_name, connection=conn, job_class=Job)
        for job in Job.fetch_many(registry.get_job_ids(desc=True, end=limit - 1), connection=conn):
            if job is None:
                continue
            found.append(StuckJob(id=job.id, name=_declared_name(job), queue=job.origin, state="failed",
                                  kwargs=dict(job.kwargs or {}), since=_naive(job.ended_at or job.started_at),
                                  error=_error_line(job)))
    found.sort(key=lambda s: s.since or datetime.min, reverse=True)
    return found[:limit]


def run_again(job_id: str) -> bool:
    """Run a stuck job again. True when this call queued it; False when it is no longer stuck (a
    second tap: the first one queued it already, or the sweep did)."""
    conn = get_redis()
    for queue_name in current_app.config["RQ_QUEUES"]:
        try:
            FailedJobRegistry(queue_name, connection=conn, job_class=Job).requeue(job_id)
            return True
        except (InvalidJobOperation, NoSuchJobError):
            pass
    for job, registry, entry in abandoned_jobs(conn):
        if job.id == job_id:
            # the same guard as the failed registry's: only the caller that removes the entry requeues it
            if not conn.zrem(registry.key, entry):
                return False
            _requeue(conn, job)
            return True
    return False
