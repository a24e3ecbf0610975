"""The management digests: daily (yesterday, before the morning meeting), weekly (last week, the
Monday meeting's pack with a section per role) and monthly (last month against the month before and
its target, trends over the month's days and the last twelve months, per team and advisor).

A digest is built once per store, kind and period (a unique key: a rerun of the job returns the one
already built), kept with its subject, HTML (tables and inline CSS for Outlook, QQ Mail and Gmail;
charts as PNGs referenced by cid:) and a plain-text part with the same numbers and formulas, then
queued for mail.send_digest. Every figure comes from kpis.compute/series/breakdown or an area's own
set-based figures — a constant number of queries whatever the history."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import pgettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError

from intranet import clock
from intranet.care.complaint_figures import statistics
from intranet.care.complaints import open_complaints
from intranet.care.models import ComplaintCategory
from intranet.core.models import (
    InsurerPayment,
    PayType,
    RepairOrder,
    ROStatus,
    Store,
    User,
)
from intranet.director.day import day_bounds, pending_summary
from intranet.director.week import week_pack
from intranet.errors import DomainError, NotFound
from intranet.extensions import db
from intranet.reception.models import Finding, FindingStatus
from intranet.reports import kpis, mail
from intranet.reports.boards import COUNT_TOTALS
from intranet.reports.chart_spec import BAR, LINE, Chart, Series
from intranet.reports.numbers import change_text, kpi_number
from intranet.reports.digest_charts import to_png
from intranet.reports.models import (
    Digest,
    DigestImage,
    DigestKind,
    DigestRecipient,
    DigestStatus,
)
from intranet.reports.periods import Period, day_of, month_of, week_of
from intranet.workshop.closing import unfinished_cars
from intranet.workshop.models import Team
from intranet.workshop.promise import promise_risk

log = logging.getLogger(__name__)

HEADLINE = ("cars_in", "cars_out", "output_value", "one_time_fix", "on_time", "csi")
# the KPIs the weekly pack's role sections show (under the KPI's own name, as everywhere)
ROLE_KPIS = ("reach_rate", "complaint_rate", "round_score", "overdue_actions", "parts_fill_rate", "one_time_fix",
             "on_time", "comeback_rate")
TREND_DAYS = 14  # the daily digest's trend: the last two weeks
MONTHS_BACK = 12


# ------------------------------------------------------------------ what a digest shows

@dataclass
class Line:
    """One figure: its value now, before, the change, the target and how it is computed."""

    key: str
    name: str
    value: str
    previous: str | None = None
    change: str | None = None
    target: str | None = None
    state: str | None = None  # "good", "bad" or None (no target or no data)
    formula: str | None = None
    terms: str | None = None  # e.g. "18 / 20" for a rate


@dataclass
class Block:
    """A section: figures, a small table, a chart — any of them."""

    title: str
    lines: list[Line] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    chart: str | None = None  # cid of a DigestImage
    chart_title: str | None = None
    note: str | None = None
    role: str | None = None  # the weekly pack: whose section it is


@dataclass
class Content:
    kind: str
    store: Store
    period: Period
    compared: Period | None
    title: str
    period_text: str
    compared_text: str | None
    headline: list[Line] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    charts: list[tuple[str, Chart]] = field(default_factory=list)
    link: str | None = None


# ------------------------------------------------------------------ formatting

fmt = kpi_number  # the digests read their numbers as the dashboard does


def fmt_change(change, unit: str) -> str | None:
    return change_text(change, unit) or None


def _state(value: kpis.Value) -> str | None:
    on_target = value.on_target
    return None if on_target is None else ("good" if on_target else "bad")


def line_of(value: kpis.Value, previous: kpis.Value | None = None) -> Line:
    kpi = value.kpi
    terms = None
    if value.denominator is not None and value.numerator is not None:
        terms = f"{fmt(value.numerator, 'count')} / {fmt(value.denominator, 'count')}"
    return Line(key=kpi.key, name=str(kpi.name), value=fmt(value.value, kpi.unit),
                previous=fmt(previous.value, kpi.unit) if previous is not None else None,
                change=fmt_change(value.change(previous), kpi.unit) if previous is not None else None,
                target=fmt(value.target, kpi.unit) if value.target is not None else None,
                state=_state(value), formula=str(kpi.formula), terms=terms)


def _plain(value) -> float | None:
    return None if value is None else float(value)


def _chart_unit(unit: str) -> str:
    return {"money": "¥", "percent": "%"}.get(unit, "")


def _known(keys) -> list[str]:
    return [k for k in keys if k in kpis.KPIS]


def _period_text(period: Period) -> str:
    if period.start == period.end:
        return period.start.strftime("%Y-%m-%d") + " " + _weekday(period.start)
    if period.kind == "month":
        return _("%(year)s-%(month)02d", year=period.start.year, month=period.start.month)
    return f"{period.start:%Y-%m-%d} – {period.end:%m-%d}"


def _weekday(day: date) -> str:
    return (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))[day.weekday()]


# ------------------------------------------------------------------ building blocks

def _kpi_blocks(store: Store, period: Period, previous: Period) -> tuple[list[Line], list[Block]]:
    """The headline figures and one block per KPI group, each against the previous period and target."""
    now = kpis.compute(store, period)
    before = kpis.compute(store, previous)
    headline = [line_of(now[k], before.get(k)) for k in _known(HEADLINE) if k in now]
    blocks = []
    for title, keys in kpis.GROUPS:
        lines = [line_of(now[k], before.get(k)) for k in keys if k in now]
        if lines:
            blocks.append(Block(title=str(title), lines=lines))
    return headline, blocks


def _stores_block(period: Period) -> Block | None:
    """With more than one store configured: the headline figures of every store side by side."""
    stores = list(db.session.scalars(select(Store).order_by(Store.code)))
    if len(stores) < 2:
        return None
    keys = _known(HEADLINE)
    values = {s.id: kpis.compute(s, period, keys=keys) for s in stores}
    return Block(title=_("Stores side by side"), columns=[_("KPI"), *(s.name for s in stores)],
                 rows=[[str(kpis.KPIS[k].name), *(fmt(values[s.id][k].value, kpis.KPIS[k].unit) for s in stores)]
                       for k in keys])


def _trend_chart(content: Content, store: Store, key: str, periods: list[Period], labels: list[str],
                 title: str, *, kind: str = LINE, compare: list[Period] | None = None,
                 compare_name: str | None = None) -> Block | None:
    if key not in kpis.KPIS:
        return None
    kpi = kpis.KPIS[key]
    values = kpis.series(store, key, periods)
    series = [Series(str(kpi.name), [_plain(v.value) for v in values])]
    if compare:
        series.append(Series(compare_name or "", [_plain(v.value) for v in kpis.series(store, key, compare)]))
    target = next((v.target for v in values if v.target is not None), None)
    chart = Chart(kind=kind, title=title, labels=labels, series=series, unit=_chart_unit(kpi.unit),
                  target=_plain(target))
    return _add_chart(content, chart)


def _add_chart(content: Content, chart: Chart) -> Block:
    cid = f"chart{len(content.charts) + 1}.{content.kind}.{content.period.start:%Y%m%d}@intranet"
    content.charts.append((cid, chart))
    return Block(title=chart.title, chart=cid, chart_title=chart.title)


def _breakdown_chart(content: Content, store: Store, key: str, by: str, title: str) -> Block | None:
    kpi = kpis.KPIS.get(key)
    if kpi is None or by not in kpi.breakdowns:
        return None
    rows = [r for r in kpis.breakdown(store, content.period, key, by) if r[2].value is not None]
    if not rows:
        return None
    rows = rows[:12]
    previous = {label: v for label, _id, v in kpis.breakdown(store, content.compared, key, by)} \
        if content.compared else {}
    series = [Series(_("This period"), [_plain(v.value) for _l, _i, v in rows])]
    if previous:
        series.append(Series(_("Previous period"),
                             [_plain(previous[label].value) if label in previous else None for label, _i, _v in rows]))
    return _add_chart(content, Chart(kind=BAR, title=title, labels=[label for label, _i, _v in rows], series=series,
                                     unit=_chart_unit(kpi.unit)))


def _now_block(store: Store, now: datetime) -> list[Block]:
    """How things stand this morning: cars on site and late, open complaints, pending parts."""
    today = clock.store_today(store.timezone)
    cars = unfinished_cars(store, today)
    risk = promise_risk([c.ro for c in cars], now)
    late = [c for c in cars if risk.get(c.ro.id) == "late"]
    complaints = open_complaints(store.id, now, limit=5)
    pending = pending_summary(store.id, today)
    lines = [
        Line("on_site", _("Cars on site"), str(len(cars)), formula=_("Repair orders open now, not yet handed back")),
        Line("late", _("Cars past their promised time"), str(len(late)), state="bad" if late else "good",
             formula=_("Open repair orders whose promised time has passed")),
        Line("complaints_open", _("Open complaints"), str(complaints["total"]),
             state="bad" if complaints["late"] else None,
             formula=_("%(late)s with a step past its time limit", late=complaints["late"])),
        Line("pending_parts", _("Parts awaited"), str(len(pending.open)), state="bad" if pending.overdue else None,
             formula=_("%(overdue)s overdue; %(cars)s cars waiting for them", overdue=len(pending.overdue),
                       cars=pending.cars_waiting)),
    ]
    blocks = [Block(title=_("This morning"), lines=lines)]
    if late:
        blocks.append(Block(title=_("Late cars"), columns=[_("RO"), _("Plate"), _("Advisor"), _("Promised")],
                            rows=[[c.ro.number, c.ro.vehicle.plate, c.ro.advisor.display_name if c.ro.advisor else "—",
                                   clock.to_store_time(c.ro.promised_at, store.timezone).strftime("%m-%d %H:%M")]
                                  for c in late[:10]]))
    if complaints["items"]:
        blocks.append(Block(title=_("Open complaints"), columns=[_("No."), _("Customer"), _("Step"), pgettext("deadline", "Due")],
                            rows=[[i["number"], i["customer"], str(i["step"]),
                                   (clock.to_store_time(i["due_at"], store.timezone).strftime("%m-%d %H:%M")
                                    if i["due_at"] else "—") + (" ⚠" if i["late"] else "")]
                                  for i in complaints["items"]]))
    return blocks


def _money(value) -> str:
    return fmt(value, "money")


def _count_line(key: str, name: str, value, formula: str | None = None, state: str | None = None) -> Line:
    return Line(key, name, fmt(value, "count") if not isinstance(value, str) else value, formula=formula, state=state)


def _role_blocks(store: Store, period: Period, now: datetime) -> list[Block]:
    """The Monday meeting pack: one block per role, as in the domain's weekly pack (周例会)."""
    pack = week_pack(store, period.start, now)
    # the management KPIs in the roles' sections: each under its own name, value and target, exactly as
    # in the KPI blocks below, on the dashboard and in the director's Monday pack
    fig = kpis.compute(store, period, keys=_known(ROLE_KPIS))

    def kpi_line(key: str) -> list[Line]:
        return [line_of(fig[key])] if key in fig else []

    start, end = day_bounds(store, period.start, period.end)
    opened = (RepairOrder.store_id == store.id, RepairOrder.opened_at >= start, RepairOrder.opened_at < end,
              RepairOrder.status != ROStatus.CANCELLED)
    by_pay = dict(db.session.execute(select(RepairOrder.pay_type, func.count()).where(*opened)
                                     .group_by(RepairOrder.pay_type)).all())
    repairs = sum(by_pay.values())

    # info clerk
    blocks = []
    team_rows = [[str(team_label(t)), _money(v)] for t, v in pack.output.team_rows]
    clerk = Block(title=_("Information clerk"), role="info", lines=[
        _count_line("repairs", _("Repairs (repair orders opened)"), repairs),
        _count_line("warranty_ros", _("Warranty jobs"), by_pay.get(PayType.WARRANTY, 0)),
        _count_line("insurance_ros", _("Accident (insurance) jobs"), by_pay.get(PayType.INSURANCE, 0)),
        *kpi_line("reach_rate"),
        *kpi_line("complaint_rate"),
    ], columns=[_("Team"), _("Labour (delivered cars)")], rows=team_rows)
    blocks.append(clerk)
    if pack.complaints:
        blocks.append(Block(title=_("Dissatisfied customers and who is responsible"), role="info",
                            columns=[_("No."), _("Customer"), _("Category"), _("Responsible")],
                            rows=[[c.number, c.customer.name if c.customer else "—", _category(c.category),
                                   (c.responsible.display_name if c.responsible else
                                    (c.advisor.display_name if c.advisor else "—"))] for c in pack.complaints[:12]]))

    # accident lead: insurance repair orders
    insurance = RepairOrder.pay_type == PayType.INSURANCE
    row = db.session.execute(select(
        func.coalesce(func.sum(case((RepairOrder.opened_at >= start, 1), else_=0)), 0),
        func.coalesce(func.sum(case((RepairOrder.status.in_([str(s) for s in (
            ROStatus.CHECKED_IN, ROStatus.IN_WORKSHOP, ROStatus.WAITING_APPROVAL, ROStatus.WAITING_PARTS,
            ROStatus.QUALITY_CHECK, ROStatus.WASHING, ROStatus.READY)]), 1), else_=0)), 0),
        func.coalesce(func.sum(case((RepairOrder.insurer_payment == InsurerPayment.PAID,
                                     RepairOrder.assessed_amount), else_=0)), 0),
        func.coalesce(func.sum(case((RepairOrder.insurer_payment.in_([InsurerPayment.PENDING,
                                                                      InsurerPayment.PARTLY_PAID]),
                                     RepairOrder.assessed_amount), else_=0)), 0),
    ).where(RepairOrder.store_id == store.id, insurance, RepairOrder.status != ROStatus.CANCELLED,
            RepairOrder.opened_at < end)).one()
    blocks.append(Block(title=_("Accident lead"), role="accident", lines=[
        _count_line("accident_in", _("Accident cars in"), int(row[0])),
        _count_line("accident_in_repair", _("Accident cars in repair now"), int(row[1])),
        Line("fees_paid", _("Repair fees collected from insurers"), _money(row[2]),
             formula=_("Assessed amounts of insurance repair orders marked paid")),
        Line("fees_due", _("Repair fees outstanding"), _money(row[3]), state="bad" if row[3] else None,
             formula=_("Assessed amounts still pending or partly paid")),
    ]))

    # service manager: process compliance, complaints, warranty
    forms = pack.forms
    blocks.append(Block(title=_("Service manager"), role="manager", lines=[
        Line("form_fill", _("Repair order forms complete"), fmt(forms.fill_rate, "percent"),
             target=fmt(forms.fill_target, "percent"), terms=f"{forms.complete} / {forms.checked}",
             state=None if forms.fill_rate is None else ("bad" if forms.fill_off else "good"),
             formula=_("Forms with every required field / forms checked")),
        Line("form_errors", _("Forms with errors"), fmt(forms.error_rate, "percent"),
             target="≤ " + fmt(forms.error_limit, "percent"), terms=f"{forms.with_errors} / {forms.checked}",
             state=None if forms.error_rate is None else ("bad" if forms.error_rate > forms.error_limit else "good"),
             formula=_("Forms with an error / forms checked")),
        Line("rounds", _("Inspection rounds done"), f"{len(pack.rounds_done)} / {len(pack.rounds_expected)}",
             state="bad" if pack.rounds_missed else ("good" if pack.rounds_expected else None),
             formula=_("%(missed)s missed", missed=len(pack.rounds_missed))),
        *kpi_line("round_score"),
        _count_line("warranty", _("Warranty jobs"), by_pay.get(PayType.WARRANTY, 0)),
        Line("actions", _("Corrective actions closed on time"),
             f"{pack.actions.closed_on_time} / {pack.actions.closed}",
             formula=_("%(opened)s opened", opened=pack.actions.opened)),
        *kpi_line("overdue_actions"),
    ]))

    # advisors: one row each
    # (the KPIs per advisor, as the dashboard's per-advisor table and drill-downs count them)
    per_advisor: dict = {}
    for key in ("cars_in", "cars_out", "on_time"):
        for label, member, value in kpis.breakdown(store, period, key, "advisor"):
            per_advisor.setdefault((label, member), {})[key] = value
    advisor_rows = sorted(per_advisor.items(), key=lambda item: (
        -(item[1]["cars_in"].numerator or 0) if "cars_in" in item[1] else 0, item[0][0]))
    declined = dict(db.session.execute(
        select(RepairOrder.advisor_id, func.count(Finding.id)).join(RepairOrder, RepairOrder.id == Finding.repair_order_id)
        .where(Finding.store_id == store.id, Finding.answered_at >= start, Finding.answered_at < end,
               Finding.status.in_([FindingStatus.DECLINED, FindingStatus.DONE_LATER]))
        .group_by(RepairOrder.advisor_id)).all())
    on_time_kpi = kpis.KPIS["on_time"]

    def cell(values: dict, key: str) -> str:
        value = values.get(key)
        if value is None:
            return "—"
        return fmt(value.numerator, "count") if key in COUNT_TOTALS else fmt(value.value, kpis.KPIS[key].unit)

    blocks.append(Block(title=_("Service advisors"), role="advisors",
                        columns=[_("Advisor"), str(COUNT_TOTALS["cars_in"]), str(COUNT_TOTALS["cars_out"]),
                                 str(on_time_kpi.name), _("Findings declined")],
                        rows=[[label, cell(values, "cars_in"), cell(values, "cars_out"), cell(values, "on_time"),
                               str(declined.get(member, 0))]
                              for (label, member), values in advisor_rows],
                        note=f"{on_time_kpi.name} = {on_time_kpi.formula}"))

    # parts manager
    parts = pack.parts
    blocks.append(Block(title=_("Parts manager"), role="parts", lines=[
        Line("parts_issued", _("Parts issued (at cost)"), _money(parts.issue_cost)),
        *kpi_line("parts_fill_rate"),
        Line("urgent", _("Emergency purchases"), f"{parts.urgent_orders} / {parts.orders}",
             formula=_("Urgent purchase orders / purchase orders; %(value)s", value=_money(parts.urgent_value))),
        Line("count_result", _("Stock count surplus / loss"),
             f"+{_money(parts.count_surplus)} / −{_money(parts.count_loss)}",
             state="bad" if parts.count_loss else None),
        Line("pending", _("Parts awaited (open now)"), str(len(pack.pending.open)),
             state="bad" if pack.pending.overdue else None,
             formula=_("%(overdue)s overdue", overdue=len(pack.pending.overdue))),
    ]))

    # team leads: reworks and causes, on-time completion
    quality = pack.quality
    blocks.append(Block(title=_("Team leads"), role="teams", lines=[
        *kpi_line("one_time_fix"), *kpi_line("on_time"), *kpi_line("comeback_rate"),
    ], columns=[_("RO"), _("Plate"), _("Inspector"), _("Cause")] if quality.reworks else [],
        rows=[[ro.number, ro.vehicle.plate, insp.inspector.display_name if insp.inspector else "—",
               (insp.reason or "—")[:60]] for insp, ro in quality.reworks[:10]]))
    return blocks


