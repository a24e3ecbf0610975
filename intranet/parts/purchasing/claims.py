"""Discrepancy notes (差损单) and the supplier claims that follow them until the supplier settles."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.core import notices
from intranet.core.models import Photo
from intranet.core.photos import save_photo
from intranet.core.services import get_owned
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.parts import history
from intranet.parts.models import OPEN_CLAIMS, ClaimStatus, Discrepancy, PurchaseOrder, Receipt
from intranet.parts.purchasing.entry import _text

CLAIM_MOVES: dict[ClaimStatus, frozenset[ClaimStatus]] = {
    ClaimStatus.OPEN: frozenset({ClaimStatus.CLAIMED}),
    ClaimStatus.CLAIMED: frozenset({ClaimStatus.CREDITED, ClaimStatus.REPLACED, ClaimStatus.REJECTED}),
    ClaimStatus.CREDITED: frozenset(),
    ClaimStatus.REPLACED: frozenset(),
    ClaimStatus.REJECTED: frozenset(),
}
CLAIM_OUTCOMES = (ClaimStatus.CREDITED, ClaimStatus.REPLACED, ClaimStatus.REJECTED)


def get_discrepancy(discrepancy_id: int, store_id: int) -> Discrepancy:
    return get_owned(Discrepancy, discrepancy_id, store_id, _l("No such discrepancy note."))


def discrepancy_list(store_id: int, *, closed_limit: int = 50) -> list[Discrepancy]:
    """Open claims first (oldest first: they have waited longest), then the latest settled ones.
    Each carries its `photos`."""
    base = (select(Discrepancy)
            .options(joinedload(Discrepancy.part),
                     joinedload(Discrepancy.receipt).joinedload(Receipt.order).joinedload(PurchaseOrder.supplier))
            .where(Discrepancy.store_id == store_id))
    rows = list(db.session.scalars(base.where(Discrepancy.status.in_([str(s) for s in OPEN_CLAIMS]))
                                   .order_by(Discrepancy.created_at, Discrepancy.id)))
    rows += list(db.session.scalars(base.where(Discrepancy.status.not_in([str(s) for s in OPEN_CLAIMS]))
                                    .order_by(Discrepancy.closed_at.desc(), Discrepancy.id.desc())
                                    .limit(closed_limit)))
    _attach_photos(rows)
    return rows


def _attach_photos(rows: list[Discrepancy]) -> None:
    photos: dict[int, list[Photo]] = {}
    if rows:
        for photo in db.session.scalars(select(Photo).where(Photo.discrepancy_id.in_([d.id for d in rows]))
                                        .order_by(Photo.id)):
            photos.setdefault(photo.discrepancy_id, []).append(photo)
    for row in rows:
        row.photos = photos.get(row.id, [])


def discrepancy_row(discrepancy_id: int, store_id: int) -> Discrepancy:
    row = get_discrepancy(discrepancy_id, store_id)
    _attach_photos([row])
    return row


def _claim_move(row: Discrepancy, to: ClaimStatus, actor_id: int | None, note: str | None = None) -> None:
    history.move(row, to, CLAIM_MOVES, subject="claim", actor_id=actor_id, note=note,
                 refusal=lambda current: _l("A discrepancy that is “%(current)s” cannot become “%(target)s”.",
                                            current=current.label, target=to.label))


def claim(discrepancy_id: int, *, store_id: int, actor_id: int | None, reference: str | None) -> Discrepancy:
    """The discrepancy is claimed from the supplier under its claim reference."""
    row = get_discrepancy(discrepancy_id, store_id)
    _claim_move(row, ClaimStatus.CLAIMED, actor_id, note=reference)
    reference = (reference or "").strip()
    if not reference:
        raise DomainError(_l("Enter the claim reference the supplier gave."), field="claim_reference")
    row.claim_reference = reference[:32]
    db.session.flush()
    return row


def settle(discrepancy_id: int, outcome: str, *, store_id: int, actor_id: int | None,
           note: str | None = None) -> Discrepancy:
    """The claim's end: credited, replaced, or rejected by the supplier — then the written report to
    the parts manager (the outcome note) is required and the manager who approved the order is told."""
    row = get_discrepancy(discrepancy_id, store_id)
    try:
        target = ClaimStatus(outcome)
    except ValueError:
        raise DomainError(_l("Choose how the claim ended."), field="outcome") from None
    if target not in CLAIM_OUTCOMES:
        raise DomainError(_l("Choose how the claim ended."), field="outcome")
    text = _text(note, 200)
    _claim_move(row, target, actor_id, note=text)
    if target == ClaimStatus.REJECTED and not text:
        raise DomainError(_l("The supplier rejected the claim: write the report to the parts manager (what "
                             "happened, who bears the loss)."), field="outcome_note")
    row.outcome_note = text
    row.closed_by_id, row.closed_at = actor_id, clock.utcnow()
    db.session.flush()
    if target == ClaimStatus.REJECTED:
        order = row.receipt.order
        notices.notify(store_id, [order.approved_by_id], "claim_rejected",
                       {"number": row.part.number, "part": row.part.name, "order": order.number,
                        "note": text}, link="/parts/purchasing/discrepancies")
    return row


def attach_photos(discrepancy_id: int, uploads, *, store_id: int, actor_id: int | None, folder) -> list[Photo]:
    """Photos of the damaged or wrong goods, taken on the tablet."""
    row = get_discrepancy(discrepancy_id, store_id)
    files = [u for u in uploads or [] if getattr(u, "filename", None)]
    if not files:
        raise DomainError(_l("Take or choose a photo first."), field="photos")
    return [save_photo(upload, store_id=store_id, taken_by_id=actor_id, folder=folder, discrepancy_id=row.id)
            for upload in files]


def _notice_texts() -> None:
    notices.register("claim_rejected", lambda p: _("The supplier rejected the claim for %(part)s (%(number)s) of "
                                                   "order %(order)s: %(note)s", part=p.get("part"),
                                                   number=p.get("number"), order=p.get("order"),
                                                   note=p.get("note")))


_notice_texts()
