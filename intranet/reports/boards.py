"""What the management dashboard shows, built from the KPIs (`kpis.py`): the period chosen and the
one it is compared with, the tiles, the trend lines and bars, and the tables (every KPI, per
member, the stores side by side), each one exportable. The views (`views/dashboard.py`) only read
the request and render these."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from intranet.core.models import Store
from intranet.extensions import db
from intranet.reports import charts, kpis
from intranet.reports.chart_spec import BAR, LINE, Chart, Series
from intranet.reports.periods import DAY, RANGE, Period, day_of, month_of, week_of
from intranet.reports.tables import DECIMAL, INT, MONEY, PERCENT, TEXT, Column, Table

BREAKDOWNS = (("advisor", _l("Per advisor")), ("technician", _l("Per technician")), ("team", _l("Per team")),
              ("pay_type", _l("Per pay type")))
MEMBER_LABELS = {"advisor": _l("Advisor"), "technician": _l("Technician"), "team": _l("Team"),
                 "pay_type": _l("Pay type")}
# the trend lines a manager looks at first, when the KPI list has them (else: the first of each unit)
TREND_PREFERENCE = ("cars_in", "output_value", "one_time_fix", "on_time")
CURRENT_COLOUR, PREVIOUS_COLOUR = "#1456c8", "#9aa9c4"


def chart_unit(unit: str) -> str:
    return {"money": "¥", "percent": "%", "hours": "h"}.get(unit, "")


# ------------------------------------------------------------------ the period asked for

@dataclass
class PeriodChoice:
    kind: str
    start_text: str
    end_text: str
    period: Period | None = None
    error: object = None
    previous: Period | None = None  # what the figures are compared with

    @property
    def previous_label(self) -> str:
        p = self.previous
        if p is None:
            return ""
        return p.start.isoformat() if p.start == p.end else f"{p.start.isoformat()} – {p.end.isoformat()}"

    @property
    def args(self) -> dict:
        """The query arguments that keep this period on the next page (links, exports)."""
        if self.kind == RANGE:
            return {"period": RANGE, "start": self.start_text, "end": self.end_text}
        return {"period": self.kind}

    @property
    def label(self) -> str:
        p = self.period
        if p is None:
            return ""
        if p.start == p.end:
            return p.start.isoformat()
        return f"{p.start.isoformat()} – {p.end.isoformat()}"

    @property
    def file_label(self) -> str:
        p = self.period
        return p.start.isoformat() if p.start == p.end else f"{p.start.isoformat()}_{p.end.isoformat()}"


def compared_with(period: Period, today: date) -> Period:
    """The previous period — cut to the same number of days when this one is still running: this
    month so far (1st–24th) is compared with the 1st–24th of last month, not the whole of it."""
    before = period.previous()
    if period.start <= today < period.end:
        return Period(before.start, min(before.end, before.start + (today - period.start)), before.kind)
    return before


def _with_period(endpoint: str, choice: PeriodChoice, **values) -> str:
    return url_for(endpoint, **choice.args, **values)

# ------------------------------------------------------------------ tiles

@dataclass
class Tile:
    kpi: kpis.Kpi
    value: kpis.Value
    previous: kpis.Value
    link: str | None

    @property
    def status(self) -> str:
        on = self.value.on_target
        return "none" if on is None else "on" if on else "off"

    @property
    def change(self):
        return self.value.change(self.previous)

    @property
    def trend(self) -> str:
        """up/down/flat and whether that is good: the arrow's colour respects `better`."""
        change = self.change
        if change is None:
            return ""
        direction = "up" if change > 0 else "down" if change < 0 else "flat"
        if direction == "flat" or self.kpi.better == "none":
            return f"{direction} neutral"
        good = (change > 0) == (self.kpi.better == "higher")
        return f"{direction} {'good' if good else 'bad'}"


def _drill_link(key: str, choice: PeriodChoice, **extra) -> str | None:
    kpi = kpis.KPIS[key]
    return _with_period("dashboard.kpi", choice, key=key, **extra) if kpi.drill else None


def tiles(values: dict, previous: dict, choice: PeriodChoice) -> list[tuple[object, list[Tile]]]:
    groups = []
    for title, keys in kpis.GROUPS:
        tiles = [Tile(kpis.KPIS[k], values[k], previous[k], _drill_link(k, choice)) for k in keys if k in values]
        if tiles:
            groups.append((title, tiles))
    return groups


# ------------------------------------------------------------------ charts

def trend_periods(period: Period, today: date) -> list[Period]:
    """The points of a trend line: the period's days (a single day: the two weeks up to it), its
    weeks for a long range, its months for a very long one — never days still to come."""
    if period.kind == DAY:
        return [day_of(period.end - timedelta(days=n)) for n in range(13, -1, -1)]
    end = min(period.end, max(today, period.start))
    if period.days <= 31:
        return [day_of(d) for d in Period(period.start, end).each_day()]
    bucket = week_of if period.days <= 26 * 7 else month_of
    points, day = [], period.start
    while day <= end:
        whole = bucket(day)
        points.append(Period(max(whole.start, period.start), min(whole.end, end), RANGE))
        day = whole.end + timedelta(days=1)
    return points


