"""Stock counts (盘点): opening a count, its sheets generated in bin-walking order by a background
job, blind entry on the tablet with a second count by someone else when a variance is worth more
than the count's recount value, the variance report with a reason and a responsible person for
each variance, the finance sign-off of a quarterly count, and the approval that posts the
adjustments to the ledger. Also the overnight job that opens the scheduled counts and checks every
part's on-hand against its ledger.

The book quantity of a line is taken when its count is entered, not when the sheet is printed: a
sale between printing and counting moves the book and the shelf alike, so it is no variance.
Functions flush; the caller (view, job, demo) commits once."""
from __future__ import annotations

import calendar
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.exc import StaleDataError

from intranet import clock
from intranet.core import notices
from intranet.core.billing import decimal_from
from intranet.core.models import Notice, Role, Store, User, UserRole
from intranet.core.services import get_owned, next_number
from intranet.errors import Conflict, DomainError, IllegalTransition, NotFound
from intranet.extensions import db
from intranet.jobs import queue
from intranet.parts import history, ledger
from intranet.parts.models import (
    ZERO, AbcClass, CountKind, CountLine, CountStatus, MovementKind, Part, StockCount,
)

# ------------------------------------------------------------------ the rules in one place

COUNT_TRANSITIONS: dict[CountStatus, frozenset[CountStatus]] = {
    CountStatus.GENERATING: frozenset({CountStatus.COUNTING, CountStatus.CANCELLED}),
    CountStatus.COUNTING: frozenset({CountStatus.REVIEW, CountStatus.CANCELLED}),
    CountStatus.REVIEW: frozenset({CountStatus.COUNTING, CountStatus.APPROVED, CountStatus.CANCELLED}),
    CountStatus.APPROVED: frozenset(),
    CountStatus.CANCELLED: frozenset(),
}
OPEN_COUNT = (CountStatus.GENERATING, CountStatus.COUNTING, CountStatus.REVIEW)
APPROVER_ROLES = (Role.PARTS, Role.DIRECTOR)
FINANCE_ROLE = Role.MANAGER
DEFAULT_RECOUNT_VALUE = Decimal("200")
SHEET_BATCH = 2000
DRIFT_NOTICE = "parts_ledger_drift"
DRIFT_LISTED = 20  # part numbers named in the notice; the rest are counted
RECENT_REPLAY = timedelta(minutes=2)  # a resent tap of the same count by the same person


class StaleCount(Conflict):
    """The count changed since the page was loaded (someone approved, reopened or cancelled it)."""


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


# ------------------------------------------------------------------ opening a count

def open_count(*, store_id: int, actor_id: int | None, kind: str, classes=None, bin_prefix: str | None = None,
               recount_value=None, scheduled_for: date | None = None) -> StockCount:
    """Open a count session in GENERATING; its sheets come from `generate_sheets` (the view or job
    enqueues "parts-count-sheets" after committing). A cycle count names ABC classes and/or a bin
    prefix; full and quarterly counts take every part."""
    try:
        kind_enum = CountKind(kind)
    except ValueError:
        raise DomainError(_l("Choose the kind of count."), field="kind") from None
    if actor_id is not None:
        actor = _user(actor_id, store_id)
        if actor is None or not actor.has_role(*APPROVER_ROLES):
            raise ApprovalRefused(_l("Counts are opened by the parts staff or the director."))
    chosen_classes, prefix = _classes(classes), normalise_bin_prefix(bin_prefix)
    if kind_enum != CountKind.CYCLE:
        chosen_classes, prefix = None, None
    elif not chosen_classes and not prefix:
        raise DomainError(_l("A cycle count needs ABC classes or a bin prefix (e.g. A-03 for one shelf)."),
                          field="classes")
    if recount_value in (None, ""):
        value = DEFAULT_RECOUNT_VALUE
    else:
        value = decimal_from(recount_value, "recount_value")
        if value is None or value < 0:
            raise DomainError(_l("The recount value cannot be negative."), field="recount_value")
    store = db.session.get(Store, store_id)
    if store is None:
        raise NotFound(_l("No such store."))
    today = clock.store_today(store.timezone)
    count = StockCount(store_id=store_id, number=f"PD-{next_number(store, 'count', today)}", kind=kind_enum,
                       status=CountStatus.GENERATING, classes=chosen_classes, bin_prefix=prefix,
                       scheduled_for=scheduled_for, recount_value=value, created_by_id=actor_id,
                       created_at=clock.utcnow())
    db.session.add(count)
    db.session.flush()
    history.opened(count, subject="count", actor_id=actor_id)
    return count


