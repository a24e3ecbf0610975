"""Computing the KPIs from the rows: every KPI of a period (`compute_from_rows`) in a fixed number of
queries, and a KPI over several periods (`series_from_rows`). Pages read them through `read.py`,
which takes the past days from the daily summary when it has them. The repair-order and line figures
come from two set-based queries on indexed UTC ranges, shared within `shared_reads()`; the figures
another area already defines are taken from it."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, case, exists, func, or_, select

from intranet import clock
from intranet.care import csi
from intranet.core.billing import money
from intranet.core.models import LineKind, PayType, ROStatus, RepairOrder, RepairOrderLine, Store
from intranet.director.models import ActionStatus, CorrectiveAction, InspectionRound, RoundStatus
from intranet.extensions import db
from intranet.parts.models import MovementKind, Part, StockMovement
from intranet.reception.appointments import show_rate
from intranet.reception.models import Appointment, AppointmentStatus
from intranet.reports.kpis.definitions import CENT, KPIS, TENTH, _LINE_KPIS, _RO_KPIS, _TEAM_KPIS, Kpi, Value, kpi
from intranet.reports.kpis.store_targets import targets
from intranet.reports.periods import Period
from intranet.workshop.figures import technician_figures
from intranet.workshop.services import technicians
from intranet.workshop.models import Inspection, PartsRequest, PartsRequestStatus

# ------------------------------------------------------------------ small helpers

def _percent(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(str(part)) * 100 / Decimal(str(whole))).quantize(TENTH, rounding=ROUND_HALF_UP)


def _exact(part, whole, scale: int = 1) -> Decimal | None:
    """part ÷ whole (× scale) unrounded: what a target is judged on."""
    if not whole:
        return None
    return Decimal(str(part)) * scale / Decimal(str(whole))


def _rate(k: Kpi, part, whole, target) -> Value:
    """A percentage KPI: shown to one decimal, judged against its target unrounded."""
    return Value(k, _percent(part, whole), part, whole, target, _exact(part, whole, 100))


def _ratio(part, whole, places: Decimal = TENTH) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(str(part)) / Decimal(str(whole))).quantize(places, rounding=ROUND_HALF_UP)


def _bounds(store: Store, period: Period) -> tuple[datetime, datetime]:
    since, _ = clock.store_day_bounds_utc(period.start, store.timezone)
    _, until = clock.store_day_bounds_utc(period.end, store.timezone)
    return since, until


def _days_so_far(store: Store, period: Period) -> int:
    """Days of the period up to today (a period still running counts only its days so far)."""
    today = clock.store_today(store.timezone)
    last = min(period.end, today)
    return max((last - period.start).days + 1, 0)


def _local_day(store: Store, value: datetime | None) -> date | None:
    return clock.to_store_time(value, store.timezone).date() if value is not None else None


def shared(key, make):
    """`make()`, kept for the rest of the `shared_reads` block under `key` (outside one: made each time)."""
    cache = _shared.get()
    if cache is None:
        return make()
    if key not in cache:
        cache[key] = make()
    return cache[key]


def store_targets(store: Store) -> dict:
    """The store's targets (`store_targets.targets`), read once within `shared_reads`."""
    return shared(("targets", store.id), lambda: targets(store.id))


# ------------------------------------------------------------------ the repair orders of a span

@dataclass
class _Ro:
    id: int
    advisor_id: int | None
    opened_at: datetime
    delivered_at: datetime | None
    promised_at: datetime | None
    comeback: bool
    appointment: bool
    first_passed: bool | None  # the first final inspection's outcome; None: never inspected
    opened_day: date
    delivered_day: date | None
    labour: Decimal = Decimal("0.00")
    parts: Decimal = Decimal("0.00")
    insurance: bool = False  # a line is paid by an insurer
    by_team: dict | None = None
    by_payer: dict | None = None

    @property
    def output(self) -> Decimal:
        return self.labour + self.parts


_shared: ContextVar[dict | None] = ContextVar("kpis_shared_reads", default=None)