def _previous_points(points: list[Period], period: Period) -> list[Period]:
    """The same points one period earlier (a month: the previous month's same days)."""
    if period.kind == DAY:
        return [Period(p.start - timedelta(days=14), p.end - timedelta(days=14), p.kind) for p in points]
    before = period.previous()
    shift = period.start - before.start
    return [Period(p.start - shift, min(p.end - shift, before.end), p.kind) for p in points if p.start - shift <= before.end]


def _point_label(point: Period) -> str:
    if point.start == point.end:
        return point.start.strftime("%m-%d")
    if point.start.day == 1 and point.end == month_of(point.start).end:
        return point.start.strftime("%Y-%m")
    return point.start.strftime("%m-%d")


def _trend_keys() -> list[str]:
    keys = [k for k in TREND_PREFERENCE if k in kpis.KPIS]
    if len(keys) < 3:
        seen_units = {kpis.KPIS[k].unit for k in keys}
        for key, kpi in kpis.KPIS.items():
            if kpi.unit not in seen_units and key not in keys:
                keys.append(key)
                seen_units.add(kpi.unit)
    return keys[:4]


def _chart_value(value, unit: str):
    return None if value is None else float(value)


def trend_chart(store: Store, key: str, period: Period, today: date, *, by: str | None = None,
                member: str | None = None) -> Chart:
    """The KPI's trend over the period against the one before — of one member when `by`/`member`
    name one (an advisor's drill-down charts that advisor, not the store)."""
    kpi = kpis.KPIS[key]
    points = trend_periods(period, today)
    earlier = _previous_points(points, period)

    def values(periods: list[Period]) -> list:
        if not periods:
            return []
        if by and member is not None:
            return kpis.member_series(store, key, periods, by, member)
        return kpis.series(store, key, periods)

    current, before = values(points), values(earlier)
    target = next((v.target for v in current if v.target is not None), None)
    return Chart(LINE, str(kpi.name), [_point_label(p) for p in points], [
        Series(_("This period"), [_chart_value(v.value, kpi.unit) for v in current], CURRENT_COLOUR),
        Series(_("Previous period"), [_chart_value(v.value, kpi.unit) for v in before], PREVIOUS_COLOUR),
    ], unit=chart_unit(kpi.unit), target=None if target is None else float(target))


def _key_with(by: str, *, units: tuple[str, ...], prefer: tuple[str, ...]) -> str | None:
    for key in prefer:
        if key in kpis.KPIS and by in kpis.KPIS[key].breakdowns:
            return key
    return next((k for k, kpi in kpis.KPIS.items() if by in kpi.breakdowns and kpi.unit in units), None)


def bar_chart(store: Store, key: str, by: str, period: Period, today: date) -> Chart:
    kpi = kpis.KPIS[key]
    now = kpis.breakdown(store, period, key, by)
    before = {(label, member): v for label, member, v in kpis.breakdown(store, compared_with(period, today), key, by)}
    labels = [label for label, _member, _v in now]
    title = _("%(kpi)s · %(by)s", kpi=COUNT_TOTALS.get(key, kpi.name), by=dict(BREAKDOWNS)[by])
    return Chart(BAR, title, labels, [
        Series(_("This period"), [_chart_value(_split_value(key, v), kpi.unit) for _l_, _m, v in now], CURRENT_COLOUR),
        Series(_("Previous period"), [_chart_value(_split_value(key, before[(label, m)]), kpi.unit)
                                      if (label, m) in before else None for label, m, _v in now], PREVIOUS_COLOUR),
    ], unit=chart_unit(kpi.unit))


def _trend_span(period: Period, today: date) -> tuple[date, date] | None:
    points = trend_periods(period, today)
    points += _previous_points(points, period)
    return (min(p.start for p in points), max(p.end for p in points)) if points else None


def days_shown(period: Period, previous: Period, today: date) -> tuple[date, date]:
    """The first and last day the dashboard reads: the period, the one before, the trend lines."""
    span = _trend_span(period, today) or (period.start, period.end)
    return min(span[0], previous.start, period.start), max(span[1], period.end)


def board_charts(store: Store, period: Period, today: date) -> tuple[list, list]:
    keys = _trend_keys()
    span = _trend_span(period, today)
    if span:  # the four lines and their previous periods: their daily figures in one read
        kpis.prefetch(store, keys, *span)
    lines = []
    for key in keys:
        chart = trend_chart(store, key, period, today)
        lines.append((key, chart.title, charts.to_svg(chart)))
    bars = []
    for by, units, prefer in (("team", ("money",), ("output_labour",)), ("advisor", ("count",), ("cars_in", "cars_out"))):
        key = _key_with(by, units=units, prefer=prefer)
        if key:
            chart = bar_chart(store, key, by, period, today)
            bars.append((key, by, chart.title, charts.to_svg(chart)))
    return lines, bars