def team_label(team) -> str:
    try:
        return str(Team(team).label)
    except (ValueError, AttributeError):
        return str(team or _("Other"))


def _label(obj, attr: str) -> str:
    value = getattr(obj, attr, None)
    enum_value = getattr(obj, f"{attr}_enum", None)
    label = getattr(enum_value, "label", None)
    return str(label or value or "—")


# ------------------------------------------------------------------ the three digests

def _daily(content: Content, store: Store, now: datetime) -> None:
    period = content.period
    content.headline, content.blocks = _kpi_blocks(store, period, content.compared)
    content.blocks[:0] = _now_block(store, now)
    days = [day_of(period.end - timedelta(days=n)) for n in range(TREND_DAYS - 1, -1, -1)]
    labels = [f"{p.start:%m-%d}" for p in days]
    for key, title in (("cars_in", _("Cars in — last 14 days")), ("output_value", _("Output value — last 14 days"))):
        block = _trend_chart(content, store, key, days, labels, title, kind=BAR if key == "output_value" else LINE)
        if block:
            content.blocks.append(block)


def _weekly(content: Content, store: Store, now: datetime) -> None:
    period = content.period
    content.headline, kpi_blocks = _kpi_blocks(store, period, content.compared)
    weeks = [week_of(period.start - timedelta(weeks=n)) for n in range(11, -1, -1)]
    labels = [f"{p.start:%m-%d}" for p in weeks]
    charts = [b for b in (
        _trend_chart(content, store, "cars_in", weeks, labels, _("Cars in — last 12 weeks")),
        _trend_chart(content, store, "output_value", weeks, labels, _("Output value — last 12 weeks"), kind=BAR),
    ) if b]
    content.blocks = _role_blocks(store, period, now) + charts + kpi_blocks


