"""The daily KPI summary: each store day before today with the terms of every summed KPI
(`terms.py`), so a figure over a month, a year or three costs two small reads whatever the history.

- **Built** by the "reports-kpi-summary" job (`build_missing`): the days not yet summarised, newest
  first, within a time budget per run; `build_days` for a chosen span (the demo, a test, a backfill).
- **Kept true by the mutations**: a session hook (`watch`) sees every flushed change to the rows a
  KPI is computed from (repair orders and their lines, inspections, appointments, jobs and clock
  spans, follow-up calls, complaints, survey scores, parts requests and stock movements, rounds, a technician's team,
  the store's time zone) and, in the same transaction, deletes the summary of each past day the
  change touches (old and new values). Today is never summarised: it is always read from the rows.
- **Summed per month** (`build_months`, by the same job) once all of a month's days are: a year
  reads twelve months' terms and the days around them.
- **Read** by `read.py`: a span whose past days are all summarised is the sum of their terms plus
  today's terms from the rows; a span with a day missing is computed from the rows, as before.
"""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, event, func, insert, inspect, literal, select, tuple_, union_all
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from intranet import clock
from intranet.care.models import Complaint, CsiScore, FollowUpCall
from intranet.core.models import RepairOrder, RepairOrderLine, Store
from intranet.director.models import InspectionRound
from intranet.extensions import db
from intranet.parts.models import StockMovement
from intranet.reception.models import Appointment
from intranet.reports.kpis.terms import Terms, span_terms
from intranet.reports.periods import month_of
from intranet.reports.models import KpiDay, KpiDayTerm, KpiMonth, KpiMonthTerm
from intranet.workshop.models import ClockSpan, Inspection, Job, PartsRequest, Technician

SCALE = 10 ** 6  # terms are kept in millionths


def _scaled(value) -> int | None:
    if value is None:
        return None
    return int((Decimal(value) * SCALE).to_integral_value())


