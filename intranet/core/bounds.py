"""What every stored value fits, checked in one place before a row is written.

Forms and services refuse bad input with their own words first (a `NumberRange`, `decimal_from`, a
date in its range). This is the net under all of them: before each flush every new or changed value
is held against its column — text without NUL characters (PostgreSQL refuses them) and no longer
than a `String(n)`, whole numbers that fit the integer column (2^31 on PostgreSQL, 2^63 on SQLite),
decimals finite and within the digits of their `Numeric(p, s)` (SQLite stored 1e309 as Infinity,
PostgreSQL says "numeric field overflow"). A value that does not fit raises `OutOfBounds`, a
`DomainError` naming the attribute as its field, so the form shows it next to the field of that name
and nothing reaches the database — the same answer on SQLite and on PostgreSQL.

The same limits serve the places that read a number before any row is written (`whole_number`,
`fits_id`): an id of 99999999999999999999 in a URL or a form finds nothing instead of overflowing."""
from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, Float, Integer, Numeric, String, event, inspect
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from intranet.errors import DomainError

INT_MAX = 2**31 - 1  # PostgreSQL's integer; ids and counts
BIGINT_MAX = 2**63 - 1
# Dates a person may type anywhere: a customer born in 1900, an inspection due in 2100.
EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2100, 12, 31)


class OutOfBounds(DomainError):
    """A value does not fit where it would be stored."""


def has_nul(value) -> bool:
    return isinstance(value, str) and "\x00" in value


def fits_id(value) -> bool:
    """An integer that can be a row's id (or any integer column's value)."""
    return isinstance(value, int) and -INT_MAX - 1 <= value <= INT_MAX


def whole_number(text, *, lowest: int = -INT_MAX - 1, highest: int = INT_MAX) -> int | None:
    """A whole number typed or sent as text, or None when it is none or does not fit [lowest, highest]
    ("9" * 40, "-1" for an id, "1e309", "abc")."""
    text = (str(text) if text is not None else "").strip()
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isascii() or not digits.isdigit() or len(digits) > 19:
        return None
    number = int(text)
    return number if lowest <= number <= highest else None


def _impl(column_type):
    return column_type.impl if isinstance(column_type, TypeDecorator) else column_type


def refusal(column_type, value):
    """Why `value` does not fit a column of `column_type`, or None when it does."""
    column_type = _impl(column_type)
    if value is None:
        return None
    if isinstance(value, str):
        if "\x00" in value:
            return _l("This text contains a character that cannot be stored (NUL). Type it again.")
        length = getattr(column_type, "length", None) if isinstance(column_type, String) else None
        if length and len(value) > length:
            return _l("This is too long: at most %(n)d characters.", n=length)
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and isinstance(column_type, Integer):
        highest = BIGINT_MAX if isinstance(column_type, BigInteger) else INT_MAX
        if not -highest - 1 <= value <= highest:
            return _l("That number is too large.")
        return None
    if isinstance(value, (float, Decimal)) and isinstance(column_type, (Numeric, Float)):
        if isinstance(value, float) and not math.isfinite(value) or isinstance(value, Decimal) and not value.is_finite():
            return _l("Enter a number.")
        precision, scale = getattr(column_type, "precision", None), getattr(column_type, "scale", None)
        if precision and not isinstance(column_type, Float):
            if abs(Decimal(value)) >= Decimal(10) ** (precision - (scale or 0)):
                return _l("That number is too large.")
        elif abs(value) >= 1e15:
            return _l("That number is too large.")
    return None


def check_row(obj, *, new: bool) -> None:
    """Refuse the first value of `obj` (a new row, or the changed values of a loaded one) that does
    not fit its column."""
    state = inspect(obj)
    changed = state.dict if new else state.committed_state
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key not in changed or key not in state.dict:
            continue
        column = attr.columns[0]
        if not hasattr(column, "type"):
            continue
        problem = refusal(column.type, state.dict[key])
        if problem is not None:
            raise OutOfBounds(problem, field=key)


def _before_flush(session, _flush_context, _instances) -> None:
    for obj in session.new:
        check_row(obj, new=True)
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            check_row(obj, new=False)


def install(session_target=Session) -> None:
    """Check every flush of `session_target` (a Session class or a scoped session) against the
    columns; installing twice checks once."""
    if not event.contains(session_target, "before_flush", _before_flush):
        event.listen(session_target, "before_flush", _before_flush)
