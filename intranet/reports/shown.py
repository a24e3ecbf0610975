"""The KPIs as other areas' pages show them (`web.figures`): the one definition (`kpis`) and the
one formatter (`numbers.kpi_number`), so the director's Monday pack reads exactly what the
dashboard and the digests read for the same days."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from flask import has_request_context, url_for

from intranet.reports import kpis
from intranet.reports.numbers import kpi_number, term_number
from intranet.reports.periods import RANGE, Period
from intranet.web.figures import ShownFigure, register_source


def target_text(value: kpis.Value) -> str | None:
    """The target with the way it is met: "≤ 2.0%" for a figure where lower is better."""
    if value.target is None:
        return None
    sign = {kpis.LOWER: "≤ ", kpis.HIGHER: "≥ "}.get(value.kpi.better, "")
    return sign + kpi_number(value.target, value.kpi.unit)


def shown(value: kpis.Value, link: str | None = None) -> ShownFigure:
    k = value.kpi
    return ShownFigure(key=k.key, name=str(k.name), formula=str(k.formula), value=kpi_number(value.value, k.unit),
                       has_data=value.has_data,
                       numerator=None if value.numerator is None else term_number(value.numerator),
                       denominator=None if value.denominator is None else term_number(value.denominator),
                       target=target_text(value), on_target=value.on_target, link=link)


def figures_for(store, start: date, end: date, keys: Sequence[str]) -> dict[str, ShownFigure]:
    period = Period(start, end, RANGE)
    wanted = [k for k in keys if k in kpis.KPIS]
    with kpis.shared_reads():
        values = kpis.compute(store, period, keys=wanted)
    found = {}
    for key, value in values.items():
        link = None
        if has_request_context() and value.kpi.drill:
            link = url_for("dashboard.kpi", key=key, period=RANGE, start=start.isoformat(), end=end.isoformat())
        found[key] = shown(value, link)
    return found


def register() -> None:
    register_source(figures_for)