def _monthly(content: Content, store: Store, now: datetime) -> None:
    period = content.period
    content.headline, kpi_blocks = _kpi_blocks(store, period, content.compared)
    days = [day_of(d) for d in period.each_day()]
    before = [day_of(d) for d in content.compared.each_day()]
    before = (before + [None] * len(days))[:len(days)]
    compare = [p if p is not None else day_of(content.compared.end) for p in before]
    labels = [f"{p.start.day}" for p in days]
    months = []
    first = period.start
    for _n in range(MONTHS_BACK):
        months.insert(0, month_of(first))
        first = (first - timedelta(days=1)).replace(day=1)
    month_labels = [f"{p.start:%y-%m}" for p in months]
    charts = [b for b in (
        _trend_chart(content, store, "cars_in", days, labels, _("Cars in per day, against the month before"),
                     compare=compare, compare_name=_("Previous month")),
        _trend_chart(content, store, "output_value", months, month_labels, _("Output value — last 12 months"),
                     kind=BAR),
        _trend_chart(content, store, "one_time_fix", months, month_labels,
                     _("One-time fix rate — last 12 months")),
        _breakdown_chart(content, store, "output_labour", "team", _("Labour output by team")),
        _breakdown_chart(content, store, "output_value", "advisor", _("Output value by advisor")),
        _breakdown_chart(content, store, "cars_in", "advisor", _("Cars received by advisor")),
    ) if b]
    stats = statistics(store.id, period.start)
    complaint_block = Block(title=_("Complaints"), lines=[
        Line("complaints", _("Complaints received"), str(stats.this.count), previous=str(stats.last.count),
             change=fmt_change(stats.this.count - stats.last.count, "count")),
        Line("closed", _("Complaints closed"), str(stats.this.closed), previous=str(stats.last.closed)),
        Line("open_now", _("Still open"), str(stats.this.open_now)),
    ], columns=[_("Category"), _("Complaints")] if stats.by_category else [],
        rows=[[_category(cat), str(n)] for cat, n in stats.by_category[:8]])
    content.blocks = charts + kpi_blocks + [complaint_block]


