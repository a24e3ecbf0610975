"""The parts panel of a home: the counter's, the warranty clerk's and the pending parts' figures."""
from __future__ import annotations

from datetime import date

from sqlalchemy import case, func, select

from intranet.core.models import PayType
from intranet.extensions import db
from intranet.parts.models import OPEN_PENDING, OldPart, OldPartStatus, Part, PendingPart
from intranet.workshop.models import OPEN_PARTS_REQUEST, PartsRequest, PartsRequestStatus

def desk_summary(store_id: int, today: date) -> dict:
    """The parts panel of a home: requests at the counter, warranty sign-offs waiting, cars waiting
    for parts (and how many of those deliveries are overdue), parts at or under their reorder point."""
    requests = dict(db.session.execute(
        select(PartsRequest.status, func.count()).where(PartsRequest.store_id == store_id,
                                                        PartsRequest.status.in_([str(s) for s in OPEN_PARTS_REQUEST]))
        .group_by(PartsRequest.status)).all())
    sign_offs = db.session.scalar(select(func.count()).select_from(PartsRequest).where(
        PartsRequest.store_id == store_id, PartsRequest.status.in_([str(s) for s in OPEN_PARTS_REQUEST]),
        PartsRequest.pay_type == PayType.WARRANTY, PartsRequest.warranty_signed_by_id.is_(None)))
    pending, overdue = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case((PendingPart.expected_on < today, 1), else_=0)), 0))
        .where(PendingPart.store_id == store_id, PendingPart.status.in_([str(s) for s in OPEN_PENDING]))).one()
    low = db.session.scalar(select(func.count()).select_from(Part).where(
        Part.store_id == store_id, Part.active, Part.reorder_point > 0, Part.on_hand - Part.reserved <= Part.reorder_point))
    held = db.session.scalar(select(func.count()).select_from(OldPart).where(
        OldPart.store_id == store_id, OldPart.status == OldPartStatus.HELD, OldPart.warranty.is_(True)))
    return {"parts_requests": requests.get(PartsRequestStatus.REQUESTED, 0), "sign_offs": sign_offs,
            "pending": pending, "pending_overdue": int(overdue or 0), "parts_low": low, "warranty_held": held}
