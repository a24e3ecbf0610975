"""Loaded by `rq cron intranet.jobs.cron_config` (and by `flask jobs scheduler`): registers
every recurring job declared in schedule.JOBS."""
from rq import cron

from intranet.jobs.schedule import JOBS

for _job in JOBS:
    if _job.recurring:
        cron.register(
            _job.load(),
            queue_name=_job.queue,
            interval=_job.interval,
            cron=_job.cron,
            job_timeout=_job.timeout,
            name=_job.name,
        )