def _category(value) -> str:
    try:
        return str(ComplaintCategory(value).label)
    except (ValueError, AttributeError):
        return str(value or "—")


BUILDERS = {DigestKind.DAILY: _daily, DigestKind.WEEKLY: _weekly, DigestKind.MONTHLY: _monthly}


def period_of(kind: str, period_start: date) -> Period:
    kind = DigestKind(kind)
    if kind == DigestKind.DAILY:
        return day_of(period_start)
    if kind == DigestKind.WEEKLY:
        return week_of(period_start)
    return month_of(period_start)


def _title(kind: DigestKind) -> str:
    return {DigestKind.DAILY: _("Daily digest"), DigestKind.WEEKLY: _("Weekly meeting pack"),
            DigestKind.MONTHLY: _("Monthly analysis")}[kind]


def digest_link(digest_id: int) -> str | None:
    """The digest's page in the intranet as an absolute URL (PUBLIC_URL, else SERVER_NAME), or None."""
    config = current_app.config
    base = config.get("PUBLIC_URL") or (
        f"{config.get('PREFERRED_URL_SCHEME', 'http')}://{config['SERVER_NAME']}" if config.get("SERVER_NAME") else "")
    if not base:
        return None
    with current_app.test_request_context("/", base_url=base.rstrip("/") + "/"):
        return url_for("digests.show", digest_id=digest_id, _external=True)


