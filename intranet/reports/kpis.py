"""The management KPIs, defined once: each with its name, the formula in words (shown wherever the
number is shown), its unit, which way is better, the documents' default target (a store sets its
own: `set_target`), and what its drill-down lists.

`compute(store, period)` gives every KPI of a period in a fixed number of queries whatever the
size of the history: the repair-order and line figures come from two set-based queries on
indexed UTC ranges (`_ro_rows`, `_line_rows`); the figures another area already defines are taken
from it — the care figures (`care.csi`), the show rate (`reception.appointments.show_rate`), the
technicians' hours (`workshop.figures.technician_figures`), the parts figures (`parts.figures`).
A rate without a denominator has no value (None, "no data"), never a division by zero; money is
Decimal to the fen; percents are Decimal with one decimal."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import joinedload

from intranet import clock
from intranet.core.billing import money
from intranet.core.models import (
    LineKind,
    PayType,
    RepairOrder,
    RepairOrderLine,
    ROStatus,
    Store,
    User,
)
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.reports.models import KpiTarget
from intranet.reports.periods import Period
from intranet.reports.tables import (
    DATE,
    DATETIME,
    DECIMAL,
    INT,
    MONEY,
    PERCENT,
    TEXT,
    Column,
    Table,
)

COUNT, MONEY_UNIT, PERCENT_UNIT, HOURS, SCORE = "count", "money", "percent", "hours", "score"
HIGHER, LOWER, NONE = "higher", "lower", "none"
TENTH = Decimal("0.1")
CENT = Decimal("0.01")
BREAKDOWNS = ("advisor", "technician", "team", "pay_type")


@dataclass(frozen=True)
class Kpi:
    key: str
    name: object
    formula: object
    unit: str  # "count" | "money" | "percent" | "hours" | "score"
    better: str  # "higher" | "lower" | "none"
    default_target: Decimal | None
    drill: str | None  # "repair_orders", "calls", "complaints", "appointments", "parts_requests", "rounds",
    # "actions", "jobs", "surveys"
    breakdowns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Value:
    kpi: Kpi
    value: Decimal | None  # None: no data
    numerator: Decimal | int | None
    denominator: Decimal | int | None
    target: Decimal | None

    @property
    def has_data(self) -> bool:
        return self.value is not None

    @property
    def on_target(self) -> bool | None:
        if self.value is None or self.target is None or self.kpi.better == NONE:
            return None
        return self.value >= self.target if self.kpi.better == HIGHER else self.value <= self.target

    def change(self, previous: Value) -> Decimal | None:
        if self.value is None or previous is None or previous.value is None:
            return None
        return self.value - previous.value


def _k(key, name, formula, unit, better, target, drill, breakdowns=()) -> Kpi:
    return Kpi(key, name, formula, unit, better, None if target is None else Decimal(target), drill,
               tuple(breakdowns))


_RO_BY = ("advisor",)
_KPI_LIST = [
    # ---- throughput
    _k("cars_in", _l("Cars in per day"),
       _l("cars checked in (repair orders opened, not cancelled) ÷ days of the period so far"),
       COUNT, HIGHER, "20", "repair_orders", _RO_BY),
    _k("cars_out", _l("Cars out per day"),
       _l("cars handed back (repair orders delivered, not cancelled) ÷ days of the period so far"),
       COUNT, HIGHER, "20", "repair_orders", _RO_BY),
    # ---- output value (产值)
    _k("output_value", _l("Output value"),
       _l("labour + parts (net of VAT, every payer) on the cars delivered in the period"),
       MONEY_UNIT, HIGHER, None, "repair_orders", ("advisor", "pay_type")),
    _k("output_labour", _l("Labour output"),
       _l("labour lines (hours × rate, net of VAT) on the cars delivered in the period"),
       MONEY_UNIT, HIGHER, None, "repair_orders", ("advisor", "team", "pay_type")),
    _k("output_parts", _l("Parts output"),
       _l("part lines (quantity × price, net of VAT) on the cars delivered in the period"),
       MONEY_UNIT, HIGHER, None, "repair_orders", ("advisor", "pay_type")),
    _k("output_mechanical", _l("Mechanical output"),
       _l("labour lines of the mechanical team on the cars delivered in the period"),
       MONEY_UNIT, HIGHER, None, "repair_orders", ("advisor", "pay_type")),
    _k("output_body", _l("Body output"),
       _l("labour lines of the body team on the cars delivered in the period"),
       MONEY_UNIT, HIGHER, None, "repair_orders", ("advisor", "pay_type")),
    _k("output_paint", _l("Paint output"),
       _l("labour lines of the paint team on the cars delivered in the period"),
       MONEY_UNIT, HIGHER, None, "repair_orders", ("advisor", "pay_type")),
    _k("ticket_repair", _l("Average ticket (repair)"),
       _l("output value of the cars delivered in the period with no line paid by an insurer ÷ those cars"),
       MONEY_UNIT, HIGHER, "800", "repair_orders", _RO_BY),
    _k("ticket_insurance", _l("Average ticket (insurance)"),
       _l("output value of the cars delivered in the period with a line paid by an insurer ÷ those cars"),
       MONEY_UNIT, HIGHER, "1800", "repair_orders", _RO_BY),
    # ---- quality and time
    _k("one_time_fix", _l("One-time fix rate"),
       _l("cars delivered in the period whose first final inspection passed ÷ cars delivered in the period"),
       PERCENT_UNIT, HIGHER, None, "repair_orders", _RO_BY),
    _k("on_time", _l("On-time delivery rate"),
       _l("cars delivered in the period no later than the time promised ÷ cars delivered in the period with "
          "a promised time"),
       PERCENT_UNIT, HIGHER, None, "repair_orders", _RO_BY),
    _k("same_day", _l("Same-day delivery rate"),
       _l("cars in during the period and handed back the same day ÷ cars in during the period"),
       PERCENT_UNIT, HIGHER, None, "repair_orders", _RO_BY),
    _k("comeback_rate", _l("Comeback rate"),
       _l("repair orders opened in the period that redo an earlier visit's work ÷ repair orders opened in "
          "the period"),
       PERCENT_UNIT, LOWER, "2", "repair_orders", _RO_BY),
    _k("tech_efficiency", _l("Technician efficiency"),
       _l("hours sold on the jobs finished in the period ÷ hours the technicians clocked in the period"),
       PERCENT_UNIT, HIGHER, "100", "jobs", ("technician", "team")),
    # ---- customers
    _k("appointment_rate", _l("Appointment rate"),
       _l("cars in during the period that came with an appointment ÷ cars in during the period"),
       PERCENT_UNIT, HIGHER, None, "repair_orders", _RO_BY),
    _k("show_rate", _l("Appointment show rate"),
       _l("appointments of the period whose customer came ÷ appointments of the period that came or did not "
          "show (cancelled and still booked ones are not counted)"),
       PERCENT_UNIT, HIGHER, None, "appointments", _RO_BY),
    _k("reach_rate", _l("Follow-up reach rate"),
       _l("follow-up calls reached ÷ follow-up calls due in the period that are closed (reached + expired); "
          "a call is due in the period when its window opens in it; calls still to make and cancelled "
          "calls are not counted"),
       PERCENT_UNIT, HIGHER, None, "calls"),
    _k("complaint_rate", _l("Complaint rate"),
       _l("complaints received in the period (all, justified or not) ÷ cars delivered in the period"),
       PERCENT_UNIT, LOWER, None, "complaints"),
    _k("csi", _l("CSI"),
       _l("average of the manufacturer's survey scores with a survey date in the period = sum of the "
          "scores ÷ number of surveys"),
       SCORE, HIGHER, "93", "surveys", _RO_BY),
    # ---- parts
    _k("parts_fill_rate", _l("Parts fill rate"),
       _l("parts requests of the period served from stock at once ÷ parts requests of the period (not "
          "cancelled)"),
       PERCENT_UNIT, HIGHER, None, "parts_requests"),
    _k("parts_turnover", _l("Parts turnover"),
       _l("times a year: cost of the parts issued in the period, scaled to a year, ÷ average stock value "
          "((value at the start + value at the end) ÷ 2)"),
       COUNT, HIGHER, None, None),
    # ---- management
    _k("round_score", _l("Inspection round score"),
       _l("average score of the inspection rounds finished in the period (each round: weighted share of "
          "its items passed)"),
       PERCENT_UNIT, HIGHER, None, "rounds"),
    _k("open_actions", _l("Open actions"),
       _l("corrective actions opened and not yet closed by their owner at the end of the period (or now)"),
       COUNT, LOWER, None, "actions"),
    _k("overdue_actions", _l("Overdue actions"),
       _l("open corrective actions past their due time at the end of the period (or now)"),
       COUNT, LOWER, "0", "actions"),
]
KPIS: dict[str, Kpi] = {k.key: k for k in _KPI_LIST}

GROUPS: list[tuple[object, list[str]]] = [
    (_l("Throughput"), ["cars_in", "cars_out"]),
    (_l("Output value"), ["output_value", "output_labour", "output_parts", "output_mechanical", "output_body",
                          "output_paint", "ticket_repair", "ticket_insurance"]),
    (_l("Quality and time"), ["one_time_fix", "on_time", "same_day", "comeback_rate", "tech_efficiency"]),
    (_l("Customers"), ["appointment_rate", "show_rate", "reach_rate", "complaint_rate", "csi"]),
    (_l("Parts"), ["parts_fill_rate", "parts_turnover"]),
    (_l("Inspection rounds and actions"), ["round_score", "open_actions", "overdue_actions"]),
]

_TEAM_KPIS = {"output_mechanical": "mechanical", "output_body": "body", "output_paint": "paint"}
_RO_KPIS = {"cars_in", "cars_out", "output_value", "output_labour", "output_parts", *_TEAM_KPIS, "ticket_repair",
            "ticket_insurance", "one_time_fix", "on_time", "same_day", "comeback_rate", "appointment_rate"}
_LINE_KPIS = {"output_value", "output_labour", "output_parts", *_TEAM_KPIS, "ticket_repair", "ticket_insurance"}


def kpi(key: str) -> Kpi:
    try:
        return KPIS[key]
    except KeyError:
        raise DomainError(_l("No such figure."), field="key") from None


# ------------------------------------------------------------------ targets

def _care_csi_target(store_id: int) -> Decimal:
    """CSI's target is customer care's setting (the CSI pages show it): one value, not two."""
    from intranet.care.settings import settings_for

    return Decimal(settings_for(store_id).csi_target)


def targets(store_id: int) -> dict[str, Decimal | None]:
    """Every KPI's target: the store's own, else the documents' default; CSI's is customer care's
    setting. One query."""
    from sqlalchemy import literal, union_all

    from intranet.care.models import CareSettings

    own = dict(db.session.execute(union_all(
        select(KpiTarget.kpi_key, KpiTarget.target).where(KpiTarget.store_id == store_id,
                                                          KpiTarget.kpi_key != "csi"),
        select(literal("csi"), CareSettings.csi_target).where(CareSettings.store_id == store_id))).all())
    return {key: (Decimal(own[key]) if key in own else k.default_target) for key, k in KPIS.items()}


def target_for(store_id: int, key: str) -> Decimal | None:
    if kpi(key).key == "csi":
        return _care_csi_target(store_id)
    found = db.session.get(KpiTarget, (store_id, key))
    return Decimal(found.target) if found is not None else KPIS[key].default_target


def set_target(store_id: int, key: str, value: Decimal | None) -> None:
    """The store's own target for `key`; None goes back to the default. Flushes."""
    kpi(key)
    if key == "csi":
        from intranet.care.settings import settings_for

        settings_for(store_id).csi_target = (KPIS["csi"].default_target if value is None or
                                             (isinstance(value, str) and not value.strip())
                                             else _checked_target(value))
        db.session.flush()
        return
    found = db.session.get(KpiTarget, (store_id, key))
    if value is None or (isinstance(value, str) and not value.strip()):
        if found is not None:
            db.session.delete(found)
        db.session.flush()
        return
    number = _checked_target(value)
    if found is None:
        db.session.add(KpiTarget(store_id=store_id, kpi_key=key, target=number))
    else:
        found.target = number
    db.session.flush()


