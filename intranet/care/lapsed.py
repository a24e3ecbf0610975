"""Lapsed customers (流失客户): retained customers (保有客户) are those seen within the store's
`lapsed_months`; the others are lapsed. Each month a win-back list is made of them, the agents
call, and a reached customer says why they stopped coming — one of the documents' seven causes —
which the statistics count. A customer who visits again after the call has come back."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from intranet import clock
from intranet.care.staff import agents
from intranet.care.models import CareEvent, LostCause, WinBackCall, WinBackStatus
from intranet.care.reminders import insert_missing, record_events
from intranet.care.service_due import add_months
from intranet.care.settings import settings_for
from intranet.core import transitions
from intranet.core.models import Customer
from intranet.core.services import get_owned
from intranet.errors import Conflict, DomainError
from intranet.extensions import db

WIN_BACK_TRANSITIONS = {
    WinBackStatus.TO_CALL: frozenset({WinBackStatus.NOT_REACHED, WinBackStatus.REACHED, WinBackStatus.WON_BACK}),
    WinBackStatus.NOT_REACHED: frozenset({WinBackStatus.REACHED, WinBackStatus.WON_BACK}),
    WinBackStatus.REACHED: frozenset({WinBackStatus.WON_BACK}),
    WinBackStatus.WON_BACK: frozenset(),
}
OPEN_STATUSES = (WinBackStatus.TO_CALL, WinBackStatus.NOT_REACHED)
REACHED_STATUSES = (WinBackStatus.REACHED, WinBackStatus.WON_BACK)
# a customer reached on a list is left alone for this many months before the next list
QUIET_MONTHS = 6
# the most a month's list holds: the most recently lapsed first (the best chance to win back)
LIST_SIZE = 200


def month_start(day: date) -> date:
    return day.replace(day=1)


def lapse_cutoff(today: date, months: int) -> date:
    """Customers last seen before this day are lapsed."""
    return add_months(today, -months)


def months_since(last: date | None, today: date) -> int | None:
    if last is None:
        return None
    months = (today.year - last.year) * 12 + today.month - last.month
    return months - 1 if today.day < last.day else months


# ---------------------------------------------------------------- the lapsed customers
@dataclass
class LapsedRow:
    customer: Customer
    months: int
    on_list: WinBackCall | None


def lapsed_customers(store_id: int, today: date, *, page: int = 1, per_page: int = 50
                     ) -> tuple[list[LapsedRow], int]:
    """Lapsed customers, the most recently lapsed first, with this month's win-back row if any.
    Three queries whatever the page size."""
    cutoff = lapse_cutoff(today, settings_for(store_id).lapsed_months)
    where = (Customer.store_id == store_id, Customer.last_visit_on.is_not(None), Customer.last_visit_on < cutoff)
    total = db.session.scalar(select(func.count()).select_from(Customer).where(*where)) or 0
    customers = list(db.session.scalars(
        select(Customer).options(selectinload(Customer.vehicles)).where(*where)
        .order_by(Customer.last_visit_on.desc(), Customer.id).offset((page - 1) * per_page).limit(per_page)))
    listed = {}
    if customers:
        listed = {c.customer_id: c for c in db.session.scalars(select(WinBackCall).where(
            WinBackCall.store_id == store_id, WinBackCall.list_month == month_start(today),
            WinBackCall.customer_id.in_([c.id for c in customers])))}
    return [LapsedRow(c, months_since(c.last_visit_on, today), listed.get(c.id)) for c in customers], total


# ---------------------------------------------------------------- the month's list
def make_win_back_list(store_id: int, today: date) -> int:
    """Put this month's lapsed customers on the month's win-back list, shared among the agents.
    Left off: those reached on a list in the last QUIET_MONTHS months and those lost for natural
    causes (moved, sold the car). Safe to rerun: the list holds each customer once. Flushes."""
    month = month_start(today)
    cutoff = lapse_cutoff(today, settings_for(store_id).lapsed_months)
    reached_recently = select(WinBackCall.customer_id).where(
        WinBackCall.store_id == store_id, WinBackCall.status.in_(REACHED_STATUSES),
        WinBackCall.list_month >= add_months(month, -QUIET_MONTHS), WinBackCall.list_month < month)
    on_list = select(WinBackCall.customer_id).where(WinBackCall.store_id == store_id, WinBackCall.list_month == month)
    room = LIST_SIZE - (db.session.scalar(select(func.count()).select_from(on_list.subquery())) or 0)
    if room <= 0:
        return 0
    candidates = db.session.execute(
        select(Customer.id, Customer.last_visit_on)
        .where(Customer.store_id == store_id, Customer.last_visit_on.is_not(None), Customer.last_visit_on < cutoff,
               Customer.lost_cause.is_(None) | (Customer.lost_cause != LostCause.NATURAL),
               Customer.id.not_in(reached_recently), Customer.id.not_in(on_list))
        .order_by(Customer.last_visit_on.desc(), Customer.id).limit(room)).all()
    ids = [a.id for a in agents(store_id)]
    counts = dict(db.session.execute(
        select(WinBackCall.agent_id, func.count()).where(
            WinBackCall.store_id == store_id, WinBackCall.list_month == month,
            WinBackCall.status.in_(OPEN_STATUSES)).group_by(WinBackCall.agent_id)).all())
    rows = []
    for customer_id, last_visit_on in candidates:
        agent_id = min(ids, key=lambda i: (counts.get(i, 0), i)) if ids else None
        if agent_id:
            counts[agent_id] = counts.get(agent_id, 0) + 1
        rows.append({"store_id": store_id, "customer_id": customer_id, "list_month": month,
                     "last_visit_on": last_visit_on, "agent_id": agent_id, "status": WinBackStatus.TO_CALL,
                     "attempts": 0})
    inserted = insert_missing(WinBackCall, rows, WinBackCall.id)
    record_events(store_id, "win_back", [r.id for r in inserted], WinBackStatus.TO_CALL)
    db.session.flush()
    return len(inserted)


def mark_won_back(store_id: int) -> int:
    """A customer on a list who visited after the list was made has come back."""
    calls = list(db.session.scalars(
        select(WinBackCall).join(Customer, Customer.id == WinBackCall.customer_id)
        .where(WinBackCall.store_id == store_id, WinBackCall.status != WinBackStatus.WON_BACK,
               Customer.last_visit_on >= WinBackCall.list_month)))
    for call in calls:
        _move(call, WinBackStatus.WON_BACK, actor_id=None)
    db.session.flush()
    return len(calls)


def _move(call: WinBackCall, to: WinBackStatus, *, actor_id: int | None, note: str | None = None) -> None:
    transitions.move(call, to, WIN_BACK_TRANSITIONS, event_model=CareEvent, subject="win_back", actor_id=actor_id,
                     note=note, refusal=lambda current: _l("This customer is already marked %(status)s.",
                                                           status=current.label))


def get_call(call_id: int, store_id: int) -> WinBackCall:
    return get_owned(WinBackCall, call_id, store_id, _l("That win-back call does not exist."))


def _will_return(value) -> bool | None:
    if value in (True, False, None):
        return value
    return {"yes": True, "1": True, "no": False, "0": False}.get(str(value).strip().lower())


def record_outcome(call_id: int, *, store_id: int, actor_id: int, reached: bool, lost_cause: str | None = None,
                   will_return=None, note: str | None = None) -> WinBackCall:
    """Not reached: counted, the customer stays on the list. Reached: the cause (one of the seven)
    is required, goes on the customer's file, and whether they will come back is noted."""
    call = get_call(call_id, store_id)
    if call.status in REACHED_STATUSES:
        raise Conflict(_l("This customer is already marked %(status)s.", status=WinBackStatus(call.status).label))
    text = (note or "").strip() or None
    now = clock.utcnow()
    if not reached:
        call.attempts += 1
        call.called_at = now
        if text:
            call.note = text
        if call.status == WinBackStatus.TO_CALL:
            _move(call, WinBackStatus.NOT_REACHED, actor_id=actor_id, note=text)
        else:  # another unanswered try
            transitions.opened(call, event_model=CareEvent, subject="win_back", actor_id=actor_id, note=text,
                               from_status=call.status)
        db.session.flush()
        return call
    try:
        cause = LostCause(lost_cause or "")
    except ValueError:
        raise DomainError(_l("Choose why the customer stopped coming (one of the seven causes)."),
                          field="lost_cause") from None
    call.attempts += 1
    call.called_at = now
    call.lost_cause = cause
    call.will_return = _will_return(will_return)
    call.note = text
    _move(call, WinBackStatus.REACHED, actor_id=actor_id, note=str(cause.label))
    call.customer.lost_cause = cause
    db.session.flush()
    return call


