"""Charts for the dashboards, drawn on the server as inline SVG: no JavaScript library and no CDN
(the intranet works offline), readable on a 768 px tablet, and described for screen readers.

`to_svg(chart)` draws a `chart_spec.Chart`: LINE — a trend with points, the previous period as a
lighter series, an optional dashed target line; BAR — grouped bars per team or advisor with their
values. Values may be None ("no data"): a line breaks there, a bar is left out."""
from __future__ import annotations

import itertools
import math
from decimal import Decimal

from flask import has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from intranet.reports.chart_spec import BAR, LINE, Chart

PALETTE = ("#1456c8", "#13795b", "#a15c00", "#9b2c8f", "#0a6a8a", "#b42318", "#4b2bb3", "#5f6b85")
TARGET_COLOUR = "#b42318"
AXIS_COLOUR = "#7b86a0"
GRID_COLOUR = "#e6eaf2"
INK = "#14213d"
INK_2 = "#4a5673"

WIDTH, HEIGHT = 600, 300  # the viewBox: the SVG scales to its box, fonts are sized for 480–720 px
FONT = 14
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 58, 20, 44, 36

_ids = itertools.count(1)


# ------------------------------------------------------------------ numbers as the chart writes them

def _chinese() -> bool:
    return not has_request_context() or str(get_locale() or "zh").startswith("zh")


def _number(value: float, *, compact: bool) -> str:
    """12,345 — or, on an axis, 1.2万 (Chinese) / 12.3k: a manager reads the size, not the cents."""
    size = abs(value)
    if compact and size >= 10_000:
        if _chinese():
            text = f"{value / 10_000:.1f}".rstrip("0").rstrip(".") + "万"
        else:
            text = f"{value / 1000:.1f}".rstrip("0").rstrip(".") + "k"
        return text
    if size >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:,.1f}".rstrip("0").rstrip(".")
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def format_value(value, unit: str = "", *, compact: bool = False) -> str:
    """A value with the chart's unit: ¥12,345 · 95.5% · 7.5 h · 12. None: —."""
    if value is None:
        return "—"
    text = _number(float(value), compact=compact)
    if unit in ("¥", "$", "€"):
        return ("-" if text.startswith("-") else "") + unit + text.lstrip("-")
    if unit == "%":
        return text + "%"
    return f"{text} {unit}" if unit else text