def build_digest(store_id: int, kind: str, period_start: date, *, now: datetime | None = None) -> Digest:
    """The digest of this store, kind and period — built now (subject, HTML, text, chart images;
    status QUEUED) or, if it exists, the one already built. Flushes; the caller commits."""
    kind = DigestKind(kind)
    period = period_of(kind, period_start)
    existing = db.session.scalar(select(Digest).where(Digest.store_id == store_id, Digest.kind == str(kind),
                                                      Digest.period_start == period.start))
    if existing is not None:
        return existing
    store = db.session.get(Store, store_id)
    if store is None:
        raise NotFound(_("No such store."))
    now = now or clock.utcnow()
    with force_locale(store.default_locale or "zh_Hans_CN"):
        compared = period.previous()
        content = Content(kind=str(kind), store=store, period=period, compared=compared, title=_title(kind),
                          period_text=_period_text(period), compared_text=_period_text(compared))
        with kpis.shared_reads():
            BUILDERS[kind](content, store, now)
        group = _stores_block(period)
        if group is not None:
            content.blocks.append(group)
        subject = _("%(store)s · %(title)s · %(period)s", store=store.name, title=content.title,
                    period=content.period_text)
        digest = Digest(store_id=store_id, kind=str(kind), period_start=period.start, period_end=period.end,
                        subject=subject[:200], html="", text="", status=DigestStatus.QUEUED, attempts=0,
                        created_at=now)
        try:
            with db.session.begin_nested():
                db.session.add(digest)
                db.session.flush()
        except IntegrityError:  # another worker built it between our look and our insert
            return db.session.scalar(select(Digest).where(Digest.store_id == store_id, Digest.kind == str(kind),
                                                          Digest.period_start == period.start))
        content.link = digest_link(digest.id)
        context = {"c": content, "digest": digest, "generated": clock.to_store_time(now, store.timezone)}
        # Rendered without the pages' context processors: a job has no request and no user.
        env = current_app.jinja_env
        digest.html = env.get_template("reports/digests/email.html").render(**context)
        digest.text = env.get_template("reports/digests/email.txt").render(**context)
        for cid, chart in content.charts:
            digest.images.append(DigestImage(cid=cid, png=to_png(chart)))
        db.session.flush()
    return digest