@dataclass
class ListRow:
    call: WinBackCall
    months: int | None


def list_rows(store_id: int, month: date, today: date, *, status: str | None = None, agent_id: int | None = None,
              ids: list[int] | None = None) -> list[ListRow]:
    """A month's win-back list: open calls first (oldest last visit last), then the answered ones."""
    stmt = (select(WinBackCall)
            .options(joinedload(WinBackCall.customer).selectinload(Customer.vehicles), joinedload(WinBackCall.agent))
            .where(WinBackCall.store_id == store_id)
            .order_by((WinBackCall.status.in_(OPEN_STATUSES)).desc(), WinBackCall.last_visit_on.desc(),
                      WinBackCall.id))
    if ids is not None:
        stmt = stmt.where(WinBackCall.id.in_(ids))
    else:
        stmt = stmt.where(WinBackCall.list_month == month)
        if status == "open":
            stmt = stmt.where(WinBackCall.status.in_(OPEN_STATUSES))
        elif status in {s.value for s in WinBackStatus}:
            stmt = stmt.where(WinBackCall.status == status)
        if agent_id is not None:
            stmt = stmt.where(WinBackCall.agent_id == agent_id)
    return [ListRow(c, months_since(c.last_visit_on, today)) for c in db.session.scalars(stmt).unique()]


