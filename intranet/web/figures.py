"""Management figures for the pages of areas below management reports. The KPIs are defined once,
in `intranet.reports.kpis`, and formatted once (`intranet.reports.numbers`); an area lower in the
layers (the director's Monday pack) cannot import them, so the reports area registers the one
function that computes and formats them (`register_source`), and the page asks `figures()`.
Without a source registered, nothing is shown rather than a second definition."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class ShownFigure:
    """A KPI as a page shows it: its own name and formula, the value and its terms formatted as
    the dashboard formats them, the target, and whether the unrounded value meets it."""

    key: str
    name: str
    formula: str
    value: str  # formatted; "—" without data
    has_data: bool
    numerator: str | None
    denominator: str | None
    target: str | None  # formatted, with its direction ("≤ 2.0%", "≥ 93.0")
    on_target: bool | None  # judged on the unrounded value; None: no target or no data
    link: str | None = None  # the KPI's drill-down for the same days, for those who may open it


FigureSource = Callable[[object, date, date, Sequence[str]], dict[str, ShownFigure]]
_SOURCES: list[FigureSource] = []


def register_source(source: FigureSource) -> None:
    """The reports area's KPIs; registering again (another app in the same process) replaces it."""
    _SOURCES[:] = [source]


def figures(store, start: date, end: date, keys: Sequence[str]) -> dict[str, ShownFigure]:
    """The KPIs `keys` of the store days [start, end], as the dashboard shows them."""
    return _SOURCES[0](store, start, end, keys) if _SOURCES else {}
