"""The management dashboard: the store's KPIs for today, this week, this month or a chosen range,
against the previous period and the target, with trend lines and bars; every number drills down
to the repair orders (calls, complaints…) behind it, and every table downloads as CSV or Excel.
With more than one store in the database, the stores are compared side by side (blueprint
"dashboard"). What the pages show is built in `reports/boards.py`."""
from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, abort, current_app, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from intranet import clock
from intranet.auth import access
from intranet.auth.access import guard
from intranet.core.models import Role, Store
from intranet.errors import DomainError
from intranet.reports import boards, charts, export, kpis
from intranet.reports.boards import BREAKDOWNS, MEMBER_LABELS, UNIT_LABELS, PeriodChoice, Tile
from intranet.reports.numbers import change_text, decimal_or_none, format_decimal, kpi_number, term_number
from intranet.reports.periods import DAY, MONTH, RANGE, WEEK, period_for
from intranet.reports.tables import DECIMAL, INT, MONEY, PERCENT, Column, Table
from intranet.web import current_store

dashboard_bp = guard(Blueprint("dashboard", __name__, url_prefix="/reports"), Role.DIRECTOR, Role.MANAGER, Role.ADMIN)

PERIOD_TABS = ((DAY, _l("Today")), (WEEK, _l("This week")), (MONTH, _l("This month")), (RANGE, _l("Range")))


# ------------------------------------------------------------------ numbers as people read them

dashboard_bp.add_app_template_global(kpi_number, "kpi_number")
dashboard_bp.add_app_template_global(term_number, "term_number")
dashboard_bp.add_app_template_global(change_text, "change_text")


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


def _may_open(endpoint: str) -> bool:
    """Whether the reader may open `endpoint`, worked out once a request (a table asks it per row)."""
    known = g.setdefault("report_links_open", {})
    if endpoint not in known:
        known[endpoint] = endpoint not in current_app.view_functions or access.can_open(current_user, endpoint)
    return known[endpoint]


@dashboard_bp.app_template_global("report_cell_link")
def report_cell_link(row: dict, column: Column) -> str | None:
    """The page a cell opens: the row's own link for that column (breakdowns: the member's
    drill-down), else the column's endpoint with the row's id."""
    own = (row.get("_links") or {}).get(column.key)
    if own:
        return own
    if column.link and row.get(column.link_arg or column.key) not in (None, ""):
        if not _may_open(column.link):
            return None  # a page the reader may not open is not offered
        try:
            return url_for(column.link, **{column.link_arg or column.key: row[column.link_arg or column.key]})
        except Exception:  # an endpoint this install does not have: show the text without a link
            return None
    return None

# ------------------------------------------------------------------ the period asked for

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
        choice.previous = boards.compared_with(choice.period, today)
    if kind != RANGE:
        # the range form starts from the period on screen, so "change the dates" begins somewhere sensible
        choice.start_text, choice.end_text = choice.period.start.isoformat(), choice.period.end.isoformat()
    return choice


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
        kpis.read_ahead(store, *boards.days_shown(period, choice.previous, _today()))
        values = kpis.compute(store, period)
        previous = kpis.compute(store, choice.previous)
        lines, bars = boards.board_charts(store, period, _today())
        breakdowns = [(by, label, boards.breakdown_table(store, period, by, choice)) for by, label in BREAKDOWNS
                      if by != "pay_type" and any(by in k.breakdowns for k in kpis.KPIS.values())]
    breakdowns = [(by, label, table) for by, label, table in breakdowns if table.columns]
    stores = boards.all_stores()
    group = boards.stores_table(stores, period, choice) if len(stores) > 1 else None
    return render_template("reports/dashboard/index.html", choice=choice, tabs=PERIOD_TABS,
                           groups=boards.tiles(values, previous, choice), lines=lines, bars=bars, breakdowns=breakdowns,
                           group=group, store=store, units=UNIT_LABELS)


@dashboard_bp.get("/summary.<any(csv, xlsx):fmt>")
def export_summary(fmt: str):
    choice = _valid_period()
    store = current_store()
    table = boards.summary_table(kpis.compute(store, choice.period), kpis.compute(store, choice.previous), choice)
    return _download(table, fmt, _("KPIs-%(store)s-%(period)s", store=store.name, period=choice.file_label))


@dashboard_bp.get("/breakdown/<any(advisor, technician, team, pay_type):by>.<any(csv, xlsx):fmt>")
def export_breakdown(by: str, fmt: str):
    choice = _valid_period()
    key = request.args.get("key")
    keys = [key] if key in kpis.KPIS else None
    table = boards.breakdown_table(current_store(), choice.period, by, choice, keys)
    name = str(kpis.KPIS[key].name) if keys else _("KPIs")
    return _download(table, fmt, f"{name}-{MEMBER_LABELS[by]}-{choice.file_label}")


@dashboard_bp.get("/stores.<any(csv, xlsx):fmt>")
def export_stores(fmt: str):
    choice = _valid_period()
    table = boards.stores_table(boards.all_stores(), choice.period, choice)
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
    fmt = request.args.get("format")
    if fmt:
        table = _drill_table(store, choice, kpi, by, member)
        return _download(table, fmt, _drill_name(kpi, choice, by, member, table))
    with kpis.shared_reads():  # the tile, the split and the trend read the same days once
        kpis.read_ahead(store, *boards.days_shown(choice.period, choice.previous, _today()))
        return _kpi_page(store, choice, kpi, key, by, member)


def _kpi_page(store, choice, kpi, key: str, by, member):
    table = _drill_table(store, choice, kpi, by, member)
    if member is not None:  # one advisor's (technician's) figure: the tile and the chart are theirs
        value = kpis.member_value(store, choice.period, key, by, member)
        before = kpis.member_value(store, choice.previous, key, by, member)
    else:
        value = kpis.compute(store, choice.period, keys=[key])[key]
        before = kpis.compute(store, choice.previous, keys=[key])[key]
    split_by = by or (kpi.breakdowns[0] if kpi.breakdowns else None)
    split = boards.breakdown_table(store, choice.period, split_by, choice, [key]) if split_by else None
    member_label = None
    if split and member is not None:
        member_label = next((r["member"] for r in split.rows if str(r.get("_member")) == member), member)
    filters = {"by": by, "member": member} if member else {}
    drill_export = {fmt: url_for(".export_kpi", key=key, fmt=fmt, **choice.args, **filters) for fmt in export.FORMATS}
    return render_template("reports/dashboard/kpi.html", choice=choice, tabs=PERIOD_TABS, kpi=kpi,
                           bar_extra={"key": key, **filters}, drill_export=drill_export,
                           show_all=request.args.get("all") == "1",
                           all_url=url_for(".kpi", key=key, all=1, **choice.args, **filters),
                           tile=Tile(kpi, value, before, None), table=table, by=by, member=member,
                           member_label=member_label, split=split, split_by=split_by, breakdowns=BREAKDOWNS,
                           chart=charts.to_svg(boards.trend_chart(store, key, choice.period, _today(), by=by,
                                                                  member=member)))


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