def _floats(values) -> list[float | None]:
    return [None if v is None else float(v) if isinstance(v, (Decimal, int, float)) else float(v) for v in values]


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round axis steps (1, 2, 2.5, 5 × 10ⁿ) covering low..high, zero included."""
    low, high = min(low, 0.0), max(high, 0.0)
    if high == low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks, tick = [], start
    while tick < high - step * 1e-9:
        ticks.append(round(tick, 10))
        tick += step
    ticks.append(round(tick, 10))
    return ticks


# ------------------------------------------------------------------ drawing

def _attrs(**attrs) -> str:
    return " ".join(f'{k.rstrip("_").replace("_", "-")}="{escape(v)}"' for k, v in attrs.items() if v is not None)


def _text(x, y, text, *, size=FONT, anchor="middle", fill=INK_2, weight=None, cls=None) -> str:
    return (f'<text {_attrs(x=f"{x:.1f}", y=f"{y:.1f}", font_size=size, text_anchor=anchor, fill=fill, font_weight=weight, class_=cls)}>'
            f"{escape(text)}</text>")


def _short(label: str, limit: int) -> str:
    """Long names cut to fit under a bar; the full name stays in the table and the description."""
    wide = sum(2 if ord(ch) > 0x2E80 else 1 for ch in label)
    if wide <= limit:
        return label
    out, used = "", 0
    for ch in label:
        used += 2 if ord(ch) > 0x2E80 else 1
        if used > limit - 1:
            break
        out += ch
    return out + "…"


def _colours(chart: Chart) -> list[str]:
    free = iter(PALETTE)
    return [s.colour or next(free, AXIS_COLOUR) for s in chart.series]


def _legend(chart: Chart, colours: list[str], *, line: bool) -> list[str]:
    parts, x = [], PAD_LEFT
    for index, (series, colour) in enumerate(zip(chart.series, colours)):
        if line:
            dash = ' stroke-dasharray="6 4"' if index else ""
            parts.append(f'<line x1="{x}" y1="16" x2="{x + 22}" y2="16" stroke="{colour}" stroke-width="3"{dash}/>')
        else:
            parts.append(f'<rect x="{x}" y="9" width="14" height="14" rx="3" fill="{colour}"/>')
        parts.append(_text(x + 28, 21, series.name, anchor="start", fill=INK))
        x += 28 + _width_of(series.name) + 22
    if chart.target is not None:
        parts.append(f'<line x1="{x}" y1="16" x2="{x + 22}" y2="16" stroke="{TARGET_COLOUR}" stroke-width="2" '
                     f'stroke-dasharray="5 4"/>')
        parts.append(_text(x + 28, 21, _("Target") + " " + format_value(chart.target, chart.unit), anchor="start",
                           fill=TARGET_COLOUR))
    return parts


def _width_of(text: str) -> int:
    return sum(FONT if ord(ch) > 0x2E80 else FONT * 0.58 for ch in text)


def _axis(ticks: list[float], y_of, unit: str) -> list[str]:
    parts = []
    for tick in ticks:
        y = y_of(tick)
        colour = AXIS_COLOUR if tick == 0 else GRID_COLOUR
        parts.append(f'<line x1="{PAD_LEFT}" y1="{y:.1f}" x2="{WIDTH - PAD_RIGHT}" y2="{y:.1f}" stroke="{colour}" '
                     f'stroke-width="1"/>')
        parts.append(_text(PAD_LEFT - 8, y + 5, format_value(tick, unit, compact=True), size=13, anchor="end",
                           fill=AXIS_COLOUR))
    return parts


def _target_line(chart: Chart, y_of) -> list[str]:
    if chart.target is None:
        return []
    y = y_of(float(chart.target))
    return [f'<line x1="{PAD_LEFT}" y1="{y:.1f}" x2="{WIDTH - PAD_RIGHT}" y2="{y:.1f}" stroke="{TARGET_COLOUR}" '
            f'stroke-width="2" stroke-dasharray="7 5" class="target-line"/>']


def _description(chart: Chart) -> str:
    """What the chart shows, in words, for a screen reader (and the drill-down's title)."""
    lines = []
    for series in chart.series:
        pairs = [f"{label} {format_value(v, chart.unit)}" for label, v in zip(chart.labels, series.values)]
        lines.append(f"{series.name}: " + "，".join(pairs))
    if chart.target is not None:
        lines.append(_("Target") + " " + format_value(chart.target, chart.unit))
    return "；".join(lines)


def _frame(chart: Chart, body: list[str], kind: str) -> Markup:
    uid = next(_ids)
    title_id, desc_id = f"chart-{uid}-title", f"chart-{uid}-desc"
    return Markup(
        f'<svg class="chart chart-{kind}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{title_id}" aria-describedby="{desc_id}" '
        f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="PingFang SC, Noto Sans CJK SC, Microsoft YaHei, system-ui, sans-serif">'
        f'<title id="{title_id}">{escape(chart.title)}</title><desc id="{desc_id}">{escape(_description(chart))}</desc>'
        + "".join(body) + "</svg>")


def _no_data(chart: Chart, kind: str) -> Markup:
    return _frame(chart, [f'<rect x="{PAD_LEFT}" y="{PAD_TOP}" width="{WIDTH - PAD_LEFT - PAD_RIGHT}" '
                          f'height="{HEIGHT - PAD_TOP - PAD_BOTTOM}" rx="10" fill="#f6f8fb"/>',
                          _text(WIDTH / 2, HEIGHT / 2 + 6, _("No data for this period"), size=16, fill=AXIS_COLOUR)],
                  kind)


def _scale(chart: Chart, values: list[float]):
    extent = values + ([float(chart.target)] if chart.target is not None else [])
    ticks = nice_ticks(min(extent), max(extent))
    low, high = ticks[0], ticks[-1]
    top, bottom = PAD_TOP + 6, HEIGHT - PAD_BOTTOM

    def y_of(value: float) -> float:
        return bottom - (value - low) / (high - low) * (bottom - top)

    return ticks, y_of


def _line(chart: Chart) -> Markup:
    all_values = [v for s in chart.series for v in _floats(s.values) if v is not None]
    if not all_values or not chart.labels:
        return _no_data(chart, "line")
    colours = _colours(chart)
    ticks, y_of = _scale(chart, all_values)
    n = len(chart.labels)
    inner = WIDTH - PAD_LEFT - PAD_RIGHT - 16

    def x_of(i: int) -> float:
        return PAD_LEFT + 8 + (inner * i / (n - 1) if n > 1 else inner / 2)

    body = _legend(chart, colours, line=True) + _axis(ticks, y_of, chart.unit)
    every = max(1, math.ceil(n / 8))  # at most ~8 labels along the bottom
    for i, label in enumerate(chart.labels):
        if i % every == 0 or i == n - 1 and (n - 1) % every >= every / 2:
            body.append(_text(x_of(i), HEIGHT - PAD_BOTTOM + 22, label, size=13, fill=AXIS_COLOUR))
    body += _target_line(chart, y_of)
    # the previous period (and any other series) first, lighter, so the current one is drawn on top
    order = list(range(1, len(chart.series))) + [0]
    for index in order:
        series, colour = chart.series[index], colours[index]
        values = _floats(series.values)
        current = index == 0
        runs, run = [], []
        for i, v in enumerate(values[:n]):
            if v is None:
                if run:
                    runs.append(run)
                run = []
            else:
                run.append((x_of(i), y_of(v)))
        if run:
            runs.append(run)
        style = (f'stroke="{colour}" stroke-width="3"' if current
                 else f'stroke="{colour}" stroke-width="2" stroke-dasharray="6 4" opacity=".85"')
        for points in runs:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            body.append(f'<polyline points="{path}" fill="none" {style} stroke-linejoin="round" stroke-linecap="round"/>')
        if current:
            shown = [i for i, v in enumerate(values[:n]) if v is not None]
            labelled = set(shown) if len(shown) <= 10 else {shown[-1], max(shown, key=lambda i: values[i])}
            for i in shown:
                x, y = x_of(i), y_of(values[i])
                body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{4.5 if i in labelled else 3}" fill="#fff" '
                            f'stroke="{colour}" stroke-width="2.5"><title>{escape(chart.labels[i])} '
                            f'{escape(format_value(values[i], chart.unit))}</title></circle>')
                if i in labelled:
                    anchor = "end" if x > WIDTH - PAD_RIGHT - 30 else "start" if x < PAD_LEFT + 30 else "middle"
                    body.append(_text(x, y - 11, format_value(values[i], chart.unit, compact=True), size=13,
                                      anchor=anchor, fill=INK, weight="700", cls="value"))
    return _frame(chart, body, "line")


