"""Starting RQ processes inside the application: a worker, and the cron scheduler.

Both keep running through a Redis outage: when Redis fails under them they log it, wait (1, 2, 4 …
seconds, at most `INTRANET_REDIS_RETRY_MAX_SECONDS`, 30 by default) and start again, handing over
the jobs kept in the database as soon as Redis answers. `flask up` also restarts a process that
exits (`jobs.supervise`); in production systemd (or supervisord) does that."""
from __future__ import annotations

import logging
import os
import time

from flask import Flask
from rq import Worker
from rq.cron import CronScheduler
from rq.exceptions import StopRequested
from rq.job import Job
from rq.utils import import_attribute

from intranet.extensions import db
from intranet.jobs.connection import REDIS_ERRORS, get_redis
from intranet.jobs.queue import flush_pending
from intranet.jobs.schedule import MOVED_JOBS, job_for_function, register_recurring, retry_intervals

log = logging.getLogger(__name__)


def redis_retry_max_seconds() -> float:
    return float(os.environ.get("INTRANET_REDIS_RETRY_MAX_SECONDS", "30") or 30)


class MovedAwareJob(Job):
    """A job queued under a function's old dotted path runs the function where it lives now."""

    @property
    def func(self):
        moved = MOVED_JOBS.get(self.func_name or "")
        return import_attribute(moved) if moved else super().func


class IntranetWorker(Worker):
    """An RQ worker that gives every declared job its retries, also those `rq cron` enqueued (which
    cannot pass a `Retry`): a job that fails, or whose work horse is killed, runs again. It also
    waits at most `INTRANET_REDIS_RETRY_MAX_SECONDS` between its tries to reach a lost Redis (rq's own
    limit is a minute)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_connection_wait_time = redis_retry_max_seconds()

    def unsubscribe(self):
        """rq's, with the one-second wait rq means: redis-py 8's `stop()` itself waits for the listener
        thread, which sleeps up to 60 s, so a stop (or a restart after a Redis error) took a minute."""
        if self.pubsub_thread:
            try:
                self.pubsub.unsubscribe()
            except REDIS_ERRORS:
                pass  # Redis is gone: nothing to unsubscribe from
            self.pubsub_thread.stop(timeout=1)
            self.pubsub.close()

    def execute_job(self, job: Job, queue):
        declared = job_for_function(job.func_name)
        if job.retries_left is None and declared is not None and declared.retries:
            job.retries_left = declared.retries
            job.retry_intervals = retry_intervals(declared.retries)
            job.save(include_meta=False)
        return super().execute_job(job, queue)


class _Backoff:
    def __init__(self):
        self.wait = 1.0

    def sleep(self, what: str, error: BaseException) -> None:
        log.warning("%s: Redis is unreachable (%s: %s); trying again in %.0f s", what, type(error).__name__, error,
                    self.wait)
        time.sleep(self.wait)
        self.wait = min(self.wait * 2, redis_retry_max_seconds())

    def reset(self) -> None:
        self.wait = 1.0


def run_worker(app: Flask, queues: list[str] | None = None, *, burst: bool = False) -> bool:
    """Run one RQ worker inside one app context (jobs use the app's database and settings). A Redis
    failure does not end it: it waits for Redis and starts a new worker."""
    backoff = _Backoff()
    with app.app_context():
        while True:
            try:
                conn = get_redis()
                conn.ping()
                backoff.reset()
                _flush_kept_jobs()
                worker = IntranetWorker(queues or app.config["RQ_QUEUES"], connection=conn,
                                        job_class=MovedAwareJob)
                worked = worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
                # Asked to stop (SIGTERM, Ctrl-C): rq marks `_stop_requested` only when the signal came
                # during a job; an idle worker's request leaves `_shutdown_requested_date`.
                if burst or worker._stop_requested or getattr(worker, "_shutdown_requested_date", None):
                    return worked
                # rq's loop quits on an error it does not handle (Redis failing mid-job, say): start again
                log.warning("Worker %s stopped unexpectedly; starting a new one", worker.name)
                time.sleep(1)
                conn.ping()
            except REDIS_ERRORS as error:
                if burst:
                    raise
                backoff.sleep("Worker", error)
            except (StopRequested, KeyboardInterrupt):
                return False


def _flush_kept_jobs() -> int:
    try:
        sent = flush_pending()
        db.session.commit()
        if sent:
            log.info("Queued %d job(s) kept while Redis was down", sent)
        return sent
    except Exception as error:  # noqa: BLE001 - Redis or the database: the next heartbeat tries again
        log.warning("Kept jobs not handed over yet: %s: %s", type(error).__name__, error)
        db.session.rollback()
        return 0
    finally:
        db.session.remove()


def build_scheduler(app: Flask) -> CronScheduler:
    with app.app_context():
        scheduler = CronScheduler(connection=get_redis(), logging_level="INFO")
        scheduler.config_file = "intranet.jobs.cron_config"
        register_recurring(scheduler.register)
        return scheduler


def run_scheduler(app: Flask) -> None:
    """The embedded equivalent of `rq cron intranet.jobs.cron_config`. Cron expressions are read in
    the scheduler's local time: we use the store's zone unless TZ is set. A Redis failure does not
    end it: it waits for Redis, hands over the kept jobs and schedules again (the interval jobs, the
    heartbeat among them, at once; a cron time missed meanwhile is caught up by the sweep)."""
    os.environ.setdefault("TZ", "Asia/Shanghai")
    time.tzset()
    backoff = _Backoff()
    while True:
        scheduler = build_scheduler(app)
        try:
            with app.app_context():
                get_redis().ping()
                _flush_kept_jobs()
            backoff.reset()
            scheduler.start()  # returns when asked to stop (SIGTERM, Ctrl-C)
            return
        except REDIS_ERRORS as error:
            backoff.sleep("Scheduler", error)
        except (StopRequested, KeyboardInterrupt):
            return
