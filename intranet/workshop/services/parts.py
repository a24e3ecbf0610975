"""Parts requests: the technician asks the parts counter for a part, always against the job's
repair order, and the requests of a car as the boards show them."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.core.billing import decimal_from
from intranet.core.models import RO_ON_SITE, RepairOrder
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.live.services import bump
from intranet.workshop.models import PartsRequest
from intranet.workshop.services.moves import BOARDS, get_job


def request_part(job_id: int, *, store_id: int, actor_id: int, description: str, quantity=1,
                 part_number: str | None = None, token: str | None = None) -> PartsRequest:
    """Ask the parts counter for a part, always against the job's repair order."""
    if token and (earlier := db.session.scalar(select(PartsRequest).where(PartsRequest.token == token))):
        return earlier
    job = get_job(job_id, store_id)
    ro = job.repair_order
    if ro.status_enum not in RO_ON_SITE:
        raise DomainError(_l("Repair order %(number)s is %(status)s: parts can no longer be requested on it.",
                             number=ro.number, status=ro.status_enum.label))
    description = (description or "").strip()
    if not description:
        raise DomainError(_l("Name the part you need."), field="description")
    quantity = decimal_from(quantity or "1", "quantity")
    if quantity <= 0:
        raise DomainError(_l("Hours or quantity must be more than zero."), field="quantity")
    request = PartsRequest(store_id=store_id, repair_order_id=ro.id, job_id=job.id, description=description[:200],
                           part_number=(part_number or "").strip().upper() or None, quantity=quantity,
                           requested_by_id=actor_id, requested_at=clock.utcnow(), token=token or None)
    db.session.add(request)
    db.session.flush()
    bump(store_id, *BOARDS, "parts")
    return request


def parts_requests(store_id: int, *, ro_ids: list[int] | None = None) -> list[PartsRequest]:
    stmt = (select(PartsRequest).options(joinedload(PartsRequest.requested_by),
                                         joinedload(PartsRequest.repair_order).joinedload(RepairOrder.vehicle))
            .where(PartsRequest.store_id == store_id).order_by(PartsRequest.requested_at.desc()))
    if ro_ids is not None:
        stmt = stmt.where(PartsRequest.repair_order_id.in_(ro_ids))
    return list(db.session.scalars(stmt))