def _checked_target(value) -> Decimal:
    from intranet.core.billing import decimal_from

    number = decimal_from(value, "target")
    if number < 0:
        raise DomainError(_l("A target cannot be negative."), field="target")
    if number >= Decimal(10000000000):
        raise DomainError(_l("That target is too large."), field="target")
    return number.quantize(CENT, rounding=ROUND_HALF_UP)


# ------------------------------------------------------------------ small helpers

def _percent(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(str(part)) * 100 / Decimal(str(whole))).quantize(TENTH, rounding=ROUND_HALF_UP)


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
    from intranet.reception.models import Appointment, AppointmentStatus
    from intranet.workshop.models import Inspection

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
        return Value(k, _ratio(len(opened), days), len(opened), days, target)
    if key == "cars_out":
        return Value(k, _ratio(len(delivered), days), len(delivered), days, target)
    if key in ("output_value", "output_labour", "output_parts", *_TEAM_KPIS):
        total = sum((amount(r) for r in delivered), Decimal("0.00"))
        return Value(k, total, total, None, target)
    if key in ("ticket_repair", "ticket_insurance"):
        cars = [r for r in delivered if r.insurance == (key == "ticket_insurance")]
        total = sum((r.output for r in cars), Decimal("0.00"))
        return Value(k, _ratio(total, len(cars), CENT), total, len(cars), target)
    if key == "one_time_fix":
        passed = sum(1 for r in delivered if r.first_passed)
        return Value(k, _percent(passed, len(delivered)), passed, len(delivered), target)
    if key == "on_time":
        promised = [r for r in delivered if r.promised_at is not None]
        on_time = sum(1 for r in promised if r.delivered_at <= r.promised_at)
        return Value(k, _percent(on_time, len(promised)), on_time, len(promised), target)
    if key == "same_day":
        same = sum(1 for r in opened if r.delivered_day == r.opened_day)
        return Value(k, _percent(same, len(opened)), same, len(opened), target)
    if key == "comeback_rate":
        comebacks = sum(1 for r in opened if r.comeback)
        return Value(k, _percent(comebacks, len(opened)), comebacks, len(opened), target)
    if key == "appointment_rate":
        booked = sum(1 for r in opened if r.appointment)
        return Value(k, _percent(booked, len(opened)), booked, len(opened), target)
    raise AssertionError(key)