def request_sheets(count_id: int):
    """Hand the sheet generation to the worker. Call after the count is committed (the worker must
    see it); when Redis is down the job is kept and sent later (the caller commits that)."""
    return queue.enqueue("parts-count-sheets", count_id=count_id)


def _parts_of(count: StockCount):
    """The parts a count covers, in bin-walking order: bins in code order, parts without a bin last
    by number."""
    stmt = select(Part.id, Part.bin_code).where(Part.store_id == count.store_id,
                                                or_(Part.active.is_(True), Part.on_hand != 0))
    if count.classes:
        stmt = stmt.where(Part.abc_class.in_(list(count.classes)))
    if count.bin_prefix:
        stmt = stmt.where(or_(Part.bin_code == count.bin_prefix, Part.bin_code.startswith(count.bin_prefix + "-")))
    return db.session.execute(stmt.order_by(Part.bin_code.is_(None), Part.bin_code, Part.number)).all()


def generate_sheets(count_id: int, *, batch_size: int = SHEET_BATCH,
                    on_batch: Callable[[], None] | None = None) -> int:
    """Insert the count's lines in walking order, `batch_size` at a time, recording the progress on
    the count after each batch and calling `on_batch` (the job commits there, so the count page's
    progress bar moves). Idempotent: lines already there are kept, a rerun adds only what is
    missing, and a count no longer being generated is left alone. Returns the lines added."""
    count = db.session.get(StockCount, count_id)
    if count is None:
        raise NotFound(_l("No such stock count."))
    if count.status_enum != CountStatus.GENERATING:
        return 0
    parts = _parts_of(count)
    existing = set(db.session.scalars(select(CountLine.part_id).where(CountLine.count_id == count_id)))
    missing = [{"count_id": count_id, "seq": seq, "part_id": part_id, "bin_code": bin_code, "needs_second": False}
               for seq, (part_id, bin_code) in enumerate(parts, start=1) if part_id not in existing]
    total, done = len(existing) + len(missing), len(existing)

    def progress(value: int) -> None:
        db.session.execute(update(StockCount).where(StockCount.id == count_id)
                           .values(total_lines=total, generated_lines=value)
                           .execution_options(synchronize_session=False))
        if on_batch:
            on_batch()

    progress(done)
    for start in range(0, len(missing), batch_size):
        batch = missing[start:start + batch_size]
        db.session.execute(insert(CountLine), batch)  # one executemany per batch
        done += len(batch)
        progress(done)
    count = db.session.get(StockCount, count_id)
    db.session.refresh(count)
    if count.status_enum == CountStatus.GENERATING:  # not cancelled meanwhile
        _move(count, CountStatus.COUNTING, None)
        db.session.flush()
    return len(missing)


# ------------------------------------------------------------------ the sheet and its entry

@dataclass
class SheetProgress:
    total: int = 0
    counted: int = 0
    to_recount: int = 0

    @property
    def uncounted(self) -> int:
        return self.total - self.counted

    @property
    def percent(self) -> int:
        return int(self.counted * 100 / self.total) if self.total else 0


def sheet_progress(count_id: int) -> SheetProgress:
    row = db.session.execute(select(
        func.count(CountLine.id), func.count(CountLine.first_quantity),
        func.coalesce(func.sum(case((CountLine.needs_second.is_(True) & CountLine.second_quantity.is_(None), 1),
                                    else_=0)), 0),
    ).where(CountLine.count_id == count_id)).one()
    return SheetProgress(total=row[0], counted=row[1], to_recount=int(row[2]))


SHEET_FILTERS = ("all", "todo", "recount")


