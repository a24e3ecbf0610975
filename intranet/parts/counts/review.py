"""Review, the variance report (a reason and a responsible person for each variance), the finance
sign-off of a quarterly count, and the approval that posts the adjustments to the ledger."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.core.models import User
from intranet.errors import DomainError, IllegalTransition
from intranet.extensions import db
from intranet.parts import authority, ledger
from intranet.parts.counts.rules import (
    APPROVER_ROLES, FINANCE_ROLE, OPEN_COUNT, REPORT_CLOSED, ApprovalRefused, FinanceMissing, LinesOutstanding,
    ReportClosed, _expect,
    _flush_versioned, _move, _user, get_count,
)
from intranet.parts.counts.sheets import find_line, sheet_progress
from intranet.parts.models import ZERO, CountKind, CountLine, CountStatus, MovementKind, StockCount

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


def check_report_open(count: StockCount) -> None:
    """Refuse the variance report (and explaining a variance) while the count is being counted."""
    if count.status_enum in REPORT_CLOSED:
        raise ReportClosed(_l("Count %(number)s is still being counted: its variance report opens when counting is "
                              "finished, so that second counts stay blind.", number=count.number))


def variance_report(count_id: int, store_id: int) -> VarianceReport:
    """The lines with a variance: surplus (盘盈) and loss (盘亏), in quantity and value at cost."""
    count = get_count(count_id, store_id)
    check_report_open(count)
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
    check_report_open(count)
    if count.status_enum != CountStatus.REVIEW:
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
    if not authority.may_approve(actor):
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