# ------------------------------------------------------------------ the other areas' figures

def _figure_value(k: Kpi, figure, target) -> Value:
    """A care figure (care.csi.Figure): its terms, the value as the contract wants it."""
    if k.key == "csi":
        return Value(k, figure.value, Decimal(figure.numerator), figure.denominator, target)
    return Value(k, _percent(figure.numerator, figure.denominator), figure.numerator, figure.denominator, target)


def _technicians(store: Store, period: Period):
    from intranet.workshop.figures import technician_figures

    return technician_figures(store, period.start, period.end)


def _efficiency(k: Kpi, sold: float, clocked: float, target) -> Value:
    sold_d = Decimal(str(sold)).quantize(CENT, rounding=ROUND_HALF_UP)
    clocked_d = Decimal(str(clocked)).quantize(CENT, rounding=ROUND_HALF_UP)
    return Value(k, _percent(sold, clocked) if clocked else None, sold_d, clocked_d, target)


def _parts_values(store: Store, period: Period, keys: set[str], tg: dict) -> dict[str, Value]:
    from intranet.parts.figures import figures

    f = figures(store, period.start, period.end)
    found = {}
    if "parts_fill_rate" in keys:
        k = KPIS["parts_fill_rate"]
        found[k.key] = Value(k, _percent(f.served_at_once, f.requests), f.served_at_once, f.requests, tg[k.key])
    if "parts_turnover" in keys:
        k = KPIS["parts_turnover"]
        turnover = f.turnover
        found[k.key] = Value(k, None if turnover is None else Decimal(str(turnover)).quantize(TENTH, ROUND_HALF_UP),
                             money(f.issue_cost), money(f.average_stock), tg[k.key])
    return found