def sheet_lines(count_id: int, *, show: str = "all", page: int = 1, per_page: int = 100) -> tuple[list[CountLine], bool]:
    """One page of the sheet in walking order, with its parts; and whether there is a next page."""
    stmt = select(CountLine).options(joinedload(CountLine.part)).where(CountLine.count_id == count_id)
    if show == "todo":
        stmt = stmt.where(CountLine.first_quantity.is_(None))
    elif show == "recount":
        stmt = stmt.where(CountLine.needs_second.is_(True), CountLine.second_quantity.is_(None))
    rows = list(db.session.scalars(stmt.order_by(CountLine.seq, CountLine.id)
                                   .offset((max(page, 1) - 1) * per_page).limit(per_page + 1)))
    return rows[:per_page], len(rows) > per_page


def find_line(count_id: int, store_id: int, *, line_id: int | None = None, part_number: str | None = None
              ) -> CountLine:
    """The sheet line the counter picked, or whose part number they typed or scanned."""
    count = get_count(count_id, store_id)
    if line_id:
        line = db.session.get(CountLine, line_id)
        if line is None or line.count_id != count.id:
            raise NotFound(_l("This line is not on the count's sheet."))
        return line
    number = (part_number or "").strip().upper()
    if not number:
        raise DomainError(_l("Scan or type the part number."), field="part_number")
    line = db.session.scalar(select(CountLine).options(joinedload(CountLine.part)).join(Part)
                             .where(CountLine.count_id == count.id, Part.number == number))
    if line is None:
        exists = db.session.scalar(select(Part.id).where(Part.store_id == store_id, Part.number == number))
        if exists is None:
            raise DomainError(_l("There is no part %(number)s in the catalogue.", number=number), field="part_number")
        raise DomainError(_l("Part %(number)s is not on this count's sheet.", number=number), field="part_number")
    return line


def line_stage(line: CountLine) -> str | None:
    """What the line waits for: "first", "second", or None when it is counted."""
    if line.first_quantity is None:
        return "first"
    if line.needs_second and line.second_quantity is None:
        return "second"
    return None


def _count_quantity(value) -> Decimal:
    quantity = decimal_from(value, "quantity")
    if quantity is None:
        raise DomainError(_l("Enter the quantity counted (0 when the bin is empty)."), field="quantity")
    if quantity < 0:
        raise DomainError(_l("A counted quantity cannot be negative."), field="quantity")
    if quantity != quantity.quantize(Decimal("0.01")):
        raise DomainError(_l("Enter the quantity with at most two decimals."), field="quantity")
    return quantity


def enter_count(count_id: int, *, store_id: int, actor_id: int, quantity, line_id: int | None = None,
                part_number: str | None = None, stage: str | None = None) -> CountLine:
    """Record what the counter found in a bin. The book quantity is the part's on-hand now. A
    variance worth more than the recount value flags the line for a second count, which someone
    else must make; the second count then decides. `stage` is the stage the tablet showed
    ("first"/"second"): a line already past it is refused as counted twice — except the same
    person resending the same figure within two minutes (a double tap), which changes nothing."""
    count = get_count(count_id, store_id)
    line = find_line(count.id, store_id, line_id=line_id, part_number=part_number)
    counted = _count_quantity(quantity)
    if count.status_enum != CountStatus.COUNTING:
        raise IllegalTransition(_l("Count %(number)s is “%(status)s”: counts are entered only while counting.",
                                   number=count.number, status=count.status_enum.label))
    part = line.part
    now = clock.utcnow()
    current = line_stage(line)
    if stage and current != stage:
        replay_at, replay_by, replay_quantity = ((line.first_at, line.first_by_id, line.first_quantity)
                                                 if stage == "first" else
                                                 (line.second_at, line.second_by_id, line.second_quantity))
        if (replay_by == actor_id and replay_quantity is not None and Decimal(replay_quantity) == counted
                and replay_at is not None and now - replay_at <= RECENT_REPLAY):
            return line
        current = None
    if current is None:
        who = line.second_by_id if line.second_quantity is not None else line.first_by_id
        raise AlreadyCounted(_l("%(number)s (bin %(bin)s) was already counted by %(who)s. A bin is counted once; "
                                "ask the parts manager if it must be counted again.",
                                number=part.number, bin=line.bin_code or "—", who=_name(who)), field="quantity")
    if current == "second" and line.first_by_id == actor_id:
        raise SameCounter(_l("%(number)s needs a second count by someone else: you made the first count.",
                             number=part.number), field="quantity")
    book, cost = db.session.execute(select(Part.on_hand, Part.cost).where(Part.id == part.id)).one()
    if current == "first":
        line.first_quantity, line.first_book, line.first_by_id, line.first_at = counted, book, actor_id, now
        variance_value = abs((counted - Decimal(book)) * Decimal(cost or ZERO))
        line.needs_second = variance_value > Decimal(count.recount_value)
    else:
        line.second_quantity, line.second_book, line.second_by_id, line.second_at = counted, book, actor_id, now
    db.session.flush()
    return line


