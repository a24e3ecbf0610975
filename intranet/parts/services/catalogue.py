"""The catalogue: parts and their bins (one part number per bin), the suppliers, the stock list,
a part's bin card (卡片帐) and its opening stock. Stock changes only through `ledger`."""
from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from intranet.core.billing import decimal_from, money
from intranet.core.bounds import whole_number
from intranet.core.models import RepairOrder
from intranet.core.services import get_owned
from intranet.errors import Conflict, DomainError
from intranet.extensions import db
from intranet.parts import ledger
from intranet.parts.models import ZERO, AbcClass, MovementKind, Part, StockMovement, Supplier

PART_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9 .\-/]{1,31}$")


def get_part(part_id: int, store_id: int) -> Part:
    return get_owned(Part, part_id, store_id, _l("No such part."))


def part_by_number(store_id: int, number: str | None) -> Part | None:
    number = (number or "").strip().upper()
    if not number:
        return None
    return db.session.scalar(select(Part).where(Part.store_id == store_id, Part.number == number))


def _require_part(store_id: int, number: str | None, field: str = "part_number") -> Part:
    part = part_by_number(store_id, number)
    if part is None:
        if not (number or "").strip():
            raise DomainError(_l("Enter the part number."), field=field)
        raise DomainError(_l("There is no part %(number)s in the catalogue.", number=number.strip().upper()),
                          field=field)
    if not part.active:
        raise DomainError(_l("Part %(number)s is no longer stocked.", number=part.number), field=field)
    return part


PART_FIELDS = ("number", "name", "fitment", "abc_class", "unit", "cost", "price", "reorder_point",
               "reorder_quantity", "supplier_id", "bin_code")


def _amount(value, field: str, *, required: bool = False) -> Decimal:
    if value in (None, ""):
        if required:
            raise DomainError(_l("This is required."), field=field)
        return ZERO
    amount = decimal_from(value, field)
    if amount < 0:
        raise DomainError(_l("A price or quantity cannot be negative."), field=field)
    return amount


def _check_bin(store_id: int, code: str | None, part_id: int | None) -> str | None:
    code = ledger.normalise_bin(code)
    if code:
        holder = db.session.scalar(select(Part.number).where(Part.store_id == store_id, Part.bin_code == code,
                                                             Part.id != (part_id or 0)))
        if holder:
            raise Conflict(_l("Bin %(bin)s already holds %(number)s: one part number per bin.", bin=code,
                              number=holder), field="bin_code")
    return code


def save_part(*, store_id: int, part_id: int | None = None, **values) -> Part:
    """Create or change a catalogue part. Stock is not touched here (an opening balance goes
    through `ledger.post`)."""
    part = get_part(part_id, store_id) if part_id else Part(store_id=store_id)
    number = (values.get("number") or "").strip().upper()
    if not PART_NUMBER.match(number):
        raise DomainError(_l("A part number is 2 to 32 letters, digits, dots or dashes, e.g. 06J115403Q."),
                          field="number")
    if number != part.number and part_by_number(store_id, number):
        raise Conflict(_l("Part %(number)s is already in the catalogue.", number=number), field="number")
    name = (values.get("name") or "").strip()
    if not name:
        raise DomainError(_l("Enter the part's name."), field="name")
    abc = (values.get("abc_class") or "C").strip().upper()
    if abc not in {c.value for c in AbcClass}:
        raise DomainError(_l("The ABC class is A, B or C."), field="abc_class")
    supplier_id = values.get("supplier_id") or None
    if supplier_id:
        get_owned(Supplier, whole_number(supplier_id, lowest=1), store_id, _l("No such supplier."))
    part.number, part.name, part.abc_class = number, name[:100], abc
    part.fitment = (values.get("fitment") or "").strip()[:200] or None
    part.unit = (values.get("unit") or part.unit or "件").strip()[:8]
    part.cost = money(_amount(values.get("cost"), "cost"))
    part.price = money(_amount(values.get("price"), "price"))
    part.reorder_point = _amount(values.get("reorder_point"), "reorder_point")
    part.reorder_quantity = _amount(values.get("reorder_quantity"), "reorder_quantity")
    part.supplier_id = int(supplier_id) if supplier_id else None
    part.bin_code = _check_bin(store_id, values.get("bin_code"), part.id)
    if part.id is None:
        db.session.add(part)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # a colleague took the number or the bin a moment ago
        raise Conflict(_l("That part number or bin was taken a moment ago by a colleague; check and save again."),
                       field="bin_code") from None
    return part


def suppliers(store_id: int) -> list[Supplier]:
    return list(db.session.scalars(select(Supplier).where(Supplier.store_id == store_id, Supplier.active)
                                   .order_by(Supplier.name)))


def stock_list(store_id: int, *, query: str | None = None, abc: str | None = None, only: str | None = None,
               page: int = 1, per_page: int = 50) -> tuple[list[Part], int]:
    """The stock list: a page of parts (by bin order) and how many match. `query` matches the start
    of a part number or a bin, or any part of a name; `only` is "low" (at or under the reorder
    point), "reserved" or "empty"."""
    stmt = select(Part).where(Part.store_id == store_id, Part.active)
    query = (query or "").strip()
    if query:
        upper = query.upper()
        stmt = stmt.where(or_(and_(Part.number >= upper, Part.number < upper + "\uffff"),
                              and_(Part.bin_code >= upper, Part.bin_code < upper + "\uffff"),
                              Part.name.contains(query, autoescape=True)))
    if abc in {c.value for c in AbcClass}:
        stmt = stmt.where(Part.abc_class == abc)
    if only == "low":
        stmt = stmt.where(Part.on_hand - Part.reserved <= Part.reorder_point, Part.reorder_point > 0)
    elif only == "reserved":
        stmt = stmt.where(Part.reserved > 0)
    elif only == "empty":
        stmt = stmt.where(Part.on_hand == 0)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = max(page, 1)
    parts = db.session.scalars(stmt.options(joinedload(Part.supplier))
                               .order_by(Part.bin_code, Part.number)
                               .limit(per_page).offset((page - 1) * per_page))
    return list(parts), total


def stock_value(store_id: int) -> Decimal:
    return money(db.session.scalar(select(func.coalesce(func.sum(Part.on_hand * Part.cost), 0))
                                   .where(Part.store_id == store_id)))


def bin_card(part_id: int, store_id: int, *, page: int = 1, per_page: int = 100) -> tuple[list[StockMovement], int]:
    """The part's movements, newest first, each with the balance it left (卡片帐)."""
    base = select(StockMovement).where(StockMovement.part_id == part_id, StockMovement.store_id == store_id)
    total = db.session.scalar(select(func.count()).select_from(base.subquery()))
    rows = db.session.scalars(base.options(joinedload(StockMovement.actor),
                                           joinedload(StockMovement.repair_order).joinedload(RepairOrder.vehicle))
                              .order_by(StockMovement.at.desc(), StockMovement.id.desc())
                              .limit(per_page).offset((max(page, 1) - 1) * per_page))
    return list(rows), total


def add_opening_stock(part_id: int, quantity, *, store_id: int, actor_id: int | None, note: str | None = None):
    return ledger.post(part_id, ledger.quantity_from(quantity), MovementKind.OPENING, store_id=store_id,
                       actor_id=actor_id, note=note)
