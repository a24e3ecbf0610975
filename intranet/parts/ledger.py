"""The stock ledger: the only code that changes a part's on-hand or reserved quantity.

Every change is one guarded UPDATE … RETURNING on the part row plus the movement row that explains
it, in the caller's transaction. The guard is in the WHERE clause, so it is evaluated against the
row as it is when the UPDATE runs: of two counters issuing the last unit at the same moment, the
database lets one through and the other matches no row and is refused (PostgreSQL re-checks the
WHERE after waiting for the first one's row lock; SQLite runs writers one after the other)."""
from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from intranet import clock
from intranet.core.billing import decimal_from
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.parts.models import ZERO, MovementKind, Part, Reservation, ReservationStatus, StockMovement


class OutOfStock(DomainError):
    pass


def quantity_from(value, field: str = "quantity") -> Decimal:
    """A quantity typed by a person: a positive number with at most two decimals."""
    quantity = decimal_from(value, field)
    if quantity is None or quantity <= 0:
        raise DomainError(_l("Enter a quantity greater than zero."), field=field)
    if quantity != quantity.quantize(Decimal("0.01")):
        raise DomainError(_l("Enter the quantity with at most two decimals."), field=field)
    return quantity


# --------------------------------------------------------------------------- bins

_BIN_PARTS = re.compile(r"[\s\-·./_]+")
BIN_EXAMPLE = "A-03-2-05"


def normalise_bin(raw: str | None) -> str | None:
    """A bin code in its four-part form, store · shelf · layer · position (库号·架号·层号·位号):
    a store of one or two letters or digits, a shelf of up to two digits, a layer of one digit, a
    position of up to two digits. Any separator is accepted and numbers are padded, so "a 3 2 5",
    "A·03·2·05" and "A-3-2-5" are the same bin, A-03-2-05, and bins sort in walking order."""
    text = (raw or "").strip().upper()
    if not text:
        return None
    pieces = [p for p in _BIN_PARTS.split(text) if p]
    if (len(pieces) != 4 or not re.fullmatch(r"[A-Z0-9]{1,2}", pieces[0])
            or not all(p.isdigit() for p in pieces[1:]) or len(pieces[1]) > 2 or len(pieces[2]) > 1
            or len(pieces[3]) > 2):
        raise DomainError(_l("“%(code)s” is not a bin code. Write store, shelf, layer and position, e.g. %(example)s.",
                             code=raw.strip(), example=BIN_EXAMPLE), field="bin_code")
    store, shelf, layer, position = pieces
    return f"{store}-{int(shelf):02d}-{int(layer)}-{int(position):02d}"


# --------------------------------------------------------------------------- movements

def _refresh(part_id: int, on_hand, reserved) -> None:
    part = db.session.identity_map.get(db.session.identity_key(Part, part_id))  # type: ignore[arg-type]
    if part is not None:
        set_committed_value(part, "on_hand", on_hand)
        set_committed_value(part, "reserved", reserved)


def post(part_id: int, quantity: Decimal, kind: MovementKind, *, store_id: int, actor_id: int | None,
         unreserve: Decimal = ZERO, may_use_reserved: bool = False, note: str | None = None,
         unit_cost: Decimal | None = None, at=None, **refs) -> StockMovement:
    """Change the stock of a part by `quantity` (+ in, − out) and record why.

    An outgoing movement may not take what others have reserved unless `may_use_reserved` (a count
    or a write-off deals with what is physically there); `unreserve` releases that much of the
    part's reservation in the same statement (an issue against the RO's own reservation).
    `refs` are the movement's references: repair_order_id, parts_request_id, receipt_id, count_id,
    write_off_id. Raises OutOfStock, leaving nothing changed."""
    quantity = Decimal(quantity)
    reserved_after = Part.reserved - unreserve
    floor = 0 if may_use_reserved else reserved_after
    guarded = (
        update(Part)
        .where(Part.id == part_id, Part.store_id == store_id, Part.on_hand + quantity >= floor,
               Part.reserved >= unreserve)
        .values(on_hand=Part.on_hand + quantity, reserved=reserved_after)
        .returning(Part.on_hand, Part.reserved, Part.cost)
        .execution_options(synchronize_session=False)
    )
    row = db.session.execute(guarded).first()
    if row is None:
        part = db.session.execute(select(Part.number, Part.on_hand, Part.reserved)
                                  .where(Part.id == part_id, Part.store_id == store_id)).first()
        if part is None:
            raise DomainError(_l("No such part."))
        available = part.on_hand - (0 if may_use_reserved else part.reserved - unreserve)
        raise OutOfStock(_l("Only %(available)s of %(number)s are available; %(wanted)s cannot be taken.",
                            available=plain_quantity(available), number=part.number, wanted=plain_quantity(-quantity)),
                         field="quantity")
    on_hand, reserved, cost = row
    _refresh(part_id, on_hand, reserved)
    movement = StockMovement(store_id=store_id, part_id=part_id, kind=kind, quantity=quantity, balance=on_hand,
                             unit_cost=cost if unit_cost is None else unit_cost, actor_id=actor_id,
                             note=(note or "").strip()[:200] or None, at=at or clock.utcnow(), **refs)
    db.session.add(movement)
    db.session.flush()
    return movement