def next_line(count_id: int, after_seq: int, stage: str = "first") -> CountLine | None:
    """The next line in walking order still waiting for this stage of counting (wrapping round)."""
    if stage == "second":
        waiting = (CountLine.needs_second.is_(True)) & CountLine.second_quantity.is_(None)
    else:
        waiting = CountLine.first_quantity.is_(None)
    base = select(CountLine).options(joinedload(CountLine.part)).where(CountLine.count_id == count_id, waiting)
    return (db.session.scalar(base.where(CountLine.seq > after_seq).order_by(CountLine.seq).limit(1))
            or db.session.scalar(base.order_by(CountLine.seq).limit(1)))


# ------------------------------------------------------------------ review, report, approval

def submit_for_review(count_id: int, *, store_id: int, actor_id: int, expected_version=None) -> StockCount:
    """Counting is finished: every line counted and every second count made."""
    count = get_count(count_id, store_id)
    _expect(count, expected_version)
    progress = sheet_progress(count.id)
    if count.status_enum == CountStatus.COUNTING:
        if progress.uncounted:
            raise LinesOutstanding(_l("%(n)s lines are not counted yet. Count every bin (an empty bin is 0) "
                                      "before the review.", n=progress.uncounted))
        if progress.to_recount:
            raise LinesOutstanding(_l("%(n)s lines still wait for their second count.", n=progress.to_recount))
    _move(count, CountStatus.REVIEW, actor_id)
    _flush_versioned(count)
    return count


def reopen_counting(count_id: int, *, store_id: int, actor_id: int, expected_version=None) -> StockCount:
    count = get_count(count_id, store_id)
    _expect(count, expected_version)
    _move(count, CountStatus.COUNTING, actor_id)
    count.finance_by_id, count.finance_at = None, None  # finance signs what it will be approved as
    _flush_versioned(count)
    return count


def cancel_count(count_id: int, *, store_id: int, actor_id: int, expected_version=None) -> StockCount:
    count = get_count(count_id, store_id)
    _expect(count, expected_version)
    actor = _user(actor_id, store_id)
    if actor is None or not actor.has_role(*APPROVER_ROLES):
        raise ApprovalRefused(_l("Only the parts staff or the director may cancel a count."))
    _move(count, CountStatus.CANCELLED, actor_id)
    _flush_versioned(count)
    return count


def _counted():
    return func.coalesce(CountLine.second_quantity, CountLine.first_quantity)


def _book():
    return case((CountLine.second_quantity.is_not(None), CountLine.second_book), else_=CountLine.first_book)


def _variance_lines(count_id: int) -> list[CountLine]:
    return list(db.session.scalars(
        select(CountLine).options(joinedload(CountLine.part), joinedload(CountLine.responsible))
        .where(CountLine.count_id == count_id, CountLine.first_quantity.is_not(None), _counted() != _book())
        .order_by(CountLine.seq)))


@dataclass
class VarianceReport:
    count: StockCount
    lines: list[CountLine] = field(default_factory=list)
    surplus_quantity: Decimal = ZERO
    surplus_value: Decimal = ZERO
    loss_quantity: Decimal = ZERO
    loss_value: Decimal = ZERO
    lines_counted: int = 0

    @property
    def net_value(self) -> Decimal:
        return self.surplus_value - self.loss_value

    @property
    def unexplained(self) -> int:
        return sum(1 for line in self.lines if not line.reason or not line.responsible_id)


def line_value(line: CountLine) -> Decimal:
    return (line.variance * Decimal(line.part.cost or ZERO)).quantize(Decimal("0.01"))


