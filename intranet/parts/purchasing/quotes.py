"""Suppliers' quotes for an order line: A-class parts are compared across three suppliers before
approval."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from intranet.core.billing import money
from intranet.core.services import get_owned
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.parts import history, ledger
from intranet.parts.models import (
    AbcClass, OrderStatus, PendingPart, PurchaseOrder, PurchaseOrderLine, Supplier, SupplierQuote,
)
from intranet.parts.purchasing.entry import _price
from intranet.parts.purchasing.orders import (
    _bump_pending, _expect, _flush, _move, _new_order, _require_draft, _touch,
)

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


def quote_order_id(quote_id: int, store_id: int) -> int | None:
    """The order a quote's line is on (None when the quote is gone or of another store)."""
    return db.session.scalar(
        select(PurchaseOrder.id).join(PurchaseOrderLine, PurchaseOrderLine.order_id == PurchaseOrder.id)
        .join(SupplierQuote, SupplierQuote.order_line_id == PurchaseOrderLine.id)
        .where(SupplierQuote.id == quote_id, PurchaseOrder.store_id == store_id))


def choose_quote(quote_id: int, *, store_id: int, actor_id: int | None = None,
                 expected_version=None) -> PurchaseOrderLine:
    """Buy the line from the chosen supplier at its quoted price. The same supplier: the line's unit
    cost becomes the quote. Another supplier: the line moves, with its quotes and the cars waiting
    for it, to that supplier's draft of the same urgency (a new draft when there is none), and a
    draft left without lines is cancelled; both orders' histories say what moved where. Returns the
    line as it now is (on the other order when it moved)."""
    quote = db.session.get(SupplierQuote, quote_id)
    line = db.session.get(PurchaseOrderLine, quote.order_line_id) if quote else None
    if line is None or line.order.store_id != store_id:
        raise DomainError(_l("That quote is gone."))
    order = line.order
    _expect(order, expected_version)
    _require_draft(order)
    cost = money(quote.unit_cost)
    if order.supplier_id == quote.supplier_id:
        line.unit_cost = cost
        _touch(order)
        _flush(order)
        return line
    supplier = get_owned(Supplier, quote.supplier_id, store_id, _l("No such supplier."))
    if not supplier.active:
        raise DomainError(_l("%(name)s is no longer an active supplier.", name=supplier.name))
    target = db.session.scalar(
        select(PurchaseOrder).where(PurchaseOrder.store_id == store_id, PurchaseOrder.supplier_id == supplier.id,
                                    PurchaseOrder.status == OrderStatus.DRAFT,
                                    PurchaseOrder.urgent.is_(bool(order.urgent)), PurchaseOrder.id != order.id)
        .order_by(PurchaseOrder.suggested, PurchaseOrder.id.desc()).limit(1))
    if target is None:
        target = _new_order(store_id, supplier.id, actor_id=actor_id, urgent=bool(order.urgent),
                            note=_("Lines chosen from the quotes of %(number)s.", number=order.number))
        _flush(target)
    part, quantity = line.part, Decimal(line.quantity)
    kept = next((ln for ln in target.lines if ln.part_id == line.part_id), None)
    waiting = list(db.session.scalars(select(PendingPart).where(PendingPart.order_line_id == line.id)))
    if kept is None:
        order.lines.remove(line)
        target.lines.append(line)
        kept = line
    else:  # the other draft already buys this part: one line, the quantities added
        kept.quantity = Decimal(kept.quantity) + quantity
        known = {q.supplier_id for q in kept.quotes}
        for other in line.quotes:
            if other.supplier_id not in known:
                kept.quotes.append(SupplierQuote(supplier_id=other.supplier_id, unit_cost=other.unit_cost,
                                                 lead_days=other.lead_days))
    kept.unit_cost = cost
    _flush(target)  # a moved line keeps its id; a merged one's cars go to the line kept
    for pending in waiting:
        pending.order_line_id, pending.supplier_id = kept.id, supplier.id
    if kept is not line:
        order.lines.remove(line)
    what = _("%(number)s × %(quantity)s at %(cost)s", number=part.number,
             quantity=ledger.plain_quantity(quantity), cost=f"¥{cost}")
    history.opened(order, subject="order", actor_id=actor_id, from_status=order.status,
                   note=_("%(what)s moved to %(order)s: the quote of %(supplier)s was chosen.", what=what,
                          order=target.number, supplier=supplier.name))
    history.opened(target, subject="order", actor_id=actor_id, from_status=target.status,
                   note=_("%(what)s moved here from %(order)s: this supplier's quote was chosen.", what=what,
                          order=order.number))
    _touch(target)
    _flush(target)
    if not order.lines:
        _move(order, OrderStatus.CANCELLED, actor_id,
              note=_("Every line went to other suppliers' orders: %(order)s.", order=target.number))
    else:
        _touch(order)
    _flush(order)
    _bump_pending(store_id)
    return kept


def cheapest(line: PurchaseOrderLine) -> SupplierQuote | None:
    return min(line.quotes, key=lambda q: (Decimal(q.unit_cost), q.id), default=None)


def needs_quotes(line: PurchaseOrderLine) -> bool:
    return line.part.abc_class == AbcClass.A and len(line.quotes) < QUOTES_NEEDED
