"""Management's panel on the "my day" home (`intranet.web.panels`): this month's headline figures,
each opening its drill-down."""
from __future__ import annotations

from intranet.reports import kpis
from intranet.reports.periods import month_of
from intranet.web.panels import PanelContext, register_panel

HOME_FIGURES = ("cars_in", "output_value", "one_time_fix", "on_time", "comeback_rate", "csi")


def figures(ctx: PanelContext) -> dict:
    month = kpis.compute(ctx.store, month_of(ctx.today), keys=HOME_FIGURES)
    return {"month_figures": [month[key] for key in HOME_FIGURES]}


def register() -> None:
    register_panel("figures", figures)