@contextmanager
def shared_reads():
    """Within the block, the repair orders of a span are read once however many figures,
    breakdowns and series of it are asked for — for a page or a digest that shows dozens. The
    rows are only read, never changed, so sharing them is safe; outside the block nothing is kept."""
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def _ro_rows(store: Store, since: datetime, until: datetime, *, lines: bool) -> list[_Ro]:
    cache = _shared.get()
    if cache is None:
        return _read_ro_rows(store, since, until, lines=lines)
    for key in ((store.id, since, until, lines), (store.id, since, until, True)):
        if key in cache:
            return cache[key]
    rows = cache[(store.id, since, until, lines)] = _read_ro_rows(store, since, until, lines=lines)
    return rows


def _read_ro_rows(store: Store, since: datetime, until: datetime, *, lines: bool) -> list[_Ro]:
    """The repair orders (not cancelled) opened or delivered in [since, until) — one query — and,
    with `lines`, their line amounts (one more query, the lines of those delivered in the span)."""
    first = (select(Inspection.passed).where(Inspection.repair_order_id == RepairOrder.id)
             .order_by(Inspection.attempt, Inspection.id).limit(1).correlate(RepairOrder).scalar_subquery())
    booked = exists().where(Appointment.repair_order_id == RepairOrder.id,
                            Appointment.status == AppointmentStatus.ARRIVED.value).correlate(RepairOrder)
    rows = db.session.execute(
        select(RepairOrder.id, RepairOrder.advisor_id, RepairOrder.opened_at, RepairOrder.delivered_at,
               RepairOrder.promised_at, RepairOrder.comeback_of_id.is_not(None), booked, first)
        .where(RepairOrder.store_id == store.id, RepairOrder.status != ROStatus.CANCELLED,
               or_(and_(RepairOrder.opened_at >= since, RepairOrder.opened_at < until),
                   and_(RepairOrder.delivered_at >= since, RepairOrder.delivered_at < until)))
        .order_by(RepairOrder.id)).all()
    found = {r[0]: _Ro(id=r[0], advisor_id=r[1], opened_at=r[2], delivered_at=r[3], promised_at=r[4],
                       comeback=bool(r[5]), appointment=bool(r[6]), first_passed=None if r[7] is None else bool(r[7]),
                       opened_day=_local_day(store, r[2]), delivered_day=_local_day(store, r[3]),
                       by_team={}, by_payer={})
             for r in rows}
    if lines and found:
        for ro_id, kind, team, pay_type, quantity, unit_price in db.session.execute(
                select(RepairOrderLine.repair_order_id, RepairOrderLine.kind, RepairOrderLine.team,
                       RepairOrderLine.pay_type, RepairOrderLine.quantity, RepairOrderLine.unit_price)
                .join(RepairOrder, RepairOrder.id == RepairOrderLine.repair_order_id)
                .where(RepairOrder.store_id == store.id, RepairOrder.status != ROStatus.CANCELLED,
                       RepairOrder.delivered_at >= since, RepairOrder.delivered_at < until)):
            ro = found.get(ro_id)
            if ro is None:
                continue
            # the same rounding as billing.totals: each line to the fen
            amount = money(Decimal(quantity) * Decimal(unit_price))
            if kind == LineKind.LABOUR:
                ro.labour += amount
                ro.by_team[team] = ro.by_team.get(team, Decimal("0.00")) + amount
            else:
                ro.parts += amount
            payer = ro.by_payer.setdefault(pay_type, [Decimal("0.00"), Decimal("0.00"), {}])
            payer[0 if kind == LineKind.LABOUR else 1] += amount
            if kind == LineKind.LABOUR:
                payer[2][team] = payer[2].get(team, Decimal("0.00")) + amount
            if pay_type == PayType.INSURANCE:
                ro.insurance = True
    return list(found.values())


def _in(ro: _Ro, first: date, last: date, which: str) -> bool:
    day = ro.opened_day if which == "opened" else ro.delivered_day
    return day is not None and first <= day <= last