def _round_score(store: Store, period: Period, k: Kpi, target) -> Value:
    from intranet.director.models import InspectionRound, RoundStatus

    total, count = db.session.execute(
        select(func.coalesce(func.sum(InspectionRound.score), 0), func.count(InspectionRound.score))
        .where(InspectionRound.store_id == store.id, InspectionRound.status == RoundStatus.DONE,
               InspectionRound.day >= period.start, InspectionRound.day <= period.end)).one()
    total = Decimal(str(total)).quantize(TENTH)
    return Value(k, _ratio(total, count), total, int(count), target)


def _actions_filter(store: Store, period: Period):
    from intranet.director.models import ActionStatus, CorrectiveAction

    _since, until = _bounds(store, period)
    at = min(until, clock.utcnow())
    is_open = and_(CorrectiveAction.store_id == store.id, CorrectiveAction.status != ActionStatus.CANCELLED,
                   CorrectiveAction.created_at < at,
                   or_(CorrectiveAction.closed_at.is_(None), CorrectiveAction.closed_at >= at))
    return is_open, at


def _actions_values(store: Store, period: Period, keys: set[str], tg: dict) -> dict[str, Value]:
    from intranet.director.models import CorrectiveAction

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


def compute(store: Store, period: Period, keys=None) -> dict[str, Value]:
    """All (or the given) KPIs of `period`, in display order. A fixed number of queries whatever
    the history: at most 1 (targets) + 2 (repair orders, lines) + 5 (technicians) + 1 (show rate)
    + 3 (care) + the parts figures' + 1 (rounds) + 1 (actions)."""
    wanted = _keys(keys)
    want = set(wanted)
    tg = targets(store.id)
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
        from intranet.reception.appointments import show_rate

        arrived, no_show, _rate = show_rate(store.id, since, until)
        found["show_rate"] = Value(KPIS["show_rate"], _percent(arrived, arrived + no_show), arrived,
                                   arrived + no_show, tg["show_rate"])
    if want & {"reach_rate", "complaint_rate", "csi"}:
        from intranet.care import csi

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