def variance_report(count_id: int, store_id: int) -> VarianceReport:
    """The lines with a variance: surplus (盘盈) and loss (盘亏), in quantity and value at cost."""
    count = get_count(count_id, store_id)
    report = VarianceReport(count=count, lines=_variance_lines(count.id),
                            lines_counted=sheet_progress(count.id).counted)
    for line in report.lines:
        value = line_value(line)
        if line.variance > 0:
            report.surplus_quantity += line.variance
            report.surplus_value += value
        else:
            report.loss_quantity += -line.variance
            report.loss_value += -value
    return report


def explain_variance(count_id: int, line_id: int, *, store_id: int, reason: str | None,
                     responsible_id: int | None) -> CountLine:
    """Give a variance its reason and the person responsible for it."""
    count = get_count(count_id, store_id)
    if count.status_enum not in (CountStatus.COUNTING, CountStatus.REVIEW):
        raise IllegalTransition(_l("Count %(number)s is “%(status)s”: its report can no longer be changed.",
                                   number=count.number, status=count.status_enum.label))
    line = find_line(count.id, store_id, line_id=line_id)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Write the reason for the variance of %(number)s.", number=line.part.number),
                          field="reason")
    responsible = _user(responsible_id, store_id)
    if responsible is None or not responsible.active:
        raise DomainError(_l("Choose who is responsible for the variance of %(number)s.", number=line.part.number),
                          field="responsible_id")
    line.reason, line.responsible_id = reason[:200], responsible.id
    db.session.flush()
    return line


def finance_sign_off(count_id: int, *, store_id: int, actor_id: int, expected_version=None) -> StockCount:
    """Finance (a user with the management role) signs the quarterly count's report."""
    count = get_count(count_id, store_id)
    _expect(count, expected_version)
    actor = _user(actor_id, store_id)
    if actor is None or not actor.has_role(FINANCE_ROLE):
        raise ApprovalRefused(_l("Finance's sign-off is given by management."))
    if count.kind_enum != CountKind.QUARTERLY:
        raise DomainError(_l("Only a quarterly count needs finance's sign-off."))
    if count.status_enum != CountStatus.REVIEW:
        raise IllegalTransition(_l("Finance signs the report once the count is in review."))
    count.finance_by_id, count.finance_at = actor.id, clock.utcnow()
    _flush_versioned(count)
    return count


def approve_count(count_id: int, *, store_id: int, actor_id: int, expected_version=None) -> StockCount:
    """Approve the count and post every variance to the ledger as a COUNT movement, all in the
    caller's transaction. Approved by the parts staff or the director, not by whoever opened the
    count; a quarterly count needs finance's sign-off first."""
    count = get_count(count_id, store_id)
    _expect(count, expected_version)
    actor = _user(actor_id, store_id)
    if actor is None or not actor.has_role(*APPROVER_ROLES):
        raise ApprovalRefused(_l("A count is approved by the parts manager or the director."))
    if count.created_by_id == actor.id:
        raise ApprovalRefused(_l("You opened count %(number)s: someone else approves it.", number=count.number))
    if count.status_enum != CountStatus.REVIEW:
        raise IllegalTransition(_l("Count %(number)s is “%(status)s”: only a count in review can be approved.",
                                   number=count.number, status=count.status_enum.label))
    if count.kind_enum == CountKind.QUARTERLY and not count.finance_by_id:
        raise FinanceMissing(_l("A quarterly count needs finance's sign-off before it is approved."))
    lines = _variance_lines(count.id)
    unexplained = [line.part.number for line in lines if not line.reason or not line.responsible_id]
    if unexplained:
        raise DomainError(_l("%(n)s variances still need a reason and a responsible person: %(numbers)s.",
                             n=len(unexplained), numbers=", ".join(unexplained[:10])))
    _move(count, CountStatus.APPROVED, actor_id)
    count.approved_by_id, count.approved_at = actor.id, clock.utcnow()
    _flush_versioned(count)  # the version check comes before any stock moves
    for line in lines:
        ledger.post(line.part_id, line.variance, MovementKind.COUNT, store_id=store_id, actor_id=actor.id,
                    may_use_reserved=True, count_id=count.id, note=line.reason)
    return count