def _ro_value(k: Kpi, rows: list[_Ro], first: date, last: date, days: int, target, *,
              pay_type: str | None = None) -> Value:
    """The KPI `k` of the repair orders `rows` over the store days [first, last]."""
    opened = [r for r in rows if _in(r, first, last, "opened")]
    delivered = [r for r in rows if _in(r, first, last, "delivered")]
    key = k.key

    def amount(ro: _Ro) -> Decimal:
        if pay_type is None:
            if key == "output_labour":
                return ro.labour
            if key == "output_parts":
                return ro.parts
            if key in _TEAM_KPIS:
                return ro.by_team.get(_TEAM_KPIS[key], Decimal("0.00"))
            return ro.output
        labour, parts, teams = ro.by_payer.get(pay_type, (Decimal("0.00"), Decimal("0.00"), {}))
        if key == "output_labour":
            return labour
        if key == "output_parts":
            return parts
        if key in _TEAM_KPIS:
            return teams.get(_TEAM_KPIS[key], Decimal("0.00"))
        return labour + parts

    if key == "cars_in":
        return Value(k, _ratio(len(opened), days), len(opened), days, target, _exact(len(opened), days))
    if key == "cars_out":
        return Value(k, _ratio(len(delivered), days), len(delivered), days, target, _exact(len(delivered), days))
    if key in ("output_value", "output_labour", "output_parts", *_TEAM_KPIS):
        total = sum((amount(r) for r in delivered), Decimal("0.00"))
        return Value(k, total, total, None, target)
    if key in ("ticket_repair", "ticket_insurance"):
        cars = [r for r in delivered if r.insurance == (key == "ticket_insurance")]
        total = sum((r.output for r in cars), Decimal("0.00"))
        return Value(k, _ratio(total, len(cars), CENT), total, len(cars), target, _exact(total, len(cars)))
    if key == "one_time_fix":
        passed = sum(1 for r in delivered if r.first_passed)
        return _rate(k, passed, len(delivered), target)
    if key == "on_time":
        promised = [r for r in delivered if r.promised_at is not None]
        on_time = sum(1 for r in promised if r.delivered_at <= r.promised_at)
        return _rate(k, on_time, len(promised), target)
    if key == "same_day":
        same = sum(1 for r in opened if r.delivered_day == r.opened_day)
        return _rate(k, same, len(opened), target)
    if key == "comeback_rate":
        comebacks = sum(1 for r in opened if r.comeback)
        return _rate(k, comebacks, len(opened), target)
    if key == "appointment_rate":
        booked = sum(1 for r in opened if r.appointment)
        return _rate(k, booked, len(opened), target)
    raise AssertionError(key)


# ------------------------------------------------------------------ the other areas' figures

def _figure_value(k: Kpi, figure, target) -> Value:
    """A care figure (care.csi.Figure): its terms, the value as the contract wants it."""
    if k.key == "csi":
        return Value(k, figure.value, Decimal(figure.numerator), figure.denominator, target,
                     _exact(figure.numerator, figure.denominator))
    return _rate(k, figure.numerator, figure.denominator, target)


def crew(store: Store) -> list:
    """The store's technicians (workshop's `technicians`, leavers included), read once within
    `shared_reads`."""
    return shared(("crew", store.id), lambda: technicians(store.id, active_only=False))


def _technicians(store: Store, period: Period):
    """Jobs done and hours of each technician: all the efficiency needs (no reworks, no comebacks)."""
    return technician_figures(store, period.start, period.end, crew=crew(store), hours_only=True)


def _efficiency(k: Kpi, sold: float, clocked: float, target) -> Value:
    sold_d = Decimal(str(sold)).quantize(CENT, rounding=ROUND_HALF_UP)
    clocked_d = Decimal(str(clocked)).quantize(CENT, rounding=ROUND_HALF_UP)
    return Value(k, _percent(sold, clocked) if clocked else None, sold_d, clocked_d, target,
                 _exact(sold, clocked, 100))


