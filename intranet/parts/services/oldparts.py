"""The old parts ledger: the old parts handed in at the counter, until they go back to the
manufacturer (warranty, under its claim number), to the customer, or to scrap."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.core.models import RepairOrder, Role, User
from intranet.core.services import get_owned
from intranet.errors import Conflict, DomainError
from intranet.extensions import db
from intranet.parts.models import OldPart, OldPartStatus

OLD_PART_MOVES = {
    OldPartStatus.HELD: frozenset({OldPartStatus.RETURNED_TO_MAKER, OldPartStatus.HANDED_TO_CUSTOMER,
                                   OldPartStatus.SCRAPPED}),
}


def old_parts(store_id: int, *, warranty: bool | None = None, open_only: bool = True, limit: int = 200
              ) -> list[OldPart]:
    stmt = (select(OldPart).options(joinedload(OldPart.repair_order).joinedload(RepairOrder.vehicle),
                                    joinedload(OldPart.holder))
            .where(OldPart.store_id == store_id))
    if warranty is not None:
        stmt = stmt.where(OldPart.warranty.is_(warranty))
    if open_only:
        stmt = stmt.where(OldPart.status == OldPartStatus.HELD)
    return list(db.session.scalars(stmt.order_by(OldPart.received_at.desc()).limit(limit)))


def close_old_part(old_part_id: int, to: str, *, store_id: int, actor: User, claim_number: str | None = None,
                   note: str | None = None) -> OldPart:
    """An old part leaves the store: back to the manufacturer (warranty, with its claim number),
    to the customer, or scrapped. Warranty old parts are the warranty clerk's to move."""
    old = get_owned(OldPart, old_part_id, store_id, _l("No such old part."))
    try:
        target = OldPartStatus(to)
    except ValueError:
        raise DomainError(_l("Choose where the old part went.")) from None
    if target not in OLD_PART_MOVES.get(OldPartStatus(old.status), frozenset()):
        raise Conflict(_l("This old part is already %(status)s.", status=old.status_enum.label))
    if old.warranty and not actor.has_role(Role.WARRANTY):
        raise DomainError(_l("Warranty old parts are moved by the warranty clerk."))
    if old.warranty and target == OldPartStatus.HANDED_TO_CUSTOMER:
        raise DomainError(_l("A warranty old part belongs to the manufacturer, not the customer."))
    claim_number = (claim_number or old.claim_number or "").strip()
    if old.warranty and target == OldPartStatus.RETURNED_TO_MAKER and not claim_number:
        raise DomainError(_l("Enter the warranty claim number it goes back under."), field="claim_number")
    old.status, old.closed_by_id, old.closed_at = target, actor.id, clock.utcnow()
    old.claim_number = claim_number or None
    old.note = (note or "").strip()[:200] or old.note
    db.session.flush()
    return old


def tag_claim(old_part_id: int, claim_number: str, *, store_id: int) -> OldPart:
    old = get_owned(OldPart, old_part_id, store_id, _l("No such old part."))
    claim_number = (claim_number or "").strip()
    if not claim_number:
        raise DomainError(_l("Enter the warranty claim number."), field="claim_number")
    old.claim_number = claim_number[:32]
    db.session.flush()
    return old
