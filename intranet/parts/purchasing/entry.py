"""What people type on the purchasing pages, checked: counted quantities, prices, dates, short
texts, and the per-line values of a form whose fields are named <key>-<line id>."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from intranet.core.billing import money
from intranet.errors import DomainError
from intranet.parts.models import ZERO


def _count(value, field: str, *, required: bool = False) -> Decimal:
    """A quantity counted by a person: empty is zero (unless required), never negative, at most
    two decimals."""
    text = str(value if value is not None else "").strip()
    if not text:
        if required:
            raise DomainError(_l("Enter a quantity greater than zero."), field=field)
        return ZERO
    try:
        quantity = Decimal(text)
    except (InvalidOperation, ValueError):
        raise DomainError(_l("Enter a number."), field=field) from None
    if not quantity.is_finite() or quantity < 0:
        raise DomainError(_l("A quantity cannot be negative."), field=field)
    if quantity != quantity.quantize(Decimal("0.01")):
        raise DomainError(_l("Enter the quantity with at most two decimals."), field=field)
    if required and quantity == 0:
        raise DomainError(_l("Enter a quantity greater than zero."), field=field)
    return quantity


def _price(value, field: str) -> Decimal:
    text = str(value if value is not None else "").strip()
    if not text:
        raise DomainError(_l("Enter the unit cost."), field=field)
    try:
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        raise DomainError(_l("Enter a number."), field=field) from None
    if not amount.is_finite() or amount < 0:
        raise DomainError(_l("A price cannot be negative."), field=field)
    if amount > Decimal("9999999999"):
        raise DomainError(_l("That price is too large."), field=field)
    return money(amount)


def _date(value, field: str) -> date:
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        raise DomainError(_l("Enter the expected delivery date."), field=field)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DomainError(_l("Enter the date as YYYY-MM-DD."), field=field) from None


def _text(value, length: int) -> str | None:
    return (value or "").strip()[:length] or None


def lines_typed(form, keys) -> dict:
    """Per-line values typed in a form whose fields are named <key>-<line id>: {id: {key: value}}."""
    result: dict[int, dict] = {}
    for name, value in form.items():
        key, _sep, ident = name.rpartition("-")
        if key in keys and ident.isdigit():
            result.setdefault(int(ident), {})[key] = value
    return result
