"""Write-offs (报损): damaged or obsolete parts that can be neither claimed, returned nor repaired.
A request names the part, the quantity, the reason and carries photos; it posts only after three
signatures — the service manager (director), the warranty supervisor and the parts manager — each
from a different person holding that role who is not the requester. The third signature posts the
WRITE_OFF movement in the same transaction. Functions flush; the caller commits once."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from intranet import clock
from intranet.core.models import Photo, Role, User
from intranet.core.photos import save_photo
from intranet.core.services import get_owned
from intranet.errors import Conflict, DomainError, IllegalTransition
from intranet.extensions import db
from intranet.parts import authority, history, ledger
from intranet.parts.models import (
    OPEN_CLAIMS, ZERO, Discrepancy, MovementKind, Part, StockMovement, Supplier, WriteOff, WriteOffApproval,
    WriteOffStatus,
)

# the three signatures, in the order of the paper form
SIGNATURES: tuple[Role, ...] = (Role.DIRECTOR, Role.WARRANTY, Role.PARTS)
SIGNATURE_LABELS = {Role.DIRECTOR: _l("Service manager"), Role.WARRANTY: _l("Warranty supervisor"),
                    Role.PARTS: _l("Parts manager")}
WRITE_OFF_TRANSITIONS = {
    WriteOffStatus.REQUESTED: frozenset({WriteOffStatus.POSTED, WriteOffStatus.REFUSED}),
    WriteOffStatus.POSTED: frozenset(),
    WriteOffStatus.REFUSED: frozenset(),
}


class StillClaimable(DomainError):
    """The part has an open claim with its supplier: claim it, do not write it off."""


class StillReturnable(DomainError):
    """The supplier still takes the part back: return it, do not write it off."""


class SignatureRefused(DomainError):
    """This person may not give this signature (role, requester, already signed)."""


def get_write_off(write_off_id: int, store_id: int) -> WriteOff:
    return get_owned(WriteOff, write_off_id, store_id, _l("No such write-off."))


def _move(write_off: WriteOff, to: WriteOffStatus, actor_id: int | None, note: str | None = None) -> None:
    history.move(write_off, to, WRITE_OFF_TRANSITIONS, subject="write_off", actor_id=actor_id, note=note,
                 refusal=lambda current: _l("This write-off is already “%(status)s”.", status=current.label))
    write_off.closed_at = clock.utcnow()


def _part(store_id: int, number: str | None) -> Part:
    number = (number or "").strip().upper()
    if not number:
        raise DomainError(_l("Enter the part number."), field="part_number")
    part = db.session.scalar(select(Part).where(Part.store_id == store_id, Part.number == number))
    if part is None:
        raise DomainError(_l("There is no part %(number)s in the catalogue.", number=number), field="part_number")
    return part


def check_not_recoverable(part: Part) -> None:
    """Refuse a part that can still be claimed from or returned to its supplier."""
    claim = db.session.scalar(select(Discrepancy).where(Discrepancy.part_id == part.id,
                                                        Discrepancy.status.in_([str(s) for s in OPEN_CLAIMS]))
                              .order_by(Discrepancy.created_at).limit(1))
    if claim is not None:
        raise StillClaimable(_l("%(number)s has an open claim with the supplier (discrepancy note of %(day)s): "
                                "settle the claim instead of writing it off.",
                                number=part.number, day=f"{claim.created_at:%Y-%m-%d}"), field="part_number")
    supplier = db.session.get(Supplier, part.supplier_id) if part.supplier_id else None
    if supplier is None or not supplier.return_days or supplier.return_days <= 0:
        return
    last_receipt = db.session.scalar(select(func.max(StockMovement.at)).where(
        StockMovement.part_id == part.id, StockMovement.kind == MovementKind.RECEIPT))
    if last_receipt is None:
        return
    until = last_receipt + timedelta(days=supplier.return_days)
    if clock.utcnow() <= until:
        raise StillReturnable(_l("%(number)s can still go back to %(supplier)s until %(day)s: return it instead of "
                                 "writing it off.", number=part.number, supplier=supplier.name,
                                 day=f"{until:%Y-%m-%d}"), field="part_number")


def request_write_off(*, store_id: int, actor_id: int, part_number: str | None, quantity, reason: str | None,
                      photos: Iterable = (), photo_folder: str | Path | None = None) -> WriteOff:
    """A request to write off `quantity` of a part, with the reason and photos of the damage."""
    part = _part(store_id, part_number)
    wanted = ledger.quantity_from(quantity, "quantity")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Write why the part is written off (damaged how, obsolete since when)."), field="reason")
    check_not_recoverable(part)
    waiting = db.session.scalar(select(func.coalesce(func.sum(WriteOff.quantity), 0)).where(
        WriteOff.part_id == part.id, WriteOff.status == WriteOffStatus.REQUESTED)) or ZERO
    on_hand = Decimal(db.session.scalar(select(Part.on_hand).where(Part.id == part.id)))
    if wanted + Decimal(waiting) > on_hand:
        raise DomainError(_l("Only %(on_hand)s of %(number)s are on hand (%(waiting)s already waiting to be written "
                             "off); %(wanted)s cannot be written off.", on_hand=ledger.plain_quantity(on_hand), number=part.number,
                             waiting=ledger.plain_quantity(waiting), wanted=ledger.plain_quantity(wanted)), field="quantity")
    write_off = WriteOff(store_id=store_id, part_id=part.id, quantity=wanted, reason=reason[:200],
                         status=WriteOffStatus.REQUESTED, requested_by_id=actor_id, requested_at=clock.utcnow())
    db.session.add(write_off)
    db.session.flush()
    history.opened(write_off, subject="write_off", actor_id=actor_id, note=write_off.reason)
    for upload in photos:
        if upload is not None and getattr(upload, "filename", "x"):
            save_photo(upload, store_id=store_id, taken_by_id=actor_id, folder=photo_folder, write_off_id=write_off.id)
    return write_off


def signs_as(user: User | None, signature: Role) -> bool:
    """Whether `user` may give this signature: the parts manager's only by the parts manager (not any
    parts account), the others by their role."""
    if user is None or not user.active:
        return False
    if signature == Role.PARTS:
        return authority.is_parts_manager(user)
    return user.has_role(signature)


def is_signatory(user: User | None) -> bool:
    return any(signs_as(user, role) for role in SIGNATURES)


def missing_signatures(write_off: WriteOff) -> list[Role]:
    given = {a.role for a in write_off.approvals}
    return [role for role in SIGNATURES if role.value not in given]


def may_sign(write_off: WriteOff, user: User) -> list[Role]:
    """The signatures `user` may still give on this write-off (the buttons they see)."""
    if write_off.status_enum != WriteOffStatus.REQUESTED or write_off.requested_by_id == user.id:
        return []
    if any(a.user_id == user.id for a in write_off.approvals):
        return []
    return [role for role in missing_signatures(write_off) if signs_as(user, role)]


def approve_write_off(write_off_id: int, *, store_id: int, actor_id: int, role: str) -> WriteOff:
    """Give one of the three signatures. The third posts the write-off to the ledger (it may not
    take stock reserved for cars)."""
    write_off = get_write_off(write_off_id, store_id)
    try:
        signature = Role(role)
    except ValueError:
        signature = None
    if signature not in SIGNATURES:
        raise SignatureRefused(_l("A write-off is signed by the service manager, the warranty supervisor and the "
                                  "parts manager."))
    actor = db.session.get(User, actor_id)
    if actor is None or actor.store_id != store_id or not signs_as(actor, signature):
        if signature == Role.PARTS:
            raise SignatureRefused(_l("Only the parts manager signs as %(signature)s, not every parts account.",
                                      signature=SIGNATURE_LABELS[signature]))
        raise SignatureRefused(_l("Only a %(role)s signs as %(signature)s.", role=signature.label,
                                  signature=SIGNATURE_LABELS[signature]))
    if write_off.status_enum != WriteOffStatus.REQUESTED:
        raise IllegalTransition(_l("This write-off is already “%(status)s”.", status=write_off.status_enum.label))
    if write_off.requested_by_id == actor.id:
        raise SignatureRefused(_l("You asked for this write-off: the three signatures come from others."))
    for approval in write_off.approvals:
        if approval.role == signature.value:
            raise Conflict(_l("%(name)s already signed as %(signature)s.", name=approval.user.display_name,
                              signature=SIGNATURE_LABELS[signature]))
        if approval.user_id == actor.id:
            raise SignatureRefused(_l("You already signed this write-off as %(signature)s: each signature comes "
                                      "from a different person.", signature=SIGNATURE_LABELS[Role(approval.role)]))
    try:
        with db.session.begin_nested():
            approval = WriteOffApproval(write_off_id=write_off.id, role=signature, user_id=actor.id,
                                        at=clock.utcnow())
            db.session.add(approval)
    except IntegrityError:  # the same signature given at the same moment on another tablet
        raise Conflict(_l("Someone signed this write-off at the same moment. Reload the page.")) from None
    db.session.refresh(write_off, ["approvals"])
    if not missing_signatures(write_off):
        _post(write_off, actor.id)
    db.session.flush()
    return write_off


def _post(write_off: WriteOff, actor_id: int) -> None:
    _move(write_off, WriteOffStatus.POSTED, actor_id)
    try:
        ledger.post(write_off.part_id, -Decimal(write_off.quantity), MovementKind.WRITE_OFF,
                    store_id=write_off.store_id, actor_id=actor_id, may_use_reserved=False,
                    write_off_id=write_off.id, note=write_off.reason)
    except ledger.OutOfStock:
        part = db.session.get(Part, write_off.part_id)
        raise ledger.OutOfStock(_l("%(number)s: only %(available)s are free, the rest is reserved for cars; "
                                   "%(wanted)s cannot be written off now.", number=part.number,
                                   available=ledger.plain_quantity(part.available), wanted=ledger.plain_quantity(write_off.quantity)),
                                field="quantity") from None


def refuse_write_off(write_off_id: int, *, store_id: int, actor_id: int, reason: str | None) -> WriteOff:
    """One of the signatories refuses the write-off, with the reason."""
    write_off = get_write_off(write_off_id, store_id)
    actor = db.session.get(User, actor_id)
    if actor is None or actor.store_id != store_id or not is_signatory(actor):
        raise SignatureRefused(_l("Only a signatory of write-offs may refuse one."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Write why the write-off is refused."), field="refusal")
    _move(write_off, WriteOffStatus.REFUSED, actor_id, note=reason)
    write_off.refusal = reason[:200]
    db.session.flush()
    return write_off


def list_write_offs(store_id: int, *, limit: int = 100) -> list[WriteOff]:
    """Waiting ones first (oldest first), then the latest decided ones."""
    base = (select(WriteOff).options(joinedload(WriteOff.part), joinedload(WriteOff.requested_by),
                                     selectinload(WriteOff.approvals).joinedload(WriteOffApproval.user))
            .where(WriteOff.store_id == store_id))
    waiting = list(db.session.scalars(base.where(WriteOff.status == WriteOffStatus.REQUESTED)
                                      .order_by(WriteOff.requested_at, WriteOff.id)))
    done = list(db.session.scalars(base.where(WriteOff.status != WriteOffStatus.REQUESTED)
                                   .order_by(WriteOff.closed_at.desc(), WriteOff.id.desc()).limit(limit)))
    return waiting + done


def photos_of(write_off_ids: list[int]) -> dict[int, list[Photo]]:
    found: dict[int, list[Photo]] = {}
    if write_off_ids:
        for photo in db.session.scalars(select(Photo).where(Photo.write_off_id.in_(write_off_ids)).order_by(Photo.id)):
            found.setdefault(photo.write_off_id, []).append(photo)
    return found