def parts_counts(store: Store, since: datetime, until: datetime) -> tuple[int, int, Decimal]:
    """As parts.figures counts them: the parts requests of [since, until) not cancelled, those served
    from stock at once, and the cost of the parts issued (less returns) — the turnover's numerator.
    One query."""
    asked = (select(func.count(), func.coalesce(func.sum(case((PartsRequest.from_stock.is_(True), 1), else_=0)), 0))
             .where(PartsRequest.store_id == store.id, PartsRequest.requested_at >= since,
                    PartsRequest.requested_at < until, PartsRequest.status != PartsRequestStatus.CANCELLED)
             .subquery())
    issued = (select(func.coalesce(func.sum(-StockMovement.quantity * StockMovement.unit_cost), 0))
              .where(StockMovement.store_id == store.id, StockMovement.at >= since, StockMovement.at < until,
                     StockMovement.kind.in_([MovementKind.ISSUE, MovementKind.RETURN])).scalar_subquery())
    requests, served, issue_cost = db.session.execute(select(*asked.c, issued)).one()
    return int(requests), int(served), Decimal(str(issue_cost))


def turnover_value(store: Store, period: Period, issue_cost: Decimal | None, target) -> Value:
    """The parts turnover of `period`: its issue cost scaled to a year over the average of the stock
    values at its two ends, valued as parts.figures values them (today's stock at today's cost, less
    what moved since). One query."""
    k = KPIS["parts_turnover"]
    since, until = _bounds(store, period)
    moved = (select(func.coalesce(func.sum(case((StockMovement.at >= since, StockMovement.quantity * Part.cost),
                                                else_=0)), 0),
                    func.coalesce(func.sum(case((StockMovement.at >= until, StockMovement.quantity * Part.cost),
                                                else_=0)), 0))
             .join(Part, Part.id == StockMovement.part_id)
             .where(StockMovement.store_id == store.id, StockMovement.at >= since).subquery())
    now = select(func.coalesce(func.sum(Part.on_hand * Part.cost), 0)).where(Part.store_id == store.id)
    value_now, later_start, later_end = db.session.execute(select(now.scalar_subquery(), *moved.c)).one()
    start_value = Decimal(value_now) - Decimal(later_start)
    end_value = Decimal(value_now) - Decimal(later_end)
    issue_cost = issue_cost or Decimal(0)
    average = (start_value + end_value) / 2
    turnover = float(issue_cost) * 365 / period.days / float(average) if average and period.days else None
    return Value(k, None if turnover is None else Decimal(str(turnover)).quantize(TENTH, ROUND_HALF_UP),
                 money(issue_cost), money(average), target)


def _parts_values(store: Store, period: Period, keys: set[str], tg: dict) -> dict[str, Value]:
    since, until = _bounds(store, period)
    requests, served, issue_cost = parts_counts(store, since, until)
    found = {}
    if "parts_fill_rate" in keys:
        found["parts_fill_rate"] = _rate(KPIS["parts_fill_rate"], served, requests, tg["parts_fill_rate"])
    if "parts_turnover" in keys:
        found["parts_turnover"] = turnover_value(store, period, issue_cost, tg["parts_turnover"])
    return found


def _round_score(store: Store, period: Period, k: Kpi, target) -> Value:
    total, count = db.session.execute(
        select(func.coalesce(func.sum(InspectionRound.score), 0), func.count(InspectionRound.score))
        .where(InspectionRound.store_id == store.id, InspectionRound.status == RoundStatus.DONE,
               InspectionRound.day >= period.start, InspectionRound.day <= period.end)).one()
    total = Decimal(str(total)).quantize(TENTH)
    return Value(k, _ratio(total, count), total, int(count), target, _exact(total, count))


def _actions_filter(store: Store, period: Period):
    _since, until = _bounds(store, period)
    at = min(until, clock.utcnow())
    is_open = and_(CorrectiveAction.store_id == store.id, CorrectiveAction.status != ActionStatus.CANCELLED,
                   CorrectiveAction.created_at < at,
                   or_(CorrectiveAction.closed_at.is_(None), CorrectiveAction.closed_at >= at))
    return is_open, at


