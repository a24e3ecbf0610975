"""The management KPIs, defined once: each with its name, the formula in words (shown wherever the
number is shown), its unit, which way is better, the documents' default target (a store sets its
own: `set_target`), and what its drill-down lists.

`compute(store, period)` gives every KPI of a period: the past days' terms from the daily summary
(`summary`, `terms`, read by `read`) when it has them all, else from the rows. From the rows
(`values.compute_from_rows`), in a fixed number of queries whatever the size of the history: the
repair-order and line figures come from two set-based queries on indexed UTC ranges
(`values._ro_rows`); the figures another area already defines are taken from it — the care
figures (`care.csi`), the show rate (`reception.appointments.show_rate`), the technicians' hours
(`workshop.figures.technician_figures`); the parts fill rate and turnover are counted as
`parts.figures` counts them, in two queries (`terms._parts_terms`, `terms.turnover_value`).
A rate without a denominator has no value (None, "no data"), never a division by zero; money is
Decimal to the fen; percents are Decimal with one decimal.

One module per part: `definitions` (the KPIs, their groups, `Value`), `store_targets`, `values`
(`compute_from_rows`, `series_from_rows`, `shared_reads`), `breakdowns` (`breakdown_from_rows`),
`terms` and `summary` (the daily summary), `read` (`compute`, `series`, `breakdown`,
`member_series`: summary or rows), `drilldown` (`drill`). Their
public names are read from here: `from intranet.reports import kpis; kpis.compute(...)`."""
from __future__ import annotations

from intranet.reports.kpis.definitions import (
    BREAKDOWNS, CENT, COUNT, GROUPS, HIGHER, HOURS, KPIS, LOWER, MONEY_UNIT, NONE, PERCENT_UNIT, SCORE, TENTH, Kpi,
    Value, kpi,
)
from intranet.reports.kpis.drilldown import drill
from intranet.reports.kpis.store_targets import set_target, target_for, targets
from intranet.reports.kpis.read import (
    breakdown, compute, member_series, member_value, prefetch, read_ahead, series, technicians_table,
)
from intranet.reports.kpis.values import compute_from_rows, shared_reads

__all__ = [
    "BREAKDOWNS", "CENT", "COUNT", "GROUPS", "HIGHER", "HOURS", "KPIS", "LOWER", "MONEY_UNIT", "NONE", "PERCENT_UNIT",
    "SCORE", "TENTH", "Kpi", "Value", "breakdown", "compute", "compute_from_rows", "drill", "kpi", "member_series",
    "member_value", "prefetch", "read_ahead", "series", "technicians_table", "set_target", "shared_reads",
    "target_for", "targets",
]
