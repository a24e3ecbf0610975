"""Suppliers' quotes for an order line: A-class parts are compared across three suppliers before
approval."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from intranet.core.billing import money
from intranet.core.services import get_owned
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.parts.models import AbcClass, PurchaseOrderLine, Supplier, SupplierQuote
from intranet.parts.purchasing.entry import _price
from intranet.parts.purchasing.orders import _expect, _flush, _require_draft, _touch

QUOTES_NEEDED = 3


def _line(line_id: int, store_id: int) -> PurchaseOrderLine:
    line = db.session.get(PurchaseOrderLine, line_id)
    if line is None or line.order.store_id != store_id:
        raise DomainError(_l("That line is not on this order any more."))
    return line


def add_quote(line_id: int, *, store_id: int, supplier_id, unit_cost, lead_days=None) -> SupplierQuote:
    """A supplier's price for an order line (a second quote of the same supplier replaces the first)."""
    line = _line(line_id, store_id)
    _require_draft(line.order)
    if not str(supplier_id or "").strip().isdigit():
        raise DomainError(_l("Choose the supplier."), field="supplier_id")
    supplier = get_owned(Supplier, int(supplier_id), store_id, _l("No such supplier."))
    cost = _price(unit_cost, "unit_cost")
    if cost <= 0:
        raise DomainError(_l("Enter the unit cost the supplier quoted."), field="unit_cost")
    days = None
    if str(lead_days or "").strip():
        if not str(lead_days).strip().isdigit() or int(lead_days) > 365:
            raise DomainError(_l("Enter the delivery time in whole days."), field="lead_days")
        days = int(lead_days)
    quote = next((q for q in line.quotes if q.supplier_id == supplier.id), None)
    if quote is None:
        quote = SupplierQuote(supplier_id=supplier.id, unit_cost=cost, lead_days=days)
        line.quotes.append(quote)
    else:
        quote.unit_cost, quote.lead_days = cost, days
    db.session.flush()
    db.session.expire(line, ["quotes"])
    return quote


def choose_quote(quote_id: int, *, store_id: int, expected_version=None) -> PurchaseOrderLine:
    """The line's unit cost becomes the chosen supplier's price."""
    quote = db.session.get(SupplierQuote, quote_id)
    line = db.session.get(PurchaseOrderLine, quote.order_line_id) if quote else None
    if line is None or line.order.store_id != store_id:
        raise DomainError(_l("That quote is gone."))
    _expect(line.order, expected_version)
    _require_draft(line.order)
    line.unit_cost = money(quote.unit_cost)
    _touch(line.order)
    _flush(line.order)
    return line


def cheapest(line: PurchaseOrderLine) -> SupplierQuote | None:
    return min(line.quotes, key=lambda q: (Decimal(q.unit_cost), q.id), default=None)


def needs_quotes(line: PurchaseOrderLine) -> bool:
    return line.part.abc_class == AbcClass.A and len(line.quotes) < QUOTES_NEEDED