# ------------------------------------------------------------------ tables (each one exportable)

def _value_kind(unit: str) -> str:
    return {"money": MONEY, "percent": PERCENT, "count": DECIMAL, "hours": DECIMAL, "score": DECIMAL}.get(unit, DECIMAL)


# KPIs that are a count per day: per advisor a manager wants the cars themselves (the numerator)
COUNT_TOTALS = {"cars_in": _l("Cars in"), "cars_out": _l("Cars out")}
# the dashboard's per-member tables: the figures that matter per advisor and per team (all of them
# are on the KPI's own page); per technician: the efficiency drill-down (jobs, hours sold and clocked)
DASHBOARD_SPLITS = {
    "advisor": ("cars_in", "output_value", "ticket_repair", "one_time_fix", "on_time", "comeback_rate", "show_rate",
                "csi"),
    "team": ("output_labour", "tech_efficiency"),
}


def _split_value(key: str, value: kpis.Value):
    return value.numerator if key in COUNT_TOTALS else value.value


def breakdown_table(store: Store, period: Period, by: str, choice: PeriodChoice, keys=None) -> Table:
    """One row per advisor (technician, team, pay type), one column per KPI that can be split so."""
    if keys is None:
        keys = DASHBOARD_SPLITS.get(by, tuple(kpis.KPIS))
    keys = [k for k in keys if k in kpis.KPIS and by in kpis.KPIS[k].breakdowns]
    if by == "technician" and keys == ["tech_efficiency"] and kpis.KPIS["tech_efficiency"].drill:
        table = kpis.technicians_table(store, period)
        return Table(_("%(by)s · %(period)s", by=dict(BREAKDOWNS)[by], period=choice.label), table.columns,
                     table.rows, table.note)
    columns = [Column("member", MEMBER_LABELS[by], TEXT)]
    rows: dict = {}
    for key in keys:
        kpi = kpis.KPIS[key]
        if key in COUNT_TOTALS:
            columns.append(Column(key, COUNT_TOTALS[key], INT))
        else:
            columns.append(Column(key, kpi.name, _value_kind(kpi.unit)))
        for label, member, value in kpis.breakdown(store, period, key, by):
            row = rows.setdefault((label, member), {"member": label, "_member": member, "_links": {}})
            row[key] = _split_value(key, value)
            if member is not None and kpi.drill:
                row["_links"][key] = _with_period("dashboard.kpi", choice, key=key, by=by, member=member)
    return Table(_("%(by)s · %(period)s", by=dict(BREAKDOWNS)[by], period=choice.label), columns, list(rows.values()))


def summary_table(values: dict, previous: dict, choice: PeriodChoice) -> Table:
    """Every KPI of the period with the previous period and the target: the tiles as a table."""
    columns = [Column("group", _l("Group")), Column("kpi", _l("KPI")), Column("value", _l("This period"), DECIMAL),
               Column("previous", _l("Previous period"), DECIMAL), Column("change", _l("Change"), DECIMAL),
               Column("target", _l("Target"), DECIMAL), Column("unit", _l("Unit")),
               Column("formula", _l("Formula"))]
    rows = []
    for title, keys in kpis.GROUPS:
        for key in keys:
            if key not in values:
                continue
            kpi, v = kpis.KPIS[key], values[key]
            rows.append({"group": str(title), "kpi": str(kpi.name), "value": v.value, "previous": previous[key].value,
                         "change": v.change(previous[key]), "target": v.target, "unit": UNIT_LABELS.get(kpi.unit, ""),
                         "formula": str(kpi.formula),
                         "_links": {"kpi": _drill_link(key, choice)} if kpi.drill else {}})
    return Table(_("KPIs · %(period)s", period=choice.label), columns, rows)


UNIT_LABELS = {"count": _l("count"), "money": _l("yuan"), "percent": "%", "hours": _l("hours"), "score": _l("score")}


def stores_table(stores: list[Store], period: Period, choice: PeriodChoice) -> Table:
    """The group view: each KPI for each store, the same period, side by side."""
    values = {s.id: kpis.compute(s, period) for s in stores}
    columns = [Column("kpi", _l("KPI"))] + [Column(f"store_{s.id}", s.name, DECIMAL) for s in stores]
    rows = []
    for title, keys in kpis.GROUPS:
        for key in keys:
            kpi = kpis.KPIS[key]
            row = {"kpi": str(kpi.name), "_unit": kpi.unit, "_on": {}}
            for s in stores:
                value = values[s.id].get(key)
                row[f"store_{s.id}"] = value.value if value else None
                row["_on"][f"store_{s.id}"] = value.on_target if value else None
            rows.append(row)
    return Table(_("Stores side by side · %(period)s", period=choice.label), columns, rows)


def all_stores() -> list[Store]:
    return list(db.session.scalars(select(Store).order_by(Store.id)))