def _unscaled(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(int(value)) / SCALE


def yesterday(store: Store) -> date:
    return clock.store_today(store.timezone) - timedelta(days=1)


# ------------------------------------------------------------------ building

def build_days(store: Store, days) -> int:
    """Summarise `days` of `store` (replacing what was there); past days only. Flushes; the caller
    commits. Returns how many days were built."""
    last = yesterday(store)
    days = sorted({d for d in days if d <= last})
    if not days:
        return 0
    db.session.execute(delete(KpiDayTerm).where(KpiDayTerm.store_id == store.id, KpiDayTerm.day.in_(days)))
    db.session.execute(delete(KpiDay).where(KpiDay.store_id == store.id, KpiDay.day.in_(days)))
    _forget_months(db.session.connection(), [(store.id, d) for d in days])
    now = clock.utcnow()
    for day in days:
        rows = [{"store_id": store.id, "day": day, "kpi_key": key, "by": by, "member": member,
                 "num": _scaled(term.num), "den": _scaled(term.den)}
                for (key, by, member), term in span_terms(store, day, day).items() if term.num or term.den]
        # a zero term is not kept (it adds nothing); the advisors of the day are (terms.PRESENT)
        if rows:
            db.session.execute(insert(KpiDayTerm), rows)
        db.session.execute(insert(KpiDay), [{"store_id": store.id, "day": day, "built_at": now}])
    db.session.flush()
    return len(days)


def first_day(store: Store) -> date | None:
    """The store's first day with a repair order (nothing before it to summarise)."""
    first = db.session.scalar(select(func.min(RepairOrder.opened_at)).where(RepairOrder.store_id == store.id))
    return clock.to_store_time(first, store.timezone).date() if first is not None else None


def missing_days(store: Store, start: date, end: date) -> list[date]:
    built = set(db.session.scalars(select(KpiDay.day).where(KpiDay.store_id == store.id, KpiDay.day >= start,
                                                             KpiDay.day <= end)))
    return [d for d in (start + timedelta(days=n) for n in range((end - start).days + 1)) if d not in built]


def build_missing(store: Store, *, budget_seconds: float = 60.0, commit_every: int = 30) -> int:
    """The job's step for one store: the days from its first repair order to yesterday not yet
    summarised, newest first (what managers read most), committed in batches, until the budget is
    spent (the next run goes on). Returns how many days were built."""
    start, end = first_day(store), yesterday(store)
    if start is None or start > end:
        return 0
    todo = sorted(missing_days(store, start, end), reverse=True)
    began, built = time.monotonic(), 0
    for n in range(0, len(todo), commit_every):
        built += build_days(store, todo[n:n + commit_every])
        db.session.commit()
        if time.monotonic() - began > budget_seconds:
            break
    build_months(store)
    db.session.commit()
    return built


def build_months(store: Store) -> int:
    """Sum each month whose days are all summarised (from the store's first repair order on, up to
    yesterday) and is not summed yet. Flushes; returns how many months were summed."""
    start, end = first_day(store), yesterday(store)
    if start is None or start > end:
        return 0
    built = set(db.session.scalars(select(KpiDay.day).where(KpiDay.store_id == store.id, KpiDay.day >= start)))
    summed = set(db.session.scalars(select(KpiMonth.month).where(KpiMonth.store_id == store.id)))
    months, day = [], start
    while day <= end:
        month = month_of(day)
        if month.end > end:
            break
        first = max(month.start, start)
        if month.start not in summed and all(first + timedelta(days=n) in built
                                             for n in range((month.end - first).days + 1)):
            months.append(month)
        day = month.end + timedelta(days=1)
    now = clock.utcnow()
    for month in months:
        db.session.execute(insert(KpiMonthTerm).from_select(
            ["store_id", "month", "kpi_key", "by", "member", "num", "den"],
            select(KpiDayTerm.store_id, literal(month.start), KpiDayTerm.kpi_key, KpiDayTerm.by, KpiDayTerm.member,
                   func.sum(KpiDayTerm.num), func.sum(KpiDayTerm.den))
            .where(KpiDayTerm.store_id == store.id, KpiDayTerm.day >= month.start, KpiDayTerm.day <= month.end)
            .group_by(KpiDayTerm.store_id, KpiDayTerm.kpi_key, KpiDayTerm.by, KpiDayTerm.member)))
        db.session.execute(insert(KpiMonth), [{"store_id": store.id, "month": month.start, "built_at": now}])
    db.session.flush()
    return len(months)


# ------------------------------------------------------------------ reading

def built_days(store: Store, start: date, end: date, first=None) -> set[date] | None:
    """The summarised days of [start, end] when every past day of it is summarised (from the
    store's first repair order on), else None."""
    last = min(end, yesterday(store))
    if start > last:
        return set()
    days = set(db.session.scalars(select(KpiDay.day).where(KpiDay.store_id == store.id, KpiDay.day >= start,
                                                            KpiDay.day <= last)))
    if len(days) == (last - start).days + 1:
        return days
    # the days before the store's first repair order have nothing to summarise (nor does the job)
    if not days:
        return None
    first = first() if first is not None else first_day(store)
    if first is not None and min(days) == first and len(days) == (last - first).days + 1:
        return days
    return None


def summed_terms(store: Store, start: date, end: date) -> Terms:
    """The terms of [start, end]'s summarised days, summed by the database: the whole months in it
    from the month sums, the other days from the days. Two queries."""
    months = [m for m in db.session.scalars(select(KpiMonth.month).where(
        KpiMonth.store_id == store.id, KpiMonth.month >= start, KpiMonth.month <= end)) if month_of(m).end <= end]
    # the days outside those months: a run before the first of them and one after the last (each its
    # own range, so each reads its stretch of the primary key)
    runs, day = [], start
    for month in sorted(months):
        if day < month:
            runs.append((day, month - timedelta(days=1)))
        day = month_of(month).end + timedelta(days=1)
    if day <= end:
        runs.append((day, end))
    parts = [select(KpiDayTerm.kpi_key, KpiDayTerm.by, KpiDayTerm.member, KpiDayTerm.num, KpiDayTerm.den)
             .where(KpiDayTerm.store_id == store.id, KpiDayTerm.day >= a, KpiDayTerm.day <= b) for a, b in runs]
    if months:
        parts.append(select(KpiMonthTerm.kpi_key, KpiMonthTerm.by, KpiMonthTerm.member, KpiMonthTerm.num,
                            KpiMonthTerm.den).where(KpiMonthTerm.store_id == store.id, KpiMonthTerm.month.in_(months)))
    terms = Terms()
    if not parts:
        return terms
    every = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
    for key, by, member, num, den in db.session.execute(
            select(every.c[0], every.c[1], every.c[2], func.sum(every.c[3]), func.sum(every.c[4]))
            .group_by(every.c[0], every.c[1], every.c[2])):
        terms.put(key, by, member, _unscaled(num), _unscaled(den))
    return terms


def daily_terms(store: Store, start: date, end: date, keys, by: str = "", member: str = "") \
        -> dict[tuple[date, str], tuple[int, int | None]]:
    """(day, key) → (numerator, denominator), in millionths, of `keys` (for the store, or one
    member) on each summarised day of [start, end] that has them. One query."""
    return {(day, key): (num, den) for day, key, num, den in db.session.execute(
        select(KpiDayTerm.day, KpiDayTerm.kpi_key, KpiDayTerm.num, KpiDayTerm.den)
        .where(KpiDayTerm.store_id == store.id, KpiDayTerm.kpi_key.in_(list(keys)), KpiDayTerm.by == by,
               KpiDayTerm.member == member, KpiDayTerm.day >= start, KpiDayTerm.day <= end))}


# ------------------------------------------------------------------ kept true by the mutations

# model → the attributes whose change moves a figure, and the attributes naming the days touched
_RO_FIELDS = ("status", "advisor_id", "opened_at", "delivered_at", "promised_at", "comeback_of_id")
_WATCHED = {
    RepairOrder: (_RO_FIELDS, ("opened_at", "delivered_at")),
    Appointment: (("status", "advisor_id", "starts_at", "repair_order_id"), ("starts_at",)),
    Job: (("status", "finished_at", "sold_hours", "technician_id"), ("finished_at",)),
    ClockSpan: (("started_at", "ended_at", "technician_id"), ("started_at",)),
    FollowUpCall: (("status", "due_from"), ("due_from",)),
    Complaint: (("received_at",), ("received_at",)),
    CsiScore: (("score", "surveyed_on", "advisor_id"), ("surveyed_on",)),
    PartsRequest: (("status", "from_stock", "requested_at"), ("requested_at",)),
    StockMovement: (("kind", "quantity", "unit_cost", "at"), ("at",)),
    InspectionRound: (("status", "score", "day"), ("day",)),
}
# rows whose figures are their repair order's: the day it was delivered (and opened, for appointments)
_OF_REPAIR_ORDER = (RepairOrderLine, Inspection)


def _values(state, name: str) -> list:
    """Every value the attribute had in this flush: the old one and the new one."""
    history = state.attrs[name].history
    return [v for v in (*history.deleted, *history.added, *history.unchanged) if v is not None]


def _day(value, tz: str) -> date | None:
    if isinstance(value, datetime):
        return clock.to_store_time(value, tz).date()
    if isinstance(value, date):
        return value
    return None


class _Zones(dict):
    """store id → time zone, from the session's own Store rows where it has them (no query)."""

    def __init__(self, session: Session):
        super().__init__()
        self.session = session

    def __missing__(self, store_id: int) -> str:
        store = self.session.identity_map.get(identity_key(Store, store_id))
        tz = store.timezone if store is not None else self.session.connection().scalar(
            select(Store.timezone).where(Store.id == store_id))
        self[store_id] = tz or "UTC"
        return self[store_id]


def _touched(session: Session, zones: _Zones) -> tuple[set[tuple[int, date]], set[int]]:
    """The (store, day) pairs the flushed changes touch, and the stores whose every day they touch."""
    days: set[tuple[int, date]] = set()
    whole_stores: set[int] = set()
    ro_ids: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        state = inspect(obj)
        created_or_gone = obj in session.new or obj in session.deleted
        if isinstance(obj, Store):
            if not created_or_gone and state.attrs["timezone"].history.has_changes():
                whole_stores.add(obj.id)
        elif isinstance(obj, Technician):  # hours are counted for a technician's team
            if created_or_gone or state.attrs["team"].history.has_changes():
                whole_stores.add(obj.store_id)
        elif isinstance(obj, _OF_REPAIR_ORDER):
            ro_ids.update(v for v in _values(state, "repair_order_id"))
        elif type(obj) in _WATCHED:
            fields, day_fields = _WATCHED[type(obj)]
            if not created_or_gone and not any(state.attrs[f].history.has_changes() for f in fields):
                continue
            if obj.store_id is None:
                continue
            for name in day_fields:
                for value in _values(state, name):
                    day = _day(value, zones[obj.store_id])
                    if day is not None:
                        days.add((obj.store_id, day))
            if isinstance(obj, Appointment):  # the repair order it brought counts as booked
                ro_ids.update(_values(state, "repair_order_id"))
    for ro_id in list(ro_ids):
        ro = session.identity_map.get(identity_key(RepairOrder, ro_id))
        if ro is not None and ro not in session.deleted:
            ro_ids.discard(ro_id)
            for value in (ro.opened_at, ro.delivered_at):
                if value is not None:
                    days.add((ro.store_id, _day(value, zones[ro.store_id])))
    if ro_ids:
        for store_id, opened, delivered in session.connection().execute(
                select(RepairOrder.store_id, RepairOrder.opened_at, RepairOrder.delivered_at)
                .where(RepairOrder.id.in_(ro_ids))):
            for value in (opened, delivered):
                if value is not None:
                    days.add((store_id, _day(value, zones[store_id])))
    return days, whole_stores


def _forget(session: Session, _flush_context) -> None:
    """After a flush: delete, in the same transaction, the summary of every past day the flushed
    changes touch. Changes to today only (nearly all of them) cost no query."""
    zones = _Zones(session)
    days, whole_stores = _touched(session, zones)
    past = sorted((store_id, day) for store_id, day in days
                  if store_id not in whole_stores and day < clock.store_today(zones[store_id]))
    if not past and not whole_stores:
        return
    connection = session.connection()
    for store_id in whole_stores:
        for table in (KpiMonthTerm, KpiMonth, KpiDayTerm, KpiDay):
            connection.execute(delete(table).where(table.store_id == store_id))
    if past:
        connection.execute(delete(KpiDayTerm).where(tuple_(KpiDayTerm.store_id, KpiDayTerm.day).in_(past)))
        connection.execute(delete(KpiDay).where(tuple_(KpiDay.store_id, KpiDay.day).in_(past)))
        _forget_months(connection, past)


def _forget_months(connection, days) -> None:
    months = sorted({(store_id, day.replace(day=1)) for store_id, day in days})
    if months:
        connection.execute(delete(KpiMonthTerm).where(tuple_(KpiMonthTerm.store_id, KpiMonthTerm.month).in_(months)))
        connection.execute(delete(KpiMonth).where(tuple_(KpiMonth.store_id, KpiMonth.month).in_(months)))


def watch() -> None:
    if not event.contains(Session, "after_flush", _forget):
        event.listen(Session, "after_flush", _forget)
