"""Purchasing, receiving and discrepancies: the nightly suggested orders, the planner's drafts and
urgent purchase requests for cars waiting, the parts manager's approval (A-class parts compared
across three suppliers), the buyer's order, the three receiving checks (delivery note, intake,
shelving) and the discrepancy notes (差损单) followed until the supplier settles the claim.

One module per step (orders: state machine, reading and guards; drafts; requests; suggested;
quotes; ordering; receipts; claims; entry: what people type). This package exposes their public
names, so `from intranet.parts import purchasing; purchasing.approve(...)` reads as before.

Stock is booked only at shelving, through `ledger.post`, and only the good quantity actually
received. Services flush; the view or the job commits."""
from __future__ import annotations

from intranet.parts.purchasing.claims import (
    CLAIM_MOVES, CLAIM_OUTCOMES, attach_photos, claim, discrepancy_list, discrepancy_row, get_discrepancy, settle,
)
from intranet.parts.purchasing.drafts import add_line, create_order, remove_line, save_draft
from intranet.parts.purchasing.entry import lines_typed
from intranet.parts.purchasing.ordering import approve, cancel_order, close_short, mark_ordered
from intranet.parts.purchasing.orders import (
    ON_ORDER_PENDING, OPEN_ORDERS, ORDER_MOVES, RECEIVABLE, NotAllowed, StaleOrder, get_order, order_page,
    order_total, orders_overview, shortages, store_today,
)
from intranet.parts.purchasing.quotes import (
    QUOTES_NEEDED, _line, add_quote, cheapest, choose_quote, needs_quotes, quote_order_id,
)
from intranet.parts.purchasing.receipts import (
    RECEIPT_STEPS, check_delivery_note, check_intake, get_receipt, receipt_page, shelve,
)
from intranet.parts.purchasing.requests import request_purchase
from intranet.parts.purchasing.suggested import suggest_orders

__all__ = [
    "CLAIM_MOVES", "CLAIM_OUTCOMES", "ON_ORDER_PENDING", "OPEN_ORDERS", "ORDER_MOVES", "QUOTES_NEEDED",
    "RECEIPT_STEPS", "RECEIVABLE", "NotAllowed", "StaleOrder", "_line", "add_line", "add_quote", "approve",
    "attach_photos", "cancel_order", "check_delivery_note", "check_intake", "cheapest", "choose_quote", "claim",
    "close_short", "create_order", "discrepancy_list", "discrepancy_row", "get_discrepancy", "get_order",
    "get_receipt", "lines_typed", "mark_ordered", "needs_quotes", "order_page", "order_total", "orders_overview",
    "quote_order_id", "receipt_page", "remove_line", "request_purchase", "save_draft", "settle", "shelve", "shortages",
    "store_today", "suggest_orders",
]
