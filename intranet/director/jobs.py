"""The director's recurring jobs (declared in intranet/jobs/schedule.py). Each runs as one unit of
work (`jobs.runtime.unit_of_work`) and is idempotent: a rerun tells nobody twice."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from intranet import clock
from intranet.core.models import Store
from intranet.director.actions import remind_overdue
from intranet.director.form_quality import record_day
from intranet.director.rounds import flag_missed
from intranet.extensions import db
from intranet.jobs.runtime import unit_of_work


@unit_of_work
def missed_rounds_job() -> int:
    """"director-missed-rounds": a MISSED round for each window that closed unwalked (the row makes a
    rerun tell the director nothing twice). Returns the number of rounds flagged."""
    now = clock.utcnow()
    return sum(len(flag_missed(store, now)) for store in db.session.scalars(select(Store)))


@unit_of_work
def action_reminders_job() -> int:
    """"director-action-reminders": overdue corrective actions to their owner, then the director,
    then management (each reminder once). Returns the number of reminders sent."""
    now = clock.utcnow()
    return sum(len(remind_overdue(store_id, now)) for store_id in db.session.scalars(select(Store.id)))


@unit_of_work
def form_quality_job() -> int:
    """"director-form-quality" (00:20): records yesterday, in each store's own time (a rerun updates
    the day's row). Returns the number of stores."""
    stores = db.session.execute(select(Store.id, Store.timezone)).all()
    for store_id, tz in stores:
        record_day(store_id, clock.store_today(tz) - timedelta(days=1))
    return len(stores)
