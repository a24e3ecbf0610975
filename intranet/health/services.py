"""Is the intranet healthy? Database, Redis, workers and scheduler, each with the facts behind it."""
from __future__ import annotations

from datetime import UTC, datetime

from rq import Worker, cron_scheduler_registry
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select, text

from intranet import clock
from intranet.extensions import db
from intranet.jobs.connection import REDIS_ERRORS, get_redis
from intranet.jobs.models import JobHeartbeat, PendingEnqueue
from intranet.jobs.schedule import get_job


def _age(at: datetime | None, now: datetime) -> int | None:
    return None if at is None else max(0, int((now - at).total_seconds()))


# More parts of the health card, added by the areas: name -> a function answering a dict with "ok"
# (True, False, or None when unknown) and its figures. They are shown, never a readiness failure.
PARTS: dict = {}


def register_part(name: str, check_part) -> None:
    PARTS[name] = check_part


def check(config) -> dict:
    now = clock.utcnow()
    interval = get_job("heartbeat").every
    stale_after = interval * config["HEARTBEAT_STALE_FACTOR"]
    result: dict = {"checked_at": now.isoformat(timespec="seconds") + "Z", "stale_after_seconds": stale_after}

    last_ran = last_enqueued = None
    kept = 0
    try:
        db.session.execute(text("SELECT 1"))
        last_ran, last_enqueued = db.session.execute(
            select(func.max(JobHeartbeat.ran_at), func.max(JobHeartbeat.enqueued_at))
        ).one()
        kept = db.session.scalar(select(func.count()).select_from(PendingEnqueue))
        result["database"] = {"ok": True}
    except Exception as exc:  # noqa: BLE001 - report any database failure, never raise from the health check
        db.session.rollback()
        result["database"] = {"ok": False, "error": type(exc).__name__}

    workers = failed = None
    scheduler_beat = None
    try:
        conn = get_redis(config)
        conn.ping()
        workers = Worker.count(connection=conn)
        # Every `rq cron` scheduler stamps its loop into this sorted set (score: Unix time).
        newest = conn.zrange(cron_scheduler_registry.get_registry_key(), -1, -1, withscores=True)
        if newest:
            scheduler_beat = datetime.fromtimestamp(newest[0][1], UTC).replace(tzinfo=None)
        failed = sum(FailedJobRegistry(name, connection=conn).count for name in config["RQ_QUEUES"])
        result["redis"] = {"ok": True, "embedded": not config.get("REDIS_URL")}
    except REDIS_ERRORS as exc:
        result["redis"] = {"ok": False, "error": type(exc).__name__, "embedded": not config.get("REDIS_URL")}

    worker_age = _age(last_ran, now)
    result["worker"] = {
        "ok": worker_age is not None and worker_age <= stale_after,
        "last_heartbeat_age_seconds": worker_age,
        "registered_workers": workers,
    }
    newest_schedule = max((t for t in (last_enqueued, scheduler_beat) if t), default=None)
    scheduler_age = _age(newest_schedule, now)
    result["scheduler"] = {"ok": scheduler_age is not None and scheduler_age <= stale_after,
                           "last_run_age_seconds": scheduler_age}
    # failed for good (retries used up): listed on the administrator's jobs page with "Run again"
    result["queue"] = {"jobs_kept_while_redis_down": kept, "failed_jobs": failed}
    for name, check_part in PARTS.items():  # what the areas add (the mail card: reports)
        try:
            result[name] = check_part() if result["database"]["ok"] else {"ok": None}
        except Exception:  # noqa: BLE001 - never raise from the health check
            db.session.rollback()
            result[name] = {"ok": None}
    result["ok"] = all(result[k]["ok"] for k in ("database", "redis", "worker", "scheduler"))
    return result
