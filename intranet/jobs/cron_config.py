"""Loaded by `rq cron intranet.jobs.cron_config` (and by `flask jobs scheduler`): registers
every recurring job declared in schedule.JOBS."""
from rq import cron

from intranet.jobs.schedule import register_recurring

register_recurring(cron.register)
