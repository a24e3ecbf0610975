"""The parts store's counter and catalogue: parts and bins, the stock list and bin cards, issuing
against a technician's request with the old part handed in (交旧领新), returns, reservations, the
pending parts list (待缺料) and the old parts ledger. Purchasing lives in `purchasing`, counts in
`counts`, write-offs in `writeoffs`; all of them change stock only through `ledger`.

One module per task: `catalogue` (parts, bins, suppliers, the stock list, bin cards), `counter`
(the requests at the counter, the warranty sign-off, issues, cancellations, returns), `reservations`
(stock held for a repair order or an appointment's pre-pick), `pending` (shortages and the parts
that arrive for them), `oldparts` (the old parts until they leave the store), `desk` (the home
panel's figures). This package exposes their public names, so `from intranet.parts import services;
services.issue(...)` reads as before."""
from __future__ import annotations

from intranet.parts.services.catalogue import (
    PART_FIELDS, PART_NUMBER, add_opening_stock, bin_card, get_part, part_by_number, save_part, stock_list,
    stock_value, suppliers,
)
from intranet.parts.services.counter import (
    BOARDS, ask_warranty, cancel_request, counter_queue, find_repair_order, issue, issued_to, parts_of,
    recent_issues, return_to_stock, sign_warranty, warranty_waiting,
)
from intranet.parts.services.desk import desk_summary
from intranet.parts.services.oldparts import OLD_PART_MOVES, close_old_part, old_parts, tag_claim
from intranet.parts.services.pending import on_received, pending_list, record_shortage
from intranet.parts.services.reservations import (
    carry_pre_pick, drop_pre_pick, release_estimate_line, release_reservation, reservations_of,
    reservations_of_part, reserve_estimate_line, reserve_for,
)

__all__ = [
    "BOARDS", "OLD_PART_MOVES", "PART_FIELDS", "PART_NUMBER", "add_opening_stock", "ask_warranty", "bin_card",
    "cancel_request", "carry_pre_pick", "close_old_part", "counter_queue", "desk_summary", "drop_pre_pick",
    "find_repair_order", "get_part", "issue", "issued_to", "old_parts", "on_received", "part_by_number", "parts_of",
    "pending_list", "recent_issues", "record_shortage", "release_estimate_line", "release_reservation",
    "reservations_of", "reservations_of_part", "reserve_estimate_line", "reserve_for", "return_to_stock",
    "save_part", "sign_warranty", "stock_list", "stock_value", "suppliers", "tag_claim", "warranty_waiting",
]