# ---------------------------------------------------------------- statistics
def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass
class CauseLine:
    cause: LostCause
    count: int
    share: Decimal | None


@dataclass
class Statistics:
    first_month: date
    last_month: date
    listed: int
    called: int  # tried at least once
    reached: int  # reached, or came back after the call
    won_back: int
    will_return: int
    causes: list[CauseLine]
    with_cause: int

    @property
    def reach_rate(self) -> Decimal | None:
        return _percent(self.reached, self.listed)

    @property
    def win_back_rate(self) -> Decimal | None:
        return _percent(self.won_back, self.listed)


def statistics(store_id: int, first_month: date, last_month: date) -> Statistics:
    """The lists of months first…last: how many were called and reached, came back, and why the
    reached customers had stopped coming (count and share of each of the seven causes)."""
    where = (WinBackCall.store_id == store_id, WinBackCall.list_month >= first_month,
             WinBackCall.list_month <= last_month)
    by_status = dict(db.session.execute(select(WinBackCall.status, func.count()).where(*where)
                                        .group_by(WinBackCall.status)).all())
    by_cause = dict(db.session.execute(
        select(WinBackCall.lost_cause, func.count()).where(*where, WinBackCall.lost_cause.is_not(None))
        .group_by(WinBackCall.lost_cause)).all())
    will_return = db.session.scalar(select(func.count()).select_from(WinBackCall).where(
        *where, WinBackCall.will_return.is_(True))) or 0
    with_cause = sum(by_cause.values())
    causes = sorted((CauseLine(c, by_cause.get(c.value, 0), _percent(by_cause.get(c.value, 0), with_cause))
                     for c in LostCause), key=lambda line: -line.count)
    listed = sum(by_status.values())
    return Statistics(
        first_month=first_month, last_month=last_month, listed=listed,
        called=listed - by_status.get(WinBackStatus.TO_CALL.value, 0),
        reached=sum(by_status.get(s.value, 0) for s in REACHED_STATUSES),
        won_back=by_status.get(WinBackStatus.WON_BACK.value, 0), will_return=will_return, causes=causes,
        with_cause=with_cause)


def retained_count(store_id: int, today: date) -> tuple[int, int]:
    """(retained, lapsed) customers: seen within the store's lapsed months, or not (ever seen)."""
    cutoff = lapse_cutoff(today, settings_for(store_id).lapsed_months)
    retained, lapsed = db.session.execute(
        select(func.count().filter(Customer.last_visit_on >= cutoff), func.count().filter(Customer.last_visit_on < cutoff))
        .where(Customer.store_id == store_id, Customer.last_visit_on.is_not(None))).one()
    return retained or 0, lapsed or 0


def cause_label(value: str | None) -> str:
    return str(LostCause(value).label) if value else _("—")
