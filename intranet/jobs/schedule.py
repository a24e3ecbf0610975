"""The declared jobs. Every job the intranet can enqueue is listed here once; those with an
`interval` or `cron` are the recurring ones that `rq cron` runs (see cron_config.py)."""
from __future__ import annotations

import os
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

# A job that fails, or whose worker is killed under it, runs again up to three times, after these
# pauses (seconds); every job is idempotent, so a rerun finishes the work and repeats nothing.
RETRY_INTERVALS = (30, 120, 600)


def retry_intervals(retries: int) -> list[int]:
    """The pauses before each retry; `INTRANET_JOB_RETRY_SECONDS` (e.g. "1,1,1") shortens them for tests."""
    configured = [int(s) for s in os.environ.get("INTRANET_JOB_RETRY_SECONDS", "").split(",") if s.strip().isdigit()]
    intervals = configured or list(RETRY_INTERVALS)
    return [intervals[min(i, len(intervals) - 1)] for i in range(retries)]


@dataclass(frozen=True)
class DeclaredJob:
    name: str
    func: str  # dotted path, imported by the worker
    description: object
    queue: str = "default"
    interval: int | None = None  # seconds
    cron: str | None = None  # crontab, in the scheduler's local time (run it with TZ set to the store's zone)
    timeout: int = 600
    retries: int = len(RETRY_INTERVALS)

    @property
    def recurring(self) -> bool:
        return bool(self.interval or self.cron)

    @property
    def every(self) -> int | None:
        """The interval in seconds, or the one `INTRANET_JOB_INTERVALS` sets (e.g. "heartbeat=2,jobs-sweep=2",
        which the tests use to watch a scheduler recover in seconds rather than minutes)."""
        if not self.interval:
            return None
        return interval_overrides().get(self.name, self.interval)

    def load(self):
        module, _, attr = self.func.rpartition(".")
        return getattr(__import__(module, fromlist=[attr]), attr)


# Jobs whose function moved: old dotted path -> new one. A job queued (or kept in pending_enqueue) under
# the old path before an upgrade still runs (`worker.MovedAwareJob`). Add a line whenever a job moves.
MOVED_JOBS: dict[str, str] = {
    "intranet.parts.purchasing.suggest_orders_job": "intranet.parts.jobs.suggested_orders_job",
    "intranet.parts.counts.overnight_job": "intranet.parts.jobs.overnight_counts_job",
    "intranet.parts.counts.generate_sheets_job": "intranet.parts.jobs.count_sheets_job",
    "intranet.reports.digests.daily_digest_job": "intranet.reports.jobs.daily_digest_job",
    "intranet.reports.digests.weekly_digest_job": "intranet.reports.jobs.weekly_digest_job",
    "intranet.reports.digests.monthly_digest_job": "intranet.reports.jobs.monthly_digest_job",
    "intranet.reports.digests.send_due_digests_job": "intranet.reports.jobs.send_due_digests_job",
    "intranet.care.calls.follow_up_job": "intranet.care.jobs.follow_up_job",
    "intranet.care.complaints.complaint_reminders_job": "intranet.care.jobs.complaint_reminders_job",
    "intranet.care.reminders.reminders_job": "intranet.care.jobs.reminders_job",
    "intranet.care.gateway.send_queued_messages_job": "intranet.care.jobs.send_queued_messages_job",
    "intranet.care.events.event_invitations_job": "intranet.care.jobs.event_invitations_job",
    "intranet.care.lapsed.win_back_list_job": "intranet.care.jobs.win_back_list_job",
    "intranet.director.rounds.missed_rounds_job": "intranet.director.jobs.missed_rounds_job",
    "intranet.director.actions.remind_overdue_job": "intranet.director.jobs.action_reminders_job",
    "intranet.director.form_quality.form_quality_job": "intranet.director.jobs.form_quality_job",
}