# ------------------------------------------------------------------ the periods the jobs digest

def due_period_start(kind: str, today: date) -> date:
    """The period a job run on `today` (store time) digests: yesterday, last week, last month."""
    kind = DigestKind(kind)
    if kind == DigestKind.DAILY:
        return today - timedelta(days=1)
    if kind == DigestKind.WEEKLY:
        return week_of(today).start - timedelta(weeks=1)
    return month_of(month_of(today).start - timedelta(days=1)).start


# ------------------------------------------------------------------ recipients

EMAIL = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}$")


def add_recipient(store_id: int, kind: str, email: str | None, *, user_id: int | None = None) -> DigestRecipient:
    """Someone receives this kind of digest. The address is checked; twice is refused."""
    try:
        kind = DigestKind(kind)
    except ValueError:
        raise DomainError(_l("Choose a digest."), field="kind") from None
    email = (email or "").strip().lower()
    if not EMAIL.match(email) or len(email) > 200:
        raise DomainError(_l("Enter an email address like name@example.com."), field="email")
    if user_id:
        user = db.session.get(User, user_id)
        if user is None or user.store_id != store_id:
            raise DomainError(_l("Choose someone of this store."), field="user_id")
    exists = db.session.scalar(select(DigestRecipient.id).where(
        DigestRecipient.store_id == store_id, DigestRecipient.kind == str(kind), DigestRecipient.email == email))
    if exists:
        raise DomainError(_l("%(email)s already receives this digest.", email=email), field="email")
    recipient = DigestRecipient(store_id=store_id, kind=str(kind), email=email, user_id=user_id or None)
    try:
        with db.session.begin_nested():
            db.session.add(recipient)
            db.session.flush()
    except IntegrityError:
        raise DomainError(_l("%(email)s already receives this digest.", email=email), field="email") from None
    return recipient


