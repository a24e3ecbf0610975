"""The key-collection job (declared in intranet/jobs/schedule.py as "keys-collection")."""
from sqlalchemy import select

from intranet import clock
from intranet.core.models import Store
from intranet.extensions import db
from intranet.jobs.runtime import unit_of_work
from intranet.keys.services import collect_keys


@unit_of_work
def key_collection_job() -> dict:
    """Runs every 5 minutes; each store acts only from its own key-collection time. Idempotent:
    reminders and reports are recorded per key, person and day, so a rerun sends nothing twice."""
    now = clock.utcnow()
    totals = {"listed": 0, "reminded": 0, "reported": 0}
    for store_id in db.session.scalars(select(Store.id).order_by(Store.id)):
        run = collect_keys(store_id, now)
        totals["listed"] += run.listed
        totals["reminded"] += len(run.reminded)
        totals["reported"] += len(run.reported)
    return totals
