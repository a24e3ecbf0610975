"""The rules of a stock count in one place (open states, who approves, the recount value, the
sheet batch) and what every step uses: the count, its version, its moves."""
from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from intranet.core.models import Role, User
from intranet.core.services import get_owned
from intranet.errors import Conflict, DomainError, IllegalTransition
from intranet.extensions import db
from intranet.parts import history
from intranet.parts.models import AbcClass, CountStatus, StockCount

# ------------------------------------------------------------------ the rules in one place

COUNT_TRANSITIONS: dict[CountStatus, frozenset[CountStatus]] = {
    CountStatus.GENERATING: frozenset({CountStatus.COUNTING, CountStatus.CANCELLED}),
    CountStatus.COUNTING: frozenset({CountStatus.REVIEW, CountStatus.CANCELLED}),
    CountStatus.REVIEW: frozenset({CountStatus.COUNTING, CountStatus.APPROVED, CountStatus.CANCELLED}),
    CountStatus.APPROVED: frozenset(),
    CountStatus.CANCELLED: frozenset(),
}
OPEN_COUNT = (CountStatus.GENERATING, CountStatus.COUNTING, CountStatus.REVIEW)
# While counting, nobody reads the variance report — not the counters, and not the parts manager or
# the director either, since any of them may be the colleague asked for a blind second count. The
# sheet says which lines wait for a recount (never a figure); the report opens at the review.
REPORT_CLOSED = (CountStatus.GENERATING, CountStatus.COUNTING)
APPROVER_ROLES = (Role.PARTS, Role.DIRECTOR)
FINANCE_ROLE = Role.MANAGER
DEFAULT_RECOUNT_VALUE = Decimal("200")
SHEET_BATCH = 2000
DRIFT_NOTICE = "parts_ledger_drift"
DRIFT_LISTED = 20  # part numbers named in the notice; the rest are counted
RECENT_REPLAY = timedelta(minutes=2)  # a resent tap of the same count by the same person


class StaleCount(Conflict):
    """The count changed since the page was loaded (someone approved, reopened or cancelled it)."""


class CountOverlaps(Conflict):
    """Another open count already takes some of these bins: each variance must be posted once."""

    def __init__(self, message, *, field: str | None = None, other_id: int | None = None):
        super().__init__(message, field=field)
        self.other_id = other_id


class ReportClosed(IllegalTransition):
    """The variance report is closed while the count is being counted: a second count is blind, and
    the report shows the first figure and the book."""


class AlreadyCounted(Conflict):
    """This bin already has its count: a second entry would count it twice."""


class SameCounter(DomainError):
    """A second count must be made by someone other than the first counter."""


class LinesOutstanding(IllegalTransition):
    """Lines are still uncounted, or seconds counts are still pending."""


class ApprovalRefused(DomainError):
    """The person may not approve (role, or they opened the count)."""


class FinanceMissing(DomainError):
    """A quarterly count is approved only after finance's sign-off."""


# ------------------------------------------------------------------ small helpers

_PIECES = re.compile(r"[\s\-·./_]+")
_PREFIX_WIDTHS = (None, 2, 1, 2)  # shelf, layer, position are padded like the bin codes


def normalise_bin_prefix(raw: str | None) -> str | None:
    """The start of a bin code: "A" (a store), "A-03" (one shelf), "A-03-2" (one layer)…
    Written like bin codes are, so "a 3" and "A·03" are the shelf A-03."""
    text = (raw or "").strip().upper()
    if not text:
        return None
    pieces = [p for p in _PIECES.split(text) if p]
    valid = (0 < len(pieces) <= 4 and re.fullmatch(r"[A-Z0-9]{1,2}", pieces[0]) is not None
             and all(p.isdigit() and len(p) <= _PREFIX_WIDTHS[n] for n, p in enumerate(pieces[1:], start=1)))
    if not valid:
        raise DomainError(_l("“%(prefix)s” is not the start of a bin code. Write e.g. A-03 for one shelf.",
                             prefix=raw.strip()), field="bin_prefix")
    return "-".join([pieces[0]] + [f"{int(p):0{_PREFIX_WIDTHS[n]}d}" for n, p in enumerate(pieces[1:], start=1)])


def _classes(raw) -> str | None:
    """["A", "b"] or "AB" → "AB"; empty → None (every class)."""
    if raw is None:
        return None
    letters = "".join(raw) if not isinstance(raw, str) else raw
    letters = letters.replace(",", "").replace(" ", "").upper()
    known = {c.value for c in AbcClass}
    if any(letter not in known for letter in letters):
        raise DomainError(_l("Choose the ABC classes to count among A, B and C."), field="classes")
    return "".join(sorted(set(letters))) or None


def _user(user_id: int | None, store_id: int) -> User | None:
    user = db.session.get(User, user_id) if user_id else None
    return user if user is not None and user.store_id == store_id else None


def _name(user_id: int | None) -> str:
    user = db.session.get(User, user_id) if user_id else None
    return user.display_name if user else _("a colleague")


def get_count(count_id: int, store_id: int) -> StockCount:
    return get_owned(StockCount, count_id, store_id, _l("No such stock count."))


def _expect(count: StockCount, expected_version) -> None:
    if expected_version in (None, ""):
        return
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        expected = -1
    if expected != count.version:
        raise StaleCount(_l("Count %(number)s changed meanwhile (it is now “%(status)s”). The page is refreshed — "
                            "check it and try again.", number=count.number, status=count.status_enum.label))


def _move(count: StockCount, to: CountStatus, actor_id: int | None) -> None:
    history.move(count, to, COUNT_TRANSITIONS, subject="count", actor_id=actor_id,
                 refusal=lambda current: _l("A count that is “%(current)s” cannot become “%(target)s”.",
                                            current=current.label, target=to.label))


def _flush_versioned(count: StockCount) -> None:
    """Flush the count's change; another session's change meanwhile is a clear Conflict."""
    number = count.number  # read now: after a failed flush the session can load nothing
    try:
        db.session.flush()
    except StaleDataError:
        raise StaleCount(_l("Count %(number)s was changed by someone else meanwhile. Reload the page and try "
                            "again.", number=number)) from None