def _actions_values(store: Store, period: Period, keys: set[str], tg: dict) -> dict[str, Value]:
    is_open, at = _actions_filter(store, period)
    opened, overdue = db.session.execute(
        select(func.count(), func.coalesce(func.sum(case((CorrectiveAction.due_at < at, 1), else_=0)), 0))
        .where(is_open)).one()
    found = {}
    for key, n in (("open_actions", int(opened)), ("overdue_actions", int(overdue))):
        if key in keys:
            found[key] = Value(KPIS[key], Decimal(n), n, None, tg[key])
    return found


# ------------------------------------------------------------------ compute

def _keys(keys) -> list[str]:
    if keys is None:
        return list(KPIS)
    wanted = [keys] if isinstance(keys, str) else list(keys)
    for key in wanted:
        kpi(key)
    return [key for key in KPIS if key in wanted]


def compute_from_rows(store: Store, period: Period, keys=None) -> dict[str, Value]:
    """All (or the given) KPIs of `period`, in display order. A fixed number of queries whatever
    the history: at most 1 (targets) + 2 (repair orders, lines) + 5 (technicians) + 1 (show rate)
    + 3 (care) + the parts figures' + 1 (rounds) + 1 (actions)."""
    wanted = _keys(keys)
    want = set(wanted)
    tg = store_targets(store)
    since, until = _bounds(store, period)
    found: dict[str, Value] = {}
    if want & _RO_KPIS:
        rows = _ro_rows(store, since, until, lines=bool(want & _LINE_KPIS))
        days = _days_so_far(store, period)
        for key in want & _RO_KPIS:
            found[key] = _ro_value(KPIS[key], rows, period.start, period.end, days, tg[key])
    if "tech_efficiency" in want:
        teams = _technicians(store, period)
        sold = sum(t.total.sold_hours for t in teams.values())
        clocked = sum(t.total.clocked_hours for t in teams.values())
        found["tech_efficiency"] = _efficiency(KPIS["tech_efficiency"], sold, clocked, tg["tech_efficiency"])
    if "show_rate" in want:
        arrived, no_show, _shown = show_rate(store.id, since, until)
        found["show_rate"] = _rate(KPIS["show_rate"], arrived, arrived + no_show, tg["show_rate"])
    if want & {"reach_rate", "complaint_rate", "csi"}:
        if "reach_rate" in want:
            found["reach_rate"] = _figure_value(KPIS["reach_rate"], csi.reach_rate(store.id, period.start, period.end),
                                                tg["reach_rate"])
        if "complaint_rate" in want:
            found["complaint_rate"] = _figure_value(KPIS["complaint_rate"],
                                                    csi.complaint_rate(store, period.start, period.end),
                                                    tg["complaint_rate"])
        if "csi" in want:
            found["csi"] = _figure_value(KPIS["csi"], csi.csi_average(store.id, period.start, period.end),
                                         tg["csi"])
    if want & {"parts_fill_rate", "parts_turnover"}:
        found.update(_parts_values(store, period, want, tg))
    if "round_score" in want:
        found["round_score"] = _round_score(store, period, KPIS["round_score"], tg["round_score"])
    if want & {"open_actions", "overdue_actions"}:
        found.update(_actions_values(store, period, want, tg))
    return {key: found[key] for key in wanted}


# ------------------------------------------------------------------ series

def series_from_rows(store: Store, key: str, periods: list[Period]) -> list[Value]:
    """One Value per period (in the order given). The repair-order KPIs read the whole span in one
    go and split it; the others are computed period by period (each a fixed number of queries)."""
    k = kpi(key)
    if not periods:
        return []
    if key in _RO_KPIS:
        tg = store_targets(store)
        first = min(p.start for p in periods)
        last = max(p.end for p in periods)
        since, until = _bounds(store, Period(first, last))
        rows = _ro_rows(store, since, until, lines=key in _LINE_KPIS)
        return [_ro_value(k, rows, p.start, p.end, _days_so_far(store, p), tg[key]) for p in periods]
    return [compute_from_rows(store, p, [key])[key] for p in periods]
