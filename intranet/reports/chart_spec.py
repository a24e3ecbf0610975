"""What a chart shows, independent of how it is drawn: the dashboards draw it as inline SVG
(charts.to_svg), the digests as a PNG for email (digest_charts.to_png)."""
from __future__ import annotations

from dataclasses import dataclass, field

LINE, BAR = "line", "bar"


@dataclass(frozen=True)
class Series:
    name: str
    values: list  # numbers (float/Decimal/int) or None for "no data", one per label
    colour: str | None = None  # CSS colour; None: the palette's next


@dataclass(frozen=True)
class Chart:
    kind: str  # LINE (a trend over the labels) or BAR (grouped bars per label)
    title: str
    labels: list[str]  # x axis: days, weeks, months, teams, advisors…
    series: list[Series] = field(default_factory=list)
    unit: str = ""  # "%", "¥", "" — shown on the axis and values
    target: float | None = None  # a dashed line across, when the KPI has a target