def series(store: Store, key: str, periods: list[Period]) -> list[Value]:
    """One Value per period (in the order given). The repair-order KPIs read the whole span in one
    go and split it; the others are computed period by period (each a fixed number of queries)."""
    k = kpi(key)
    if not periods:
        return []
    if key in _RO_KPIS:
        tg = targets(store.id)
        first = min(p.start for p in periods)
        last = max(p.end for p in periods)
        since, until = _bounds(store, Period(first, last))
        rows = _ro_rows(store, since, until, lines=key in _LINE_KPIS)
        return [_ro_value(k, rows, p.start, p.end, _days_so_far(store, p), tg[key]) for p in periods]
    return [compute(store, p, [key])[key] for p in periods]


# ------------------------------------------------------------------ breakdown

def _names(ids: Iterable[int]) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def breakdown(store: Store, period: Period, key: str, by: str) -> list[tuple[str, int | None, Value]]:
    """The KPI per advisor / technician / team / pay type: (label, member id or None, value).
    Members are those with data in the period; a member id is the user's id (advisor, technician),
    None for teams and pay types (the label then is the team's or payer's name)."""
    k = kpi(key)
    if by not in k.breakdowns:
        raise DomainError(_l("This figure cannot be broken down that way."), field="by")
    tg = target_for(store.id, key)
    since, until = _bounds(store, period)
    days = _days_so_far(store, period)
    if key in _RO_KPIS:
        rows = _ro_rows(store, since, until, lines=key in _LINE_KPIS)
        if by == "advisor":
            groups: dict[int | None, list[_Ro]] = defaultdict(list)
            for ro in rows:
                groups[ro.advisor_id].append(ro)
            names = _names(groups)
            found = [(names.get(a, str(_l("No advisor"))), a, _ro_value(k, rs, period.start, period.end, days, tg))
                     for a, rs in groups.items()]
            return sorted(found, key=lambda t: (t[1] is None, t[0]))
        if by == "pay_type":
            return [(str(p.label), None, _ro_value(k, rows, period.start, period.end, days, tg, pay_type=p.value))
                    for p in PayType]
        if by == "team":
            from intranet.workshop.models import Team

            return [(str(t.label), None,
                     Value(k, v := sum((r.by_team.get(t.value, Decimal("0.00")) for r in rows
                                        if _in(r, period.start, period.end, "delivered")), Decimal("0.00")),
                           v, None, tg)) for t in Team]
    if key == "tech_efficiency":
        teams = _technicians(store, period)
        if by == "team":
            return [(str(team.label), None, _efficiency(k, f.total.sold_hours, f.total.clocked_hours, tg))
                    for team, f in teams.items()]
        people = [p for f in teams.values() for p in f.people if p.jobs_done or p.clocked_hours]
        return sorted([(p.name, p.user_id, _efficiency(k, p.sold_hours, p.clocked_hours, tg)) for p in people],
                      key=lambda t: t[0])
    if key == "show_rate":
        from intranet.reception.appointments import show_rate
        from intranet.reception.models import Appointment

        advisors = db.session.scalars(select(Appointment.advisor_id).distinct().where(
            Appointment.store_id == store.id, Appointment.starts_at >= since, Appointment.starts_at < until)).all()
        names = _names(advisors)
        found = []
        for advisor_id in advisors:
            arrived, no_show, _rate = show_rate(store.id, since, until, advisor_id=advisor_id)
            if arrived + no_show:
                found.append((names.get(advisor_id, "?"), advisor_id,
                              Value(k, _percent(arrived, arrived + no_show), arrived, arrived + no_show, tg)))
        return sorted(found, key=lambda t: t[0])
    if key == "csi":
        from intranet.care.models import CsiScore

        rows = db.session.execute(
            select(CsiScore.advisor_id, func.sum(CsiScore.score), func.count())
            .where(CsiScore.store_id == store.id, CsiScore.surveyed_on >= period.start,
                   CsiScore.surveyed_on <= period.end).group_by(CsiScore.advisor_id)).all()
        names = _names(a for a, _s, _c in rows)
        found = [(names.get(a, str(_l("No advisor"))), a,
                  Value(k, _ratio(Decimal(str(s)), c), Decimal(str(s)).quantize(TENTH), int(c), tg))
                 for a, s, c in rows]
        return sorted(found, key=lambda t: (t[1] is None, t[0]))
    raise DomainError(_l("This figure cannot be broken down that way."), field="by")