def list_counts(store_id: int, *, limit: int = 60) -> tuple[list[StockCount], list[StockCount]]:
    """Open counts (newest first), and the archive of approved and cancelled ones."""
    rows = list(db.session.scalars(
        select(StockCount).options(joinedload(StockCount.created_by), joinedload(StockCount.approved_by))
        .where(StockCount.store_id == store_id).order_by(StockCount.created_at.desc(), StockCount.id.desc())
        .limit(limit)))
    return ([c for c in rows if c.status_enum in OPEN_COUNT], [c for c in rows if c.status_enum not in OPEN_COUNT])


def store_people(store_id: int) -> list[User]:
    """Who may be named responsible for a variance: the store's active staff."""
    return list(db.session.scalars(select(User).where(User.store_id == store_id, User.active.is_(True))
                                   .order_by(User.display_name)))


# ------------------------------------------------------------------ overnight

def _last_day_of_month(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def open_scheduled_counts(store: Store, day: date) -> list[StockCount]:
    """Open the counts due on `day`: an A-class cycle count every Monday, the full count on the last
    day of the month. Each is opened once (unique store, kind, date): a rerun opens nothing."""
    due = []
    if day.weekday() == 0:
        due.append((CountKind.CYCLE, AbcClass.A.value))
    if _last_day_of_month(day):
        due.append((CountKind.FULL, None))
    opened = []
    for kind, classes in due:
        exists = db.session.scalar(select(StockCount.id).where(
            StockCount.store_id == store.id, StockCount.kind == kind, StockCount.scheduled_for == day))
        if exists is not None:
            continue
        try:
            with db.session.begin_nested():
                opened.append(open_count(store_id=store.id, actor_id=None, kind=kind, classes=classes,
                                         scheduled_for=day))
        except IntegrityError:  # another run opened it at the same moment
            continue
    return opened


def _drift_text(params: dict) -> str:
    numbers = ", ".join(params.get("numbers") or [])
    more = params.get("total", 0) - len(params.get("numbers") or [])
    text = _("Stock check of %(day)s: the on-hand of %(n)s parts differs from their ledger: %(numbers)s",
             day=params.get("day"), n=params.get("total"), numbers=numbers)
    return text + (_(" (and %(n)s more)", n=more) if more > 0 else "")


notices.register(DRIFT_NOTICE, _drift_text)


def report_drift(store_id: int, day: date) -> tuple[list, int]:
    """Check every part's on-hand against its ledger; tell the parts staff and the director once per
    day about the parts that drift. Returns the drifting rows and the number of notices sent."""
    drift = ledger.ledger_drift(store_id)
    if not drift:
        return drift, 0
    recipients = list(db.session.scalars(
        select(User.id).where(User.store_id == store_id, User.active.is_(True),
                              User.role_rows.any(UserRole.role.in_([str(r) for r in APPROVER_ROLES])))
        .order_by(User.id)))
    # the notice of the day, once per person: a rerun the same night finds it and says nothing
    marker = json.dumps({"day": day.isoformat()}, ensure_ascii=False)[1:-1]
    told = set(db.session.scalars(select(Notice.user_id).where(
        Notice.store_id == store_id, Notice.kind == DRIFT_NOTICE, Notice.params_json.contains(marker))))
    params = {"day": day.isoformat(), "total": len(drift), "numbers": [row[1] for row in drift[:DRIFT_LISTED]]}
    sent = notices.notify(store_id, [u for u in recipients if u not in told], DRIFT_NOTICE, params,
                          link="/parts/stock")
    return drift, len(sent)


def overnight(now=None) -> dict:
    """For every store: open the counts due today and enqueue their sheets, then check the ledger.
    Commits each store's new counts before enqueueing their sheets (the worker must find them); the
    caller (`parts.jobs.overnight_counts_job`) commits the rest."""
    summary = {"stores": 0, "opened": [], "enqueued": 0, "drifting": 0, "notices": 0}
    for store in db.session.scalars(select(Store).order_by(Store.id)).all():
        summary["stores"] += 1
        day = clock.store_today(store.timezone)
        opened = open_scheduled_counts(store, day)
        ids = [c.id for c in opened]
        summary["opened"] += [c.number for c in opened]
        db.session.commit()  # the worker must see the counts before it generates their sheets
        for count_id in ids:
            queue.enqueue("parts-count-sheets", count_id=count_id)
            summary["enqueued"] += 1
        drift, sent = report_drift(store.id, day)
        summary["drifting"] += len(drift)
        summary["notices"] += sent
    return summary
