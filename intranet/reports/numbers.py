"""How a KPI's numbers read — the same on the dashboard, in the drill-downs and in the digests."""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel.numbers import parse_pattern
from flask_babel import get_locale
from flask_babel import gettext as _


@lru_cache(maxsize=64)
def _pattern(pattern: str):
    return parse_pattern(pattern)


def format_decimal(value, format: str) -> str:  # noqa: A002 - flask_babel's name for it
    """flask_babel.format_decimal with the pattern parsed once, not for every number of a table
    (parsing it was most of a drill-down's 500 cells)."""
    return _pattern(format).apply(value, get_locale())


def decimal_or_none(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def kpi_number(value, unit: str) -> str:
    """A KPI's value: 12 · ¥123,456 · 95.5% · 7.5 h · 4.6; None → —."""
    value = decimal_or_none(value)
    if value is None:
        return "—"
    if unit == "money":
        return ("-¥" if value < 0 else "¥") + format_decimal(abs(value), format="#,##0")
    if unit == "percent":
        return format_decimal(value, format="#,##0.0") + "%"
    if unit == "hours":
        return _("%(hours)s h", hours=format_decimal(value, format="#,##0.0"))
    if unit == "count":
        return format_decimal(value, format="#,##0.#")
    return format_decimal(value, format="#,##0.0#")


def term_number(value) -> str:
    """A formula's term (numerator or denominator): a count or an amount."""
    value = decimal_or_none(value)
    return "—" if value is None else format_decimal(value, format="#,##0.##")


def change_text(change, unit: str) -> str:
    """+3 · -¥1,200 · +2.1 pts: the difference from the previous period, signed; "" without one."""
    change = decimal_or_none(change)
    if change is None:
        return ""
    sign = "+" if change > 0 else "-" if change < 0 else "±"
    if unit == "percent":
        return _("%(sign)s%(points)s pts", sign=sign, points=format_decimal(abs(change), format="#,##0.0"))
    return sign + kpi_number(abs(change), unit)