# ------------------------------------------------------------------ drill-down

_RO_LINK = {"link": "reception.repair_order", "link_arg": "ro_id"}


def drill(store: Store, period: Period, key: str, *, by: str | None = None, member: str | None = None) -> Table:
    """The rows behind the number, each linking to its own page. `by`/`member` narrow to one
    member of a breakdown (an advisor's or technician's user id, a team or pay type value)."""
    k = kpi(key)
    if by is not None and by not in k.breakdowns:
        raise DomainError(_l("This figure cannot be broken down that way."), field="by")
    note = k.formula
    since, until = _bounds(store, period)
    if k.drill == "repair_orders":
        return _drill_ros(store, period, k, since, until, by, member)
    if k.drill == "jobs":
        teams = _technicians(store, period)
        rows = []
        for team, f in teams.items():
            if by == "team" and member not in (None, str(team.value)):
                continue
            for p in f.people:
                if by == "technician" and member is not None and str(p.user_id) != str(member):
                    continue
                if not (p.jobs_done or p.clocked_hours):
                    continue
                rows.append({"technician": p.name, "team": str(team.label), "jobs": p.jobs_done,
                             "sold": Decimal(str(p.sold_hours)).quantize(CENT),
                             "clocked": Decimal(str(p.clocked_hours)).quantize(CENT),
                             "efficiency": _percent(p.sold_hours, p.clocked_hours) if p.clocked_hours else None})
        return Table(k.name, [Column("technician", _l("Technician")), Column("team", _l("Team")),
                              Column("jobs", _l("Jobs done"), INT), Column("sold", _l("Hours sold"), DECIMAL),
                              Column("clocked", _l("Hours clocked"), DECIMAL),
                              Column("efficiency", _l("Efficiency"), PERCENT)], rows, note)
    if k.drill == "appointments":
        from intranet.reception.models import Appointment, AppointmentStatus

        stmt = (select(Appointment).options(joinedload(Appointment.customer), joinedload(Appointment.vehicle),
                                            joinedload(Appointment.advisor))
                .where(Appointment.store_id == store.id, Appointment.starts_at >= since,
                       Appointment.starts_at < until,
                       Appointment.status.in_([AppointmentStatus.ARRIVED.value, AppointmentStatus.NO_SHOW.value]))
                .order_by(Appointment.starts_at, Appointment.id))
        if by == "advisor" and member is not None:
            stmt = stmt.where(Appointment.advisor_id == int(member))
        rows = [{"starts_at": clock.to_store_time(a.starts_at, store.timezone).replace(tzinfo=None),
                 "customer": a.customer.name, "plate": a.vehicle.plate, "advisor": a.advisor.display_name,
                 "status": str(a.status_enum.label), "ro_id": a.repair_order_id}
                for a in db.session.scalars(stmt)]
        return Table(k.name, [Column("starts_at", _l("Appointment"), DATETIME), Column("customer", _l("Customer")),
                              Column("plate", _l("Plate")), Column("advisor", _l("Advisor")),
                              Column("status", _l("Status"))], rows, note)
    if k.drill == "calls":
        from intranet.care.models import CallStatus, FollowUpCall

        calls = db.session.scalars(
            select(FollowUpCall).options(joinedload(FollowUpCall.customer), joinedload(FollowUpCall.vehicle),
                                         joinedload(FollowUpCall.agent), joinedload(FollowUpCall.repair_order))
            .where(FollowUpCall.store_id == store.id, FollowUpCall.due_from >= period.start,
                   FollowUpCall.due_from <= period.end,
                   FollowUpCall.status.in_((CallStatus.DONE, CallStatus.EXPIRED)))
            .order_by(FollowUpCall.due_from, FollowUpCall.id))
        rows = [{"call_id": c.id, "due_from": c.due_from, "customer": c.customer.name,
                 "plate": c.vehicle.plate if c.vehicle else "", "number": c.repair_order.number,
                 "agent": c.agent.display_name if c.agent else "", "status": str(c.status_enum.label),
                 "reached_at": clock.to_store_time(c.reached_at, store.timezone).replace(tzinfo=None)
                 if c.reached_at else None} for c in calls]
        return Table(k.name, [Column("due_from", _l("Due from"), DATE, link="calls.call", link_arg="call_id"),
                              Column("customer", _l("Customer")), Column("plate", _l("Plate")),
                              Column("number", _l("Repair order")), Column("agent", _l("Care agent")),
                              Column("status", _l("Status")), Column("reached_at", _l("Reached"), DATETIME)],
                     rows, note)
    if k.drill == "complaints":
        from intranet.care.models import Complaint

        found = db.session.scalars(
            select(Complaint).options(joinedload(Complaint.customer), joinedload(Complaint.advisor))
            .where(Complaint.store_id == store.id, Complaint.received_at >= since, Complaint.received_at < until)
            .order_by(Complaint.received_at, Complaint.id))
        rows = [{"complaint_id": c.id, "number": c.number,
                 "received_at": clock.to_store_time(c.received_at, store.timezone).replace(tzinfo=None),
                 "customer": c.customer.name, "advisor": c.advisor.display_name if c.advisor else "",
                 "status": str(c.status_enum.label) if hasattr(c, "status_enum") else c.status}
                for c in found]
        return Table(k.name, [Column("number", _l("Complaint"), TEXT, link="complaints.page",
                                     link_arg="complaint_id"),
                              Column("received_at", _l("Received"), DATETIME), Column("customer", _l("Customer")),
                              Column("advisor", _l("Advisor")), Column("status", _l("Status"))], rows, note)
    if k.drill == "surveys":
        from intranet.care.models import CsiScore

        stmt = (select(CsiScore).options(joinedload(CsiScore.advisor))
                .where(CsiScore.store_id == store.id, CsiScore.surveyed_on >= period.start,
                       CsiScore.surveyed_on <= period.end).order_by(CsiScore.surveyed_on, CsiScore.id))
        if by == "advisor" and member is not None:
            stmt = stmt.where(CsiScore.advisor_id == int(member))
        rows = [{"ro_id": s.repair_order_id, "number": s.ro_number, "surveyed_on": s.surveyed_on,
                 "advisor": s.advisor.display_name if s.advisor else "", "score": s.score, "comment": s.comment or ""}
                for s in db.session.scalars(stmt)]
        return Table(k.name, [Column("number", _l("Repair order"), TEXT, **_RO_LINK),
                              Column("surveyed_on", _l("Survey date"), DATE), Column("advisor", _l("Advisor")),
                              Column("score", _l("Score"), DECIMAL), Column("comment", _l("Comment"))], rows, note)
    if k.drill == "parts_requests":
        from intranet.workshop.models import PartsRequest, PartsRequestStatus

        found = db.session.execute(
            select(PartsRequest, RepairOrder.number)
            .join(RepairOrder, RepairOrder.id == PartsRequest.repair_order_id)
            .where(PartsRequest.store_id == store.id, PartsRequest.requested_at >= since,
                   PartsRequest.requested_at < until, PartsRequest.status != PartsRequestStatus.CANCELLED)
            .order_by(PartsRequest.requested_at, PartsRequest.id)).all()
        rows = [{"ro_id": r.repair_order_id, "number": number,
                 "requested_at": clock.to_store_time(r.requested_at, store.timezone).replace(tzinfo=None),
                 "part_number": r.part_number or "", "description": r.description, "quantity": r.quantity,
                 "from_stock": str(_l("Yes")) if r.from_stock else str(_l("No"))} for r, number in found]
        return Table(k.name, [Column("number", _l("Repair order"), TEXT, **_RO_LINK),
                              Column("requested_at", _l("Requested"), DATETIME),
                              Column("part_number", _l("Part number")), Column("description", _l("Part")),
                              Column("quantity", _l("Quantity"), DECIMAL),
                              Column("from_stock", _l("Served from stock at once"))], rows, note)
    if k.drill == "rounds":
        from intranet.director.models import InspectionRound, RoundStatus

        found = db.session.scalars(
            select(InspectionRound).options(joinedload(InspectionRound.slot), joinedload(InspectionRound.started_by))
            .where(InspectionRound.store_id == store.id, InspectionRound.status == RoundStatus.DONE,
                   InspectionRound.day >= period.start, InspectionRound.day <= period.end)
            .order_by(InspectionRound.day, InspectionRound.id))
        rows = [{"round_id": r.id, "day": r.day, "slot": r.slot.name,
                 "by": r.started_by.display_name if r.started_by else "", "score": r.score} for r in found]
        return Table(k.name, [Column("day", _l("Day"), DATE, link="rounds.report", link_arg="round_id"),
                              Column("slot", _l("Round")), Column("by", _l("Walked by")),
                              Column("score", _l("Score"), PERCENT)], rows, note)
    if k.drill == "actions":
        from intranet.director.models import CorrectiveAction

        is_open, at = _actions_filter(store, period)
        stmt = (select(CorrectiveAction).options(joinedload(CorrectiveAction.owner))
                .where(is_open).order_by(CorrectiveAction.due_at, CorrectiveAction.id))
        if key == "overdue_actions":
            stmt = stmt.where(CorrectiveAction.due_at < at)
        rows = [{"action_id": a.id, "title": a.title, "owner": a.owner.display_name,
                 "due_at": clock.to_store_time(a.due_at, store.timezone).replace(tzinfo=None),
                 "status": str(a.status_enum.label)} for a in db.session.scalars(stmt)]
        return Table(k.name, [Column("title", _l("Action"), TEXT, link="actions.detail", link_arg="action_id"),
                              Column("owner", _l("Owner")), Column("due_at", _l("Due"), DATETIME),
                              Column("status", _l("Status"))], rows, note)
    return Table(k.name, [], [], note)


