"""Management's jobs (declared in intranet/jobs/schedule.py), each under `jobs.runtime.unit_of_work`
(commit on return, roll back and re-raise on failure so RQ records it, session removed, the forked
worker's inherited connections disposed).

Both commit inside the unit on purpose, one digest at a time: a digest is committed as soon as it is
built (a rerun finds it and builds nothing twice; a send that fails later does not lose it), and each
send's outcome — sent, or one more attempt counted with the next one later — is committed before the
next digest is tried, so a failure further on never makes a digest that went out go out again."""
from __future__ import annotations

from sqlalchemy import select

from intranet import clock
from intranet.core.models import Store
from intranet.extensions import db
from intranet.jobs.runtime import unit_of_work
from intranet.reports import mail
from intranet.reports.digests import build_digest, due_period_start
from intranet.reports.kpis import summary
from intranet.reports.models import Digest, DigestKind, DigestStatus


def build_and_send_digests(kind: str) -> list[int]:
    """Build each store's digest of the period just ended (once: a rerun returns the same one) and
    try to send the new ones now; a failed send is retried by `send_due_digests_job`. Commits per
    digest (see above). Returns the ids of the digests built."""
    built = []
    now = clock.utcnow()
    for store_id, tz in db.session.execute(select(Store.id, Store.timezone).order_by(Store.id)).all():
        start = due_period_start(kind, clock.store_today(tz))
        exists = db.session.scalar(select(Digest.id).where(
            Digest.store_id == store_id, Digest.kind == str(DigestKind(kind)), Digest.period_start == start))
        if exists:
            continue
        digest = build_digest(store_id, kind, start, now=now)
        db.session.commit()  # built: kept whatever the sending does
        mail.send_digest(digest.id, now=now)
        db.session.commit()  # its outcome (sent, or the next attempt) before the next store's
        built.append(digest.id)
    return built


@unit_of_work
def daily_digest_job() -> list[int]:
    """"reports-daily-digest" (07:00): yesterday's digest of each store."""
    return build_and_send_digests(DigestKind.DAILY)


@unit_of_work
def weekly_digest_job() -> list[int]:
    """"reports-weekly-digest" (Monday 07:10): last week's meeting pack."""
    return build_and_send_digests(DigestKind.WEEKLY)


@unit_of_work
def monthly_digest_job() -> list[int]:
    """"reports-monthly-digest" (the 1st, 07:20): last month against the month before and the targets."""
    return build_and_send_digests(DigestKind.MONTHLY)


@unit_of_work
def send_due_digests_job() -> int:
    """"reports-send-digests" (every 5 minutes): send the queued digests whose next attempt has come,
    committing each one's outcome before the next (see above). Returns how many went."""
    sent = 0
    now = clock.utcnow()
    for digest_id in mail.due_digest_ids(now):
        digest = mail.send_digest(digest_id, now=now)
        db.session.commit()
        sent += digest.status == DigestStatus.SENT
    return sent


@unit_of_work
def kpi_summary_job() -> int:
    """"reports-kpi-summary" (every 10 minutes): each store's days before today not summarised yet
    — the history once, then yesterday and any day a change touched — newest first, committed in
    batches, at most two minutes a store per run. Returns how many days were built."""
    built = 0
    for store in db.session.scalars(select(Store).order_by(Store.id)).all():
        built += summary.build_missing(store, budget_seconds=120)
    return built
