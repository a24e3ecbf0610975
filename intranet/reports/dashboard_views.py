"""The management dashboard: the store's KPIs for today, this week, this month or a chosen range,
against the previous period and the target, with trend lines and bars; every number drills down
to the repair orders (calls, complaints…) behind it, and every table downloads as CSV or Excel.
With more than one store in the database, the stores are compared side by side."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from intranet import clock
from intranet.auth.access import guard
from intranet.core.models import Role, Store
from intranet.errors import DomainError
from intranet.extensions import db
from intranet.reports import charts, export, kpis
from intranet.reports.chart_spec import BAR, LINE, Chart, Series
from intranet.reports.numbers import change_text, decimal_or_none, kpi_number, term_number
from intranet.reports.periods import DAY, MONTH, RANGE, WEEK, Period, day_of, month_of, period_for, week_of
from intranet.reports.tables import DECIMAL, INT, MONEY, PERCENT, TEXT, Column, Table
from intranet.web import current_store

dashboard_bp = guard(Blueprint("dashboard", __name__, url_prefix="/reports"), Role.DIRECTOR, Role.MANAGER, Role.ADMIN)
targets_bp = guard(Blueprint("kpi_targets", __name__, url_prefix="/reports/targets"), Role.DIRECTOR, Role.ADMIN)
BLUEPRINTS = [dashboard_bp, targets_bp]

PERIOD_TABS = ((DAY, _l("Today")), (WEEK, _l("This week")), (MONTH, _l("This month")), (RANGE, _l("Range")))
BREAKDOWNS = (("advisor", _l("Per advisor")), ("technician", _l("Per technician")), ("team", _l("Per team")),
              ("pay_type", _l("Per pay type")))
MEMBER_LABELS = {"advisor": _l("Advisor"), "technician": _l("Technician"), "team": _l("Team"),
                 "pay_type": _l("Pay type")}
# the trend lines a manager looks at first, when the KPI list has them (else: the first of each unit)
TREND_PREFERENCE = ("cars_in", "output_value", "one_time_fix", "on_time")
CURRENT_COLOUR, PREVIOUS_COLOUR = "#1456c8", "#9aa9c4"


# ------------------------------------------------------------------ numbers as people read them

dashboard_bp.add_app_template_global(kpi_number, "kpi_number")
dashboard_bp.add_app_template_global(term_number, "term_number")
dashboard_bp.add_app_template_global(change_text, "change_text")


def chart_unit(unit: str) -> str:
    return {"money": "¥", "percent": "%", "hours": "h"}.get(unit, "")


def cell_text(value, kind: str) -> str:
    """A report table's cell in the page (the export keeps the raw typed value)."""
    if value is None or value == "":
        return "—"
    if kind == MONEY:  # whole yuan as ¥1,832, and the fen only when there are some: ¥98.50
        amount = decimal_or_none(value)
        pattern = "#,##0" if amount == amount.to_integral_value() else "#,##0.00"
        return ("-¥" if amount < 0 else "¥") + format_decimal(abs(amount), format=pattern)
    if kind == PERCENT:
        return kpi_number(value, "percent")
    if kind == INT:
        return format_decimal(value, format="#,##0")
    if kind == DECIMAL:
        return format_decimal(decimal_or_none(value), format="#,##0.0#")
    if isinstance(value, datetime):  # the page is short (the export keeps the year)
        return value.strftime("%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dashboard_bp.app_template_global("report_cell")
def report_cell(row: dict, column: Column) -> str:
    return cell_text(row.get(column.key), column.kind)


@dashboard_bp.app_template_global("report_cell_link")
def report_cell_link(row: dict, column: Column) -> str | None:
    """The page a cell opens: the row's own link for that column (breakdowns: the member's
    drill-down), else the column's endpoint with the row's id."""
    own = (row.get("_links") or {}).get(column.key)
    if own:
        return own
    if column.link and row.get(column.link_arg or column.key) not in (None, ""):
        try:
            return url_for(column.link, **{column.link_arg or column.key: row[column.link_arg or column.key]})
        except Exception:  # an endpoint this install does not have: show the text without a link
            return None
    return None


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


def _date(text: str) -> date | None:
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None


def _today() -> date:
    return clock.store_today(current_store().timezone)


def choose_period() -> PeriodChoice:
    """?period=day|week|month|range (&start=&end=). A range the wrong way round, or without both
    days, is refused with its message; what was typed is kept for the form."""
    kind = request.args.get("period", DAY)
    kind = kind if kind in (DAY, WEEK, MONTH, RANGE) else DAY
    start_text, end_text = request.args.get("start", "").strip(), request.args.get("end", "").strip()
    today = _today()
    choice = PeriodChoice(kind, start_text, end_text)
    try:
        choice.period = period_for(kind, today, _date(start_text), _date(end_text))
    except DomainError as refused:
        choice.error = refused.message
    else:
        choice.previous = compared_with(choice.period, today)
    if kind != RANGE:
        # the range form starts from the period on screen, so "change the dates" begins somewhere sensible
        choice.start_text, choice.end_text = choice.period.start.isoformat(), choice.period.end.isoformat()
    return choice


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


def _tiles(values: dict, previous: dict, choice: PeriodChoice) -> list[tuple[object, list[Tile]]]:
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


def trend_chart(store: Store, key: str, period: Period, today: date) -> Chart:
    kpi = kpis.KPIS[key]
    points = trend_periods(period, today)
    earlier = _previous_points(points, period)
    current = kpis.series(store, key, points)
    before = kpis.series(store, key, earlier) if earlier else []
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


def bar_chart(store: Store, key: str, by: str, period: Period) -> Chart:
    kpi = kpis.KPIS[key]
    now = kpis.breakdown(store, period, key, by)
    before = {(label, member): v for label, member, v in kpis.breakdown(store, compared_with(period, _today()), key, by)}
    labels = [label for label, _member, _v in now]
    title = _("%(kpi)s · %(by)s", kpi=COUNT_TOTALS.get(key, kpi.name), by=dict(BREAKDOWNS)[by])
    return Chart(BAR, title, labels, [
        Series(_("This period"), [_chart_value(_split_value(key, v), kpi.unit) for _l_, _m, v in now], CURRENT_COLOUR),
        Series(_("Previous period"), [_chart_value(_split_value(key, before[(label, m)]), kpi.unit)
                                      if (label, m) in before else None for label, m, _v in now], PREVIOUS_COLOUR),
    ], unit=chart_unit(kpi.unit))


def _charts(store: Store, period: Period, today: date) -> tuple[list, list]:
    lines = []
    for key in _trend_keys():
        chart = trend_chart(store, key, period, today)
        lines.append((key, chart.title, charts.to_svg(chart)))
    bars = []
    for by, units, prefer in (("team", ("money",), ("output_labour",)), ("advisor", ("count",), ("cars_in", "cars_out"))):
        key = _key_with(by, units=units, prefer=prefer)
        if key:
            chart = bar_chart(store, key, by, period)
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
        table = kpis.drill(store, period, "tech_efficiency")
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


def _all_stores() -> list[Store]:
    return list(db.session.scalars(select(Store).order_by(Store.id)))


# ------------------------------------------------------------------ pages

def _period_or_refusal(template_name: str, **context):
    choice = choose_period()
    if choice.error:
        return choice, (render_template(template_name, choice=choice, tabs=PERIOD_TABS, **context), 422)
    return choice, None


def _download(table: Table, fmt: str, name: str):
    if fmt not in export.FORMATS:
        abort(404)
    return export.download(table, fmt, name)


@dashboard_bp.get("/", endpoint="index")
def dashboard():
    choice, refused = _period_or_refusal("reports/dashboard/index.html")
    if refused:
        return refused
    store, period = current_store(), choice.period
    with kpis.shared_reads():  # dozens of figures of the same few periods: their repair orders read once
        values = kpis.compute(store, period)
        previous = kpis.compute(store, choice.previous)
        lines, bars = _charts(store, period, _today())
        breakdowns = [(by, label, breakdown_table(store, period, by, choice)) for by, label in BREAKDOWNS
                      if by != "pay_type" and any(by in k.breakdowns for k in kpis.KPIS.values())]
    breakdowns = [(by, label, table) for by, label, table in breakdowns if table.columns]
    stores = _all_stores()
    group = stores_table(stores, period, choice) if len(stores) > 1 else None
    return render_template("reports/dashboard/index.html", choice=choice, tabs=PERIOD_TABS,
                           groups=_tiles(values, previous, choice), lines=lines, bars=bars, breakdowns=breakdowns,
                           group=group, store=store, units=UNIT_LABELS)


@dashboard_bp.get("/summary.<any(csv, xlsx):fmt>")
def export_summary(fmt: str):
    choice = _valid_period()
    store = current_store()
    table = summary_table(kpis.compute(store, choice.period), kpis.compute(store, choice.previous), choice)
    return _download(table, fmt, _("KPIs-%(store)s-%(period)s", store=store.name, period=choice.file_label))


@dashboard_bp.get("/breakdown/<any(advisor, technician, team, pay_type):by>.<any(csv, xlsx):fmt>")
def export_breakdown(by: str, fmt: str):
    choice = _valid_period()
    key = request.args.get("key")
    keys = [key] if key in kpis.KPIS else None
    table = breakdown_table(current_store(), choice.period, by, choice, keys)
    name = str(kpis.KPIS[key].name) if keys else _("KPIs")
    return _download(table, fmt, f"{name}-{MEMBER_LABELS[by]}-{choice.file_label}")


@dashboard_bp.get("/stores.<any(csv, xlsx):fmt>")
def export_stores(fmt: str):
    choice = _valid_period()
    table = stores_table(_all_stores(), choice.period, choice)
    return _download(table, fmt, _("Stores-%(period)s", period=choice.file_label))


def _valid_period() -> PeriodChoice:
    choice = choose_period()
    if choice.error:
        abort(422, description=str(choice.error))
    return choice


def _kpi_or_404(key: str) -> kpis.Kpi:
    kpi = kpis.KPIS.get(key)
    if kpi is None:
        abort(404)
    return kpi


def _member_filter(kpi: kpis.Kpi) -> tuple[str | None, str | None]:
    by, member = request.args.get("by") or None, request.args.get("member") or None
    if by is not None and by not in kpi.breakdowns:
        by, member = None, None
    if by in ("advisor", "technician") and member is not None and not member.isdigit():
        member = None  # a user id, or nothing
    return by, (member if by else None)


def _drill_table(store: Store, choice: PeriodChoice, kpi: kpis.Kpi, by, member) -> Table:
    if not kpi.drill:
        return Table(kpi.name, [], [], note=kpi.formula)
    return kpis.drill(store, choice.period, kpi.key, by=by, member=member)


@dashboard_bp.get("/kpi/<key>", endpoint="kpi")
def kpi_page(key: str):
    kpi = _kpi_or_404(key)
    choice, refused = _period_or_refusal("reports/dashboard/kpi.html", kpi=kpi, bar_extra={"key": key})
    if refused:
        return refused
    store = current_store()
    by, member = _member_filter(kpi)
    table = _drill_table(store, choice, kpi, by, member)
    fmt = request.args.get("format")
    if fmt:
        return _download(table, fmt, _drill_name(kpi, choice, by, member, table))
    values = kpis.compute(store, choice.period, keys=[key])
    previous = kpis.compute(store, choice.previous, keys=[key])
    split_by = by or (kpi.breakdowns[0] if kpi.breakdowns else None)
    split = breakdown_table(store, choice.period, split_by, choice, [key]) if split_by else None
    member_label = None
    if split and member is not None:
        member_label = next((r["member"] for r in split.rows if str(r.get("_member")) == member), member)
    filters = {"by": by, "member": member} if member else {}
    drill_export = {fmt: url_for(".export_kpi", key=key, fmt=fmt, **choice.args, **filters) for fmt in export.FORMATS}
    return render_template("reports/dashboard/kpi.html", choice=choice, tabs=PERIOD_TABS, kpi=kpi,
                           bar_extra={"key": key, **filters}, drill_export=drill_export,
                           show_all=request.args.get("all") == "1",
                           all_url=url_for(".kpi", key=key, all=1, **choice.args, **filters),
                           tile=Tile(kpi, values[key], previous[key], None), table=table, by=by, member=member,
                           member_label=member_label, split=split, split_by=split_by, breakdowns=BREAKDOWNS,
                           chart=charts.to_svg(trend_chart(store, key, choice.period, _today())))


def _drill_name(kpi, choice, by, member, table) -> str:
    parts = [str(kpi.name)]
    if by and member:
        parts.append(f"{MEMBER_LABELS[by]}{member}")
    parts.append(choice.file_label)
    return "-".join(parts)


@dashboard_bp.get("/kpi/<key>.<any(csv, xlsx):fmt>")
def export_kpi(key: str, fmt: str):
    kpi = _kpi_or_404(key)
    choice = _valid_period()
    by, member = _member_filter(kpi)
    table = _drill_table(current_store(), choice, kpi, by, member)
    return _download(table, fmt, _drill_name(kpi, choice, by, member, table))


# ------------------------------------------------------------------ targets

@dataclass
class TargetRow:
    kpi: kpis.Kpi
    own: Decimal | None
    typed: str
    error: object = None


def _parse_target(text: str, kpi: kpis.Kpi) -> Decimal | None:
    text = text.strip().replace(",", "").replace("，", "").rstrip("%").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise DomainError(_l("Enter a number, or leave it empty to use the default."))
    if not value.is_finite():
        raise DomainError(_l("Enter a number, or leave it empty to use the default."))
    if value < 0:
        raise DomainError(_l("A target cannot be negative."))
    if kpi.unit == "percent" and value > 100:
        raise DomainError(_l("A rate cannot be above 100 (percent)."))
    if abs(value) >= Decimal("10000000000"):
        raise DomainError(_l("That number is too large."))
    return value.quantize(Decimal("0.01"))


def _target_groups(rows: dict[str, TargetRow]) -> list[tuple[object, list[TargetRow]]]:
    groups, seen = [], set()
    for title, keys in kpis.GROUPS:
        found = [rows[k] for k in keys if k in rows and k not in seen]
        seen.update(keys)
        if found:
            groups.append((title, found))
    rest = [row for key, row in rows.items() if key not in seen]
    if rest:
        groups.append((_l("Other"), rest))
    return groups


@targets_bp.route("/", methods=["GET", "POST"], endpoint="page")
def targets_page():
    store = current_store()
    own = kpis.targets(store.id)
    defaults = {key: kpi.default_target for key, kpi in kpis.KPIS.items()}
    rows = {}
    for key, kpi in kpis.KPIS.items():
        value = own.get(key)
        is_own = value is not None and value != defaults[key]
        rows[key] = TargetRow(kpi, value if is_own else None, _plain(value) if is_own else "")
    if request.method == "GET":
        return render_template("reports/dashboard/targets.html", groups=_target_groups(rows))
    chosen, failed = {}, False
    for key, row in rows.items():
        row.typed = request.form.get(f"target-{key}", "")
        try:
            chosen[key] = _parse_target(row.typed, row.kpi)
        except DomainError as refused:
            row.error, failed = refused.message, True
    if failed:
        return render_template("reports/dashboard/targets.html", groups=_target_groups(rows),
                               error=_("Some targets were not saved: see the fields marked below.")), 422
    changed = 0
    for key, value in chosen.items():
        current = rows[key].own
        if value != current:
            kpis.set_target(store.id, key, value)
            changed += 1
    db.session.commit()
    flash(_("Targets saved.") if changed else _("Nothing changed."), "success")
    return redirect(url_for(".page"))


def _plain(value) -> str:
    if value is None:
        return ""
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
