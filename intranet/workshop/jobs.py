"""Recurring workshop jobs (declared in intranet/jobs/schedule.py)."""
from sqlalchemy import select

from intranet import clock
from intranet.core.models import Store
from intranet.extensions import db
from intranet.jobs.runtime import unit_of_work
from intranet.workshop.timecontrol import check_stage_times


@unit_of_work
def time_control_job() -> int:
    """Flag cars stuck past their stage's standard time and escalate those still stuck. Idempotent:
    every flag is raised once, so a rerun tells nobody twice. Returns the number of new flags."""
    now = clock.utcnow()
    return sum(len(check_stage_times(store_id, now)) for store_id in db.session.scalars(select(Store.id)))