def _drill_ros(store: Store, period: Period, k: Kpi, since, until, by, member) -> Table:
    key = k.key
    rows = _ro_rows(store, since, until, lines=True)
    by_opened = key in ("cars_in", "same_day", "comeback_rate", "appointment_rate")
    picked = [r for r in rows if _in(r, period.start, period.end, "opened" if by_opened else "delivered")]
    if key == "ticket_repair":
        picked = [r for r in picked if not r.insurance]
    elif key == "ticket_insurance":
        picked = [r for r in picked if r.insurance]
    elif key == "on_time":
        picked = [r for r in picked if r.promised_at is not None]
    if by == "advisor" and member is not None:
        picked = [r for r in picked if str(r.advisor_id) == str(member)]
    if by == "pay_type" and member is not None:
        picked = [r for r in picked if member in r.by_payer]
    orders = {ro.id: ro for ro in db.session.scalars(
        select(RepairOrder).options(joinedload(RepairOrder.vehicle), joinedload(RepairOrder.advisor))
        .where(RepairOrder.id.in_([r.id for r in picked] or [0])))}

    def local(value):
        return clock.to_store_time(value, store.timezone).replace(tzinfo=None) if value else None

    flag_label = {"one_time_fix": _l("First inspection passed"), "on_time": _l("On time"),
                  "same_day": _l("Same day"), "comeback_rate": _l("Comeback"),
                  "appointment_rate": _l("With appointment")}.get(key)
    table_rows = []
    for r in sorted(picked, key=lambda r: (r.delivered_at if not by_opened else r.opened_at) or r.opened_at):
        ro = orders[r.id]
        flag = {"one_time_fix": r.first_passed,
                "on_time": r.promised_at is not None and r.delivered_at is not None
                and r.delivered_at <= r.promised_at,
                "same_day": r.delivered_day == r.opened_day, "comeback_rate": r.comeback,
                "appointment_rate": r.appointment}.get(key)
        row = {"ro_id": r.id, "number": ro.number, "plate": ro.vehicle.plate,
               "advisor": ro.advisor.display_name if ro.advisor else "", "opened_at": local(r.opened_at),
               "promised_at": local(r.promised_at), "delivered_at": local(r.delivered_at),
               "labour": r.labour, "parts": r.parts, "total": r.output}
        if key in _TEAM_KPIS:
            row["team_labour"] = r.by_team.get(_TEAM_KPIS[key], Decimal("0.00"))
        if flag_label is not None:
            row["flag"] = str(_l("Yes")) if flag else str(_l("No"))
        table_rows.append(row)
    columns = [Column("number", _l("Repair order"), TEXT, **_RO_LINK), Column("plate", _l("Plate")),
               Column("advisor", _l("Advisor")), Column("opened_at", _l("Checked in"), DATETIME),
               Column("promised_at", _l("Promised"), DATETIME), Column("delivered_at", _l("Delivered"), DATETIME),
               Column("labour", _l("Labour"), MONEY), Column("parts", _l("Parts"), MONEY),
               Column("total", _l("Output value"), MONEY)]
    if key in _TEAM_KPIS:
        columns.append(Column("team_labour", KPIS[key].name, MONEY))
    if flag_label is not None:
        columns.append(Column("flag", flag_label))
    return Table(k.name, columns, table_rows, k.formula)
