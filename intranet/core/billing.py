"""Money on a repair order: line amounts, totals per pay type, VAT. Decimal only, rounded half up
to the fen (0.01) per pay type, so the payers' shares always add up to the total."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from intranet.core.models import LineKind, PayType
from intranet.errors import DomainError

CENT = Decimal("0.01")


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# Every number a person types for money or a quantity stays below this: the columns hold 12 digits.
LARGEST = Decimal("1e10")


def decimal_from(value, field: str) -> Decimal:
    """A number typed into `field`, or a refusal shown next to it."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_l("Enter a number."), field=field) from None
    if not number.is_finite():  # "NaN" and "Infinity" parse, but are no amount of anything
        raise DomainError(_l("Enter a number."), field=field)
    if abs(number) >= LARGEST:  # "1e309" or thirty nines: no price or quantity, and stored as Infinity by SQLite
        raise DomainError(_l("That number is too large."), field=field)
    return number


@dataclass
class Share:
    net: Decimal = Decimal("0.00")
    tax: Decimal = Decimal("0.00")

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax


@dataclass
class Totals:
    labour: Decimal = Decimal("0.00")
    parts: Decimal = Decimal("0.00")
    by_payer: dict[PayType, Share] = field(default_factory=dict)

    @property
    def net(self) -> Decimal:
        return self.labour + self.parts

    @property
    def tax(self) -> Decimal:
        return sum((s.tax for s in self.by_payer.values()), Decimal("0.00"))

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax


def totals(lines: Iterable, tax_rate: Decimal) -> Totals:
    result = Totals()
    for line in lines:
        amount = money(Decimal(line.quantity) * Decimal(line.unit_price))
        if line.kind == LineKind.LABOUR:
            result.labour += amount
        else:
            result.parts += amount
        result.by_payer.setdefault(PayType(line.pay_type), Share()).net += amount
    for share in result.by_payer.values():
        share.tax = money(share.net * Decimal(tax_rate))
    return result


def labour_by_team(lines: Iterable) -> dict[str | None, Decimal]:
    """Net labour per workshop team (the line's `team`), each line rounded as in `totals`, so the
    teams add up to `totals(...).labour` — the output value's mechanical / body / paint split."""
    result: dict[str | None, Decimal] = {}
    for line in lines:
        if line.kind == LineKind.LABOUR:
            team = getattr(line, "team", None)
            result[team] = result.get(team, Decimal("0.00")) + money(Decimal(line.quantity) * Decimal(line.unit_price))
    return result