def _bar(chart: Chart) -> Markup:
    all_values = [v for s in chart.series for v in _floats(s.values) if v is not None]
    if not all_values or not chart.labels:
        return _no_data(chart, "bar")
    colours = _colours(chart)
    ticks, y_of = _scale(chart, all_values)
    n, k = len(chart.labels), max(len(chart.series), 1)
    inner = WIDTH - PAD_LEFT - PAD_RIGHT
    slot = inner / n
    bar = min(44.0, slot * 0.72 / k)
    group = bar * k + 4 * (k - 1)
    zero = y_of(max(ticks[0], 0.0))
    body = _legend(chart, colours, line=False) + _axis(ticks, y_of, chart.unit)
    limit = max(4, int(slot / (FONT * 0.58)))
    for i, label in enumerate(chart.labels):
        left = PAD_LEFT + slot * i + (slot - group) / 2
        for j, series in enumerate(chart.series):
            values = _floats(series.values)
            value = values[i] if i < len(values) else None
            if value is None:
                continue
            x, y = left + j * (bar + 4), y_of(value)
            top, height = min(y, zero), max(abs(zero - y), 1.0)
            body.append(f'<rect x="{x:.1f}" y="{top:.1f}" width="{bar:.1f}" height="{height:.1f}" rx="3" '
                        f'fill="{colours[j]}"><title>{escape(label)} · {escape(series.name)} '
                        f'{escape(format_value(value, chart.unit))}</title></rect>')
            body.append(_text(x + bar / 2, top - 6, format_value(value, chart.unit, compact=True),
                              size=13 if k == 1 else 12, fill=INK, weight="700", cls="value"))
        body.append(_text(PAD_LEFT + slot * i + slot / 2, HEIGHT - PAD_BOTTOM + 22, _short(label, limit), size=13,
                          fill=INK_2))
    body += _target_line(chart, y_of)
    return _frame(chart, body, "bar")


def to_svg(chart: Chart) -> Markup:
    """The chart as an inline <svg> (safe Markup) that fills its box's width."""
    if chart.kind == LINE:
        return _line(chart)
    if chart.kind == BAR:
        return _bar(chart)
    raise ValueError(f"unknown chart kind {chart.kind!r}")