JOBS: list[DeclaredJob] = [
    DeclaredJob(
        name="heartbeat",
        func="intranet.jobs.heartbeat.heartbeat",
        description=_l("Records that the scheduler and a worker are alive; re-sends jobs kept while Redis was down."),
        interval=60,
        timeout=60,
        retries=0,  # the next beat is the retry
    ),
    DeclaredJob(
        name="jobs-sweep",
        func="intranet.jobs.sweep.sweep_job",
        description=_l("Finds jobs whose worker died under them and runs them again, and runs a scheduled job "
                       "whose time passed while the scheduler was down."),
        interval=60,
        timeout=120,
        retries=0,  # the next sweep is the retry
    ),
    DeclaredJob(
        name="appointment-no-shows",
        func="intranet.reception.jobs.mark_no_shows_job",
        description=_l("Marks booked appointments as no-shows two hours after their slot passed."),
        cron="15 * * * *",
        queue="low",
    ),
    DeclaredJob(
        name="workshop-time-control",
        func="intranet.workshop.jobs.time_control_job",
        description=_l("Flags cars stuck past their stage's standard time, tells who is responsible, and escalates "
                       "to the workshop controller and then the director."),
        interval=300,
        timeout=120,
    ),
    DeclaredJob(
        name="parts-suggested-orders",
        func="intranet.parts.jobs.suggested_orders_job",
        description=_l("Works out tonight's suggested purchase orders from reorder points and shortages."),
        cron="30 1 * * *",
        queue="low",
    ),
    DeclaredJob(
        name="parts-overnight-counts",
        func="intranet.parts.jobs.overnight_counts_job",
        description=_l("Opens the scheduled cycle and full counts and checks every part's on-hand against its "
                       "ledger, reporting any drift."),
        cron="45 1 * * *",
        queue="low",
    ),
    DeclaredJob(
        name="parts-count-sheets",
        func="intranet.parts.jobs.count_sheets_job",
        description=_l("Generates a stock count's sheets in bin-walking order."),
        queue="low",
        timeout=900,
    ),
    DeclaredJob(
        name="director-missed-rounds",
        func="intranet.director.jobs.missed_rounds_job",
        description=_l("Flags the director's rounds whose time window passed before they were done."),
        interval=600,
        timeout=120,
    ),
    DeclaredJob(
        name="director-action-reminders",
        func="intranet.director.jobs.action_reminders_job",
        description=_l("Reminds owners of overdue corrective actions, then escalates to the director and to "
                       "management."),
        interval=900,
        timeout=120,
    ),
    DeclaredJob(
        name="keys-collection",
        func="intranet.keys.jobs.key_collection_job",
        description=_l("At the store's key-collection time lists the cars staying overnight and reminds whoever "
                       "holds their keys; later reports the keys still not back to the director."),
        interval=300,
        timeout=120,
    ),
    DeclaredJob(
        name="director-form-quality",
        func="intranet.director.jobs.form_quality_job",
        description=_l("Checks yesterday's repair orders for their required fields: fill rate and error rate."),
        cron="20 0 * * *",
        queue="low",
    ),
    DeclaredJob(
        name="care-follow-up",
        func="intranet.care.jobs.follow_up_job",
        description=_l("Expires follow-up calls whose window passed and reminds the supervisor of questions "
                       "past their answer time."),
        interval=900,
        timeout=120,
    ),
    DeclaredJob(
        name="care-complaint-reminders",
        func="intranet.care.jobs.complaint_reminders_job",
        description=_l("Reminds the handler of a complaint step past its time limit, then escalates to the "
                       "supervisor and to management."),
        interval=900,
        timeout=120,
    ),
    DeclaredJob(
        name="care-reminders",
        func="intranet.care.jobs.reminders_job",
        description=_l("Makes the night's maintenance, inspection, insurance and birthday reminders for the care "
                       "agents and queues their messages; notes lapsed customers who came back."),
        cron="10 2 * * *",
        queue="low",
    ),
    DeclaredJob(
        name="care-send-messages",
        func="intranet.care.jobs.send_queued_messages_job",
        description=_l("Sends the queued SMS and WeChat messages to customers and retries the failed ones."),
        interval=300,
        timeout=240,
    ),
    DeclaredJob(
        name="care-event-invitations",
        func="intranet.care.jobs.event_invitations_job",
        description=_l("Sends the invitations of store events that are two weeks away (once each)."),
        cron="30 9 * * *",
        queue="low",
    ),
    DeclaredJob(
        name="care-win-back-list",
        func="intranet.care.jobs.win_back_list_job",
        description=_l("Makes the month's win-back call list of lapsed customers on the 1st."),
        cron="40 2 1 * *",
        queue="low",
    ),
    DeclaredJob(
        name="reports-daily-digest",
        func="intranet.reports.jobs.daily_digest_job",
        description=_l("Builds yesterday's daily digest of each store before the morning meeting and emails it."),
        cron="0 7 * * *",
        queue="low",
    ),
    DeclaredJob(
        name="reports-weekly-digest",
        func="intranet.reports.jobs.weekly_digest_job",
        description=_l("On Monday builds last week's meeting pack (a section per role) and emails it."),
        cron="10 7 * * 1",
        queue="low",
    ),
    DeclaredJob(
        name="reports-monthly-digest",
        func="intranet.reports.jobs.monthly_digest_job",
        description=_l("On the 1st builds last month's analysis against the month before and the targets, and "
                       "emails it."),
        cron="20 7 1 * *",
        queue="low",
        timeout=900,
    ),
    DeclaredJob(
        name="reports-kpi-summary",
        func="intranet.reports.jobs.kpi_summary_job",
        description=_l("Summarises each store's KPI figures of the days before today that are not summarised yet "
                       "(or were changed since), so the dashboard and the digests read months in milliseconds."),
        interval=600,
        timeout=300,
        queue="low",
    ),
    DeclaredJob(
        name="reports-send-digests",
        func="intranet.reports.jobs.send_due_digests_job",
        description=_l("Sends the digests still waiting (mail server down or refusing) once their next attempt "
                       "has come, waiting longer after each failure."),
        interval=300,
        timeout=240,
    ),
]


def get_job(name: str) -> DeclaredJob | None:
    return next((j for j in JOBS if j.name == name), None)


def job_for_function(func_name: str | None) -> DeclaredJob | None:
    """The declared job an RQ job runs (by its dotted function, old paths of moved jobs included)."""
    func_name = MOVED_JOBS.get(func_name or "", func_name)
    return next((j for j in JOBS if j.func == func_name), None)


def interval_overrides() -> dict[str, int]:
    overrides = {}
    for item in os.environ.get("INTRANET_JOB_INTERVALS", "").split(","):
        name, _, seconds = item.partition("=")
        if name.strip() and seconds.strip().isdigit() and int(seconds) > 0:
            overrides[name.strip()] = int(seconds)
    return overrides


def register_recurring(register) -> None:
    """Hand every recurring job to a cron scheduler's `register` (rq.cron.register or
    CronScheduler.register): cron_config.py for `rq cron`, `worker.build_scheduler` for ours."""
    for job in JOBS:
        if job.recurring:
            register(job.load(), queue_name=job.queue, interval=job.every, cron=job.cron, job_timeout=job.timeout,
                     name=job.name)
