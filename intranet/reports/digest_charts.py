"""A chart spec (chart_spec.Chart) drawn as a PNG for email: mail clients (Outlook, QQ Mail, Gmail)
show inline images, not SVG. matplotlib with the Agg backend and a CJK font, at twice the size it
is shown (sharp on phones and retina screens), palette-quantised to keep each file small."""
from __future__ import annotations

import io
import logging
import threading
from decimal import Decimal
from functools import lru_cache

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from intranet.reports.chart_spec import BAR, Chart

log = logging.getLogger(__name__)

# The intranet's brand colours (static/css/app.css): series take them in turn.
INK, MUTED, LINE, BRAND = "#14213d", "#5b6478", "#dfe4ee", "#0b3d91"
PALETTE = ("#0b3d91", "#e8a317", "#13795b", "#9b2c8f", "#1b8fb3", "#b42318")
TARGET = "#b42318"
WIDTH_PX, HEIGHT_PX, SCALE = 600, 260, 2  # shown 600x260 in the email, drawn at 2x
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
                "Microsoft YaHei", "SimHei", "PingFang SC")
_lock = threading.Lock()  # matplotlib's font cache and text layout are not thread-safe


@lru_cache(maxsize=1)
def font_family() -> str:
    """A font that draws Chinese; DejaVu Sans (boxes for Chinese, but no crash) when none is installed."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return family
    for path in font_manager.findSystemFonts():
        if "NotoSansCJK" in path or "wqy" in path.lower():
            try:
                font_manager.fontManager.addfont(path)
                return font_manager.FontProperties(fname=path).get_name()
            except (OSError, RuntimeError, ValueError):  # a broken font file: try the next
                continue
    log.warning("No CJK font found (install fonts-noto-cjk): digest charts fall back to DejaVu Sans "
                "and Chinese labels will not show.")
    return "DejaVu Sans"


def _number(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    return float(value)


def _label(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:.1f}%" if value < 10 else f"{value:.0f}%"
    if unit == "¥":
        return f"¥{value / 10000:.1f}万" if abs(value) >= 10000 else f"¥{value:,.0f}"
    return f"{value:,.1f}" if value != int(value) else f"{value:,.0f}"


def to_png(chart: Chart) -> bytes:
    """The chart as a PNG (600x260 shown, 1200x520 pixels)."""
    with _lock:
        return _draw(chart)


def _draw(chart: Chart) -> bytes:
    family = font_family()
    fig = Figure(figsize=(WIDTH_PX / 100, HEIGHT_PX / 100), dpi=100 * SCALE, facecolor="white")
    ax = fig.add_axes((0.1, 0.14, 0.86, 0.7))
    text = {"family": family, "color": INK}
    fig.text(0.02, 0.93, chart.title, fontsize=11, fontweight="bold", va="center", **text)

    labels = [str(label) for label in chart.labels]
    n = len(labels)
    positions = list(range(n))
    series = chart.series or []
    values = [[_number(v) for v in s.values] for s in series]
    known = [v for row in values for v in row if v is not None]
    if chart.target is not None:
        known.append(float(chart.target))
    top = max(known, default=0)
    bottom = min(min(known, default=0), 0)

    if chart.kind == BAR:
        width = 0.8 / max(len(series), 1)
        for i, (s, row) in enumerate(zip(series, values, strict=False)):
            colour = s.colour or PALETTE[i % len(PALETTE)]
            xs = [p - 0.4 + width * (i + 0.5) for p in positions]
            heights = [v or 0 for v in row]
            bars = ax.bar(xs, heights, width=width * 0.9, color=colour, label=s.name, zorder=2)
            if n * max(len(series), 1) <= 16:  # room for a value on each bar
                for bar, v in zip(bars, row, strict=False):
                    if v:  # no label on an empty bar
                        ax.annotate(_label(v, chart.unit), (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                                    xytext=(0, 2), textcoords="offset points", ha="center", va="bottom",
                                    fontsize=7, family=family, color=MUTED)
    else:
        for i, (s, row) in enumerate(zip(series, values, strict=False)):
            colour = s.colour or PALETTE[i % len(PALETTE)]
            ys = [float("nan") if v is None else v for v in row]
            ax.plot(positions, ys, color=colour, linewidth=2, marker="o" if n <= 16 else None, markersize=3.5,
                    label=s.name, zorder=3)
            last = next((j for j in range(n - 1, -1, -1) if row[j] is not None), None)
            if last is not None:
                ax.annotate(_label(row[last], chart.unit), (last, row[last]), xytext=(4, 4),
                            textcoords="offset points", fontsize=7.5, family=family, color=colour, fontweight="bold")

    if chart.target is not None:
        ax.axhline(float(chart.target), color=TARGET, linewidth=1.2, linestyle=(0, (4, 3)), zorder=1)
        ax.annotate(_label(float(chart.target), chart.unit), (0, float(chart.target)), xycoords=("axes fraction", "data"),
                    xytext=(2, 3), textcoords="offset points", ha="left", fontsize=7, family=family, color=TARGET)

    ax.set_ylim(bottom, (top * 1.18) if top > 0 else 1)
    ax.set_xlim(-0.6, n - 0.4 if n else 0.6)
    step = max(1, -(-n // 12))  # at most ~12 labels on the axis
    ax.set_xticks(positions[::step])
    ax.set_xticklabels(labels[::step], fontsize=7.5, family=family, color=MUTED)
    for tick in ax.get_yticklabels():
        tick.set_fontsize(7.5)
        tick.set_family(family)
        tick.set_color(MUTED)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _pos: _label(v, chart.unit)))
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4))
    ax.grid(axis="y", color=LINE, linewidth=0.8, zorder=0)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(LINE)
    ax.tick_params(axis="both", length=0, pad=4)
    if len(series) > 1 or chart.target is not None and series:
        handles, names = ax.get_legend_handles_labels()
        if len(handles) > 1:
            fig.legend(handles, names, loc="upper right", bbox_to_anchor=(0.99, 0.99), ncol=len(handles),
                       frameon=False, prop={"family": family, "size": 8})
    if not known:
        ax.text(0.5, 0.5, "—", transform=ax.transAxes, ha="center", va="center", fontsize=14, color=MUTED)

    return _png(fig)


def _png(fig: Figure) -> bytes:
    """The drawn figure as a PNG in a 64-colour palette (a third of the size, no visible loss on a
    chart), encoded once from the drawn pixels; a full-colour PNG if that fails."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    try:
        from PIL import Image

        width, height = canvas.get_width_height(physical=True)
        image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        # the fast octree palette: a chart has a few flat colours and antialiased edges
        image = image.convert("RGB").quantize(colors=64, method=Image.Quantize.FASTOCTREE)
        out = io.BytesIO()
        image.save(out, format="PNG", compress_level=6)
        return out.getvalue()
    except Exception:
        log.exception("could not quantise a digest chart")
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100 * SCALE, facecolor="white")
        return buffer.getvalue()