def remove_recipient(store_id: int, recipient_id: int) -> None:
    recipient = db.session.get(DigestRecipient, recipient_id)
    if recipient is None or recipient.store_id != store_id:
        raise NotFound(_l("No such recipient."))
    db.session.delete(recipient)
    db.session.flush()



# ------------------------------------------------------------------ what the pages read

def list_digests(store_id: int, *, kind: str | None = None, limit: int = 60) -> list[Digest]:
    query = select(Digest).where(Digest.store_id == store_id)
    if kind:
        query = query.where(Digest.kind == kind)
    return list(db.session.scalars(query.order_by(Digest.period_start.desc(), Digest.id.desc()).limit(limit)))


def get_digest(digest_id: int, store_id: int) -> Digest:
    digest = db.session.get(Digest, digest_id)
    if digest is None or digest.store_id != store_id:
        raise NotFound(_("No such digest."))
    return digest


def send_now(digest_id: int, *, store_id: int) -> Digest:
    """"Send again now": try a queued (or kept) digest at once, whatever its next attempt time.
    Two taps at once send it once: the first takes the digest for sending (`mail.send_digest`); the
    second finds it taken, waits for the first to finish and answers with what it did. No lock is
    held while the mail server answers."""
    digest = get_digest(digest_id, store_id)
    if digest.status == DigestStatus.SENT:
        return digest
    if digest.status != DigestStatus.QUEUED:
        digest.status = DigestStatus.QUEUED
        db.session.commit()
    sent = mail.send_digest(digest.id)
    if sent is not None and sent.sending_until is not None:  # another sender has it right now
        return mail.wait_for_sender(digest.id, timeout=mail.lease_seconds(current_app.config))
    return sent