def plain_quantity(value) -> str:
    """2.00 → 2, 1.50 → 1.5: quantities as people write them."""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def reserve(part_id: int, quantity: Decimal, *, store_id: int, actor_id: int | None,
            repair_order_id: int | None = None, appointment_id: int | None = None) -> Reservation:
    """Hold stock for a repair order or an appointment's pre-pick. Refused when not enough is free."""
    quantity = Decimal(quantity)
    guarded = (
        update(Part)
        .where(Part.id == part_id, Part.store_id == store_id, Part.on_hand - Part.reserved >= quantity)
        .values(reserved=Part.reserved + quantity)
        .returning(Part.on_hand, Part.reserved)
        .execution_options(synchronize_session=False)
    )
    row = db.session.execute(guarded).first()
    if row is None:
        part = db.session.execute(select(Part.number, Part.on_hand, Part.reserved)
                                  .where(Part.id == part_id, Part.store_id == store_id)).first()
        if part is None:
            raise DomainError(_l("No such part."))
        raise OutOfStock(_l("Only %(available)s of %(number)s are free to reserve; %(wanted)s were asked for.",
                            available=plain_quantity(part.on_hand - part.reserved), number=part.number,
                            wanted=plain_quantity(quantity)), field="quantity")
    _refresh(part_id, *row)
    reservation = Reservation(store_id=store_id, part_id=part_id, quantity=quantity, created_by_id=actor_id,
                              repair_order_id=repair_order_id, appointment_id=appointment_id)
    db.session.add(reservation)
    db.session.flush()
    return reservation


def release(reservation: Reservation, quantity: Decimal | None = None, *, issued: bool = False) -> Decimal:
    """Give back (part of) a reservation, all of it by default. With `issued` the issue movement has
    already taken the quantity off the part's `reserved`, so only the reservation row changes.
    Returns the quantity released."""
    if reservation.status != ReservationStatus.OPEN:
        return ZERO
    held = Decimal(reservation.quantity)
    taken = held if quantity is None else min(held, Decimal(quantity))
    if not issued and taken:
        row = db.session.execute(
            update(Part).where(Part.id == reservation.part_id, Part.reserved >= taken)
            .values(reserved=Part.reserved - taken).returning(Part.on_hand, Part.reserved)
            .execution_options(synchronize_session=False)
        ).first()
        if row is not None:
            _refresh(reservation.part_id, *row)
    if taken >= held:  # closed: the row keeps the quantity it last held
        reservation.status = ReservationStatus.ISSUED if issued else ReservationStatus.RELEASED
        reservation.closed_at = clock.utcnow()
    else:
        reservation.quantity = held - taken
    db.session.flush()
    return taken


def open_reservations(*, repair_order_id: int | None = None, appointment_id: int | None = None,
                      part_id: int | None = None) -> list[Reservation]:
    stmt = select(Reservation).where(Reservation.status == ReservationStatus.OPEN)
    if repair_order_id is not None:
        stmt = stmt.where(Reservation.repair_order_id == repair_order_id)
    if appointment_id is not None:
        stmt = stmt.where(Reservation.appointment_id == appointment_id)
    if part_id is not None:
        stmt = stmt.where(Reservation.part_id == part_id)
    return list(db.session.scalars(stmt.order_by(Reservation.id)))


def ledger_drift(store_id: int) -> list[tuple[int, str, Decimal, Decimal, Decimal, Decimal]]:
    """Parts whose kept on-hand differs from the sum of their movements, or whose reserved differs
    from their open reservations: (part id, number, on hand, ledger, reserved, reservations)."""
    moved = (select(StockMovement.part_id, func.sum(StockMovement.quantity).label("total"))
             .where(StockMovement.store_id == store_id).group_by(StockMovement.part_id).subquery())
    held = (select(Reservation.part_id, func.sum(Reservation.quantity).label("total"))
            .where(Reservation.store_id == store_id, Reservation.status == ReservationStatus.OPEN)
            .group_by(Reservation.part_id).subquery())
    ledger = func.coalesce(moved.c.total, 0)
    reservations = func.coalesce(held.c.total, 0)
    rows = db.session.execute(
        select(Part.id, Part.number, Part.on_hand, ledger, Part.reserved, reservations)
        .outerjoin(moved, moved.c.part_id == Part.id).outerjoin(held, held.c.part_id == Part.id)
        .where(Part.store_id == store_id, (Part.on_hand != ledger) | (Part.reserved != reservations))
        .order_by(Part.number)
    ).all()
    return [tuple(r) for r in rows]
