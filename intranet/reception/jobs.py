"""Recurring reception jobs (declared in intranet/jobs/schedule.py)."""
from sqlalchemy import select

from intranet.core.models import Store
from intranet.extensions import db
from intranet.jobs.runtime import unit_of_work
from intranet.reception.appointments import mark_no_shows


@unit_of_work
def mark_no_shows_job() -> int:
    """Appointments whose slot passed two hours ago without the car: no-shows. Idempotent."""
    return sum(mark_no_shows(store_id) for store_id in db.session.scalars(select(Store.id)))
