"""The parts store's jobs (declared in intranet/jobs/schedule.py), each one unit of work
(`jobs.runtime.unit_of_work`: commit on return, roll back and re-raise on failure, session removed,
connections inherited from the forking worker disposed)."""
from __future__ import annotations

from sqlalchemy import select

from intranet.core.models import Store
from intranet.extensions import db
from intranet.jobs.runtime import unit_of_work
from intranet.parts import counts
from intranet.parts.purchasing.suggested import suggest_orders


@unit_of_work
def suggested_orders_job() -> int:
    """"parts-suggested-orders" (01:30): the nightly suggested orders of every store. Returns the
    number of suggested orders now waiting."""
    return sum(len(suggest_orders(store_id)) for store_id in db.session.scalars(select(Store.id).order_by(Store.id)))


@unit_of_work
def overnight_counts_job() -> dict:
    """"parts-overnight-counts" (01:45): opens the counts due today and checks the ledger. Idempotent:
    a rerun opens no count and sends no notice twice. Returns a summary.

    On purpose `counts.overnight` commits each store's new counts before it enqueues their sheets
    (the worker must find the count); the unit of work commits the rest (the drift notices)."""
    return counts.overnight()


@unit_of_work
def count_sheets_job(count_id: int) -> int:
    """"parts-count-sheets" (enqueued when a count opens): inserts the count's sheet in batches.

    On purpose this commits after every batch (`on_batch`), so the count page's progress bar moves
    while the sheet is made; a failure rolls back only the batch under way, and a rerun adds only
    the lines still missing. Returns the lines added."""
    return counts.generate_sheets(count_id, on_batch=db.session.commit)
