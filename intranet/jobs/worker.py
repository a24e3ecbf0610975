"""Starting RQ processes inside the application: a worker, and the cron scheduler."""
from __future__ import annotations

import logging
import os
import time

from flask import Flask
from rq import Worker
from rq.cron import CronScheduler
from rq.job import Job
from rq.utils import import_attribute

from intranet.extensions import db
from intranet.jobs.connection import REDIS_ERRORS, get_redis
from intranet.jobs.queue import flush_pending
from intranet.jobs.schedule import MOVED_JOBS

log = logging.getLogger(__name__)


class MovedAwareJob(Job):
    """A job queued under a function's old dotted path runs the function where it lives now."""

    @property
    def func(self):
        moved = MOVED_JOBS.get(self.func_name or "")
        return import_attribute(moved) if moved else super().func


def run_worker(app: Flask, queues: list[str] | None = None, *, burst: bool = False) -> bool:
    """Run one RQ worker inside one app context (jobs use the app's database and settings)."""
    with app.app_context():
        conn = get_redis()
        _flush_kept_jobs()
        worker = Worker(queues or app.config["RQ_QUEUES"], connection=conn, job_class=MovedAwareJob)
        return worker.work(burst=burst, with_scheduler=True, logging_level="INFO")


def _flush_kept_jobs() -> None:
    try:
        sent = flush_pending()
        db.session.commit()
        if sent:
            log.info("Queued %d job(s) kept while Redis was down", sent)
    except REDIS_ERRORS:
        db.session.rollback()
    finally:
        db.session.remove()


def build_scheduler(app: Flask) -> CronScheduler:
    with app.app_context():
        scheduler = CronScheduler(connection=get_redis(), logging_level="INFO")
        scheduler.load_config_from_file("intranet.jobs.cron_config")
        return scheduler


def run_scheduler(app: Flask) -> None:
    """The embedded equivalent of `rq cron intranet.jobs.cron_config`. Cron expressions are read in
    the scheduler's local time: we use the store's zone unless TZ is set."""
    os.environ.setdefault("TZ", "Asia/Shanghai")
    time.tzset()
    build_scheduler(app).start()
