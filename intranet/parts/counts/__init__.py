"""Stock counts (盘点): opening a count, its sheets generated in bin-walking order by a background
job, blind entry on the tablet with a second count by someone else when a variance is worth more
than the count's recount value, the variance report with a reason and a responsible person for
each variance, the finance sign-off of a quarterly count, and the approval that posts the
adjustments to the ledger. Also the overnight job that opens the scheduled counts and checks every
part's on-hand against its ledger.

The book quantity of a line is taken when its count is entered, not when the sheet is printed: a
sale between printing and counting moves the book and the shelf alike, so it is no variance.
Functions flush; the caller (view, job, demo) commits once.

One module per step: `rules` (the rules in one place, the count and its moves), `opening` (opening a
count, generating its sheets), `sheets` (the sheet and its entry), `review` (review, variance report,
finance sign-off, approval), `scheduled` (the overnight counts and ledger check). Their public names
are read from here: `from intranet.parts import counts; counts.enter_count(...)`."""
from __future__ import annotations

from intranet.parts.counts.opening import generate_sheets, open_count, overlapping_count, request_sheets
from intranet.parts.counts.review import (
    VarianceReport, approve_count, cancel_count, check_report_open, explain_variance, finance_sign_off, line_value,
    list_counts, reopen_counting, store_people, submit_for_review, variance_report,
)
from intranet.parts.counts.rules import (
    APPROVER_ROLES, COUNT_TRANSITIONS, DEFAULT_RECOUNT_VALUE, DRIFT_LISTED, DRIFT_NOTICE, FINANCE_ROLE, OPEN_COUNT,
    RECENT_REPLAY, REPORT_CLOSED, SHEET_BATCH, AlreadyCounted, ApprovalRefused, CountOverlaps, FinanceMissing,
    LinesOutstanding, ReportClosed, SameCounter, StaleCount, get_count, normalise_bin_prefix,
)
from intranet.parts.counts.scheduled import NOT_OPENED_NOTICE, open_scheduled_counts, overnight, report_drift
from intranet.parts.counts.sheets import (
    SHEET_FILTERS, SheetProgress, enter_count, find_line, line_stage, next_line, sheet_lines, sheet_progress,
)

__all__ = [
    "APPROVER_ROLES", "AlreadyCounted", "ApprovalRefused", "COUNT_TRANSITIONS", "CountOverlaps",
    "DEFAULT_RECOUNT_VALUE", "DRIFT_LISTED", "DRIFT_NOTICE", "FINANCE_ROLE", "FinanceMissing", "LinesOutstanding",
    "NOT_OPENED_NOTICE", "OPEN_COUNT", "RECENT_REPLAY", "REPORT_CLOSED", "ReportClosed", "SHEET_BATCH",
    "SHEET_FILTERS", "SameCounter", "SheetProgress", "StaleCount", "VarianceReport", "approve_count", "cancel_count",
    "check_report_open", "enter_count", "explain_variance", "finance_sign_off", "find_line", "generate_sheets",
    "get_count", "line_stage", "line_value", "list_counts", "next_line", "normalise_bin_prefix", "open_count",
    "open_scheduled_counts", "overlapping_count", "overnight", "reopen_counting", "report_drift", "request_sheets",
    "sheet_lines", "sheet_progress", "store_people", "submit_for_review", "variance_report",
]
