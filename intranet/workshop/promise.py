"""Promise risk: which cars on site are late or will not make their promised time, from the work
the workshop still has to do on them."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from intranet.core.models import LineKind, RepairOrder, RepairOrderLine, ROStatus
from intranet.extensions import db
from intranet.workshop.models import OPEN_JOB, Job
from intranet.workshop.services import clocked_hours

# Once the repair is done a car still needs its final inspection and wash before it is ready.
FINISHING_HOURS = 0.5
LATE, AT_RISK = "late", "at_risk"


def promise_risk(ros: list[RepairOrder], now: datetime, jobs=None, labour=None, clocked=None) -> dict[int, str]:
    """Which repair orders are late (promise passed, car not ready) or at risk (the work still to do,
    plus finishing, does not fit before the promise). Work still to do is each open job's sold hours
    less the time already clocked on it — so the risk moves as the workshop progresses; a car not
    yet dispatched counts all its labour. At most three queries for the whole list; none when the
    caller (the wall board) has read them: `jobs` as (id, repair order id, sold hours, status), the
    `labour` sold per repair order, the hours `clocked` per open job."""
    ids = [ro.id for ro in ros if ro.promised_at is not None]
    if not ids:
        return {}
    if labour is None:
        labour = dict(db.session.execute(
            select(RepairOrderLine.repair_order_id, func.sum(RepairOrderLine.quantity))
            .where(RepairOrderLine.repair_order_id.in_(ids), RepairOrderLine.kind == LineKind.LABOUR)
            .group_by(RepairOrderLine.repair_order_id)).all())
    if jobs is None:
        jobs = db.session.execute(select(Job.id, Job.repair_order_id, Job.sold_hours, Job.status).where(
            Job.repair_order_id.in_(ids))).all()
    else:
        wanted = set(ids)
        jobs = [job for job in jobs if job[1] in wanted]
    has_jobs = {ro_id for _id, ro_id, _h, _s in jobs}
    open_jobs = [(job_id, ro_id, sold) for job_id, ro_id, sold, status in jobs if status in OPEN_JOB]
    if clocked is None:
        clocked = clocked_hours([job_id for job_id, _ro, _h in open_jobs], now)
    to_do: dict[int, float] = {}
    for job_id, ro_id, sold in open_jobs:
        to_do[ro_id] = to_do.get(ro_id, 0.0) + max(float(sold or 0) - clocked.get(job_id, 0.0), 0.0)
    risk = {}
    for ro in ros:
        status = ro.status_enum
        if ro.promised_at is None or status in (ROStatus.READY, ROStatus.DELIVERED, ROStatus.CLOSED,
                                                ROStatus.CANCELLED, ROStatus.BOOKED):
            continue
        if now > ro.promised_at:
            risk[ro.id] = LATE
            continue
        if status in (ROStatus.QUALITY_CHECK, ROStatus.WASHING):
            remaining = FINISHING_HOURS
        elif ro.id in has_jobs:
            remaining = to_do.get(ro.id, 0.0) + FINISHING_HOURS
        else:
            remaining = float(labour.get(ro.id) or 0) + FINISHING_HOURS
        if now + timedelta(hours=remaining) > ro.promised_at:
            risk[ro.id] = AT_RISK
    return risk
