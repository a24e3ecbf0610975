"""Pre-pick (预约备料): the catalogue parts a booking asks the parts store to prepare before the car
comes, each with its quantity. Reception stands below the parts store, so it never reads the
catalogue or the stock itself: it asks through its hooks (`reception.hooks`) — `pre_pick_catalogue`
to search the catalogue from the booking form, `appointment_booked` to have the lines held — and
the parts store, which connects the receivers, writes on each line what it could hold."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import zip_longest

from flask_babel import lazy_gettext as _l

from intranet.core.billing import decimal_from
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.reception import hooks
from intranet.reception.models import Appointment, PrePickLine

MAX_LINES = 20
FIELD = "pre_pick"


@dataclass(frozen=True)
class CataloguePart:
    """A catalogue part as the booking form shows it."""

    number: str
    name: str
    unit: str
    available: Decimal  # free now: on hand less what is held
    bin_code: str | None = None


@dataclass(frozen=True)
class TypedLine:
    """A row of the booking form's pre-pick list as it was posted (kept when the form is refused)."""

    number: str
    name: str
    quantity: str


def search_catalogue(store_id: int, text: str | None, limit: int = 8) -> list[CataloguePart]:
    """Catalogue parts whose number, bin or name match `text` (the parts store answers)."""
    text = (text or "").strip()[:40]
    if not text:
        return []
    found: list[CataloguePart] = []
    for answer in hooks.pre_pick_catalogue.send(store_id=store_id, text=text, limit=limit):
        found.extend(answer or [])
    return found[:limit]


def typed_lines(numbers: list[str], names: list[str], quantities: list[str]) -> list[TypedLine]:
    """The posted rows, as typed, for showing the form again."""
    return [TypedLine((n or "").strip().upper()[:32], (name or "")[:100], (q or "")[:20])
            for n, name, q in zip_longest(numbers, names, quantities, fillvalue="") if (n or "").strip()]


def parse_lines(rows: list[TypedLine]) -> list[tuple[str, Decimal]]:
    """(part number, quantity) per part — a part chosen twice adds up. A missing, zero or negative
    quantity is refused with the part it concerns."""
    lines: dict[str, Decimal] = {}
    for row in rows:
        number = row.number.strip().upper()
        if not number:
            continue
        if not row.quantity.strip():
            raise DomainError(_l("Enter how many of %(number)s to prepare.", number=number), field=FIELD)
        quantity = decimal_from(row.quantity, FIELD)
        if quantity <= 0:
            raise DomainError(_l("Enter a quantity above 0 for %(number)s.", number=number), field=FIELD)
        lines[number] = lines.get(number, Decimal("0")) + quantity
    if len(lines) > MAX_LINES:
        raise DomainError(_l("At most %(n)d parts per booking.", n=MAX_LINES), field=FIELD)
    return list(lines.items())


def add_lines(appointment: Appointment, lines: list[tuple[str, Decimal]], *, actor_id: int | None) -> None:
    """Put the lines on a new booking and ask the parts store to hold them (same transaction: a part
    it refuses undoes the booking). What it could not hold stays on the line as a shortage."""
    for number, quantity in lines:
        appointment.pre_pick.append(PrePickLine(store_id=appointment.store_id, part_number=number,
                                                part_name=number, quantity=quantity, reserved=Decimal("0")))
    db.session.flush()
    hooks.appointment_booked.send(appointment_id=appointment.id, actor_id=actor_id)
