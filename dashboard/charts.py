"""Charts drawn on the server as SVG with matplotlib (docs/adr/0004-dashboard-charts.md).

Public interface (the dashboard pages and the board pack call these; each takes plain rows of a
figure, never a query):

- ``xmr_svg(points, *, title, description, y_label, target=None) -> str``: a Making Data
  Count XmR chart; ``points`` are dicts with ``period``, ``value``, ``mean``, ``lower``,
  ``upper``, ``signal`` ("improvement", "concern", "neutral" or None).
- ``intervals_svg(items, *, title, description, x_label, reference=None) -> str``: one row
  per group: a dot and its interval (``label``, ``value``, ``lower``, ``upper``; value None
  is drawn as "withheld").
- ``funnel_svg(units, *, title, description, x_label, y_label, target, sd) -> str``: a
  funnel plot: ``units`` with ``label``, ``n``, ``value``; 95% and 99.8% limits
  ``target ± z·sd/√n``.
- ``deciles_svg(periods, deciles, *, own=None, own_label=None, title, description,
  y_label) -> str``: OpenPrescribing-style deciles over time (``deciles`` maps 10..90 to a
  list of values per period) with the practice's own line.
- ``trend_svg(periods, values, *, lower=None, upper=None, title, description, y_label)``: a
  line with an optional band (e.g. median and quartiles).

Every SVG carries ``<title>`` and ``<desc>`` and ``role="img"``; meaning never rests on colour
alone: special causes have their own marker shapes, limits are dashed, the median line is
dashed, values are written beside dots. Text stays text (``svg.fonttype = none``) so it is
small, sharp in print and selectable. Figures are built without pyplot (no global state), so
rendering is thread-safe.
"""

from __future__ import annotations

import base64
import io
import math
import re
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from xml.sax.saxutils import escape

import matplotlib

matplotlib.use("svg")  # never a GUI backend on a server
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

BLUE = "#005eb8"
DARK = "#212b32"
GREY = "#768692"
ORANGE = "#ed8b00"  # concern (MDC)
IMPROVE = "#41b6e6"  # improvement (MDC light blue)
PALE = "#e8edee"
FONT = ["DejaVu Sans", "Arial", "sans-serif"]
WIDTH_IN = 6.4
# A phone's chart: drawn narrower (not scaled down), so its text stays the size of the page's
# small print on a 360 px screen; the pages offer it with <picture> (dashboard/_section.html).
NARROW_WIDTH_IN = 3.7
SIZES = {"wide": WIDTH_IN, "narrow": NARROW_WIDTH_IN}
_width: ContextVar[float] = ContextVar("chart_width", default=WIDTH_IN)
# The board pack's charts: a PNG drawn by Agg at print resolution, which WeasyPrint embeds as it
# is, where an SVG had to be parsed and drawn path by path in Python (most of the PDF's drawing
# time, bench/board_pack.py). 150 dpi at 6.4 in is ~175 ppi in the pack's 140 mm column.
PRINT_DPI = 150
FORMATS = ("svg", "png")
_format: ContextVar[str] = ContextVar("chart_format", default="svg")


@contextmanager
def drawn_at(size: str) -> Iterator[None]:
    """Draw the charts made inside this block at ``size`` ("wide" or "narrow")."""
    token = _width.set(SIZES[size])
    try:
        yield
    finally:
        _width.reset(token)


@contextmanager
def drawn_as(image_format: str) -> Iterator[None]:
    """Inside this block the chart functions return ``image_format``: "svg" (the pages') text,
    or "png": a ``data:image/png;base64,`` URI of the chart for print (the board pack), still
    text, so the chart cache and every ``-> str`` signature hold for both."""
    if image_format not in FORMATS:
        raise ValueError(f"unknown chart format {image_format!r}")
    token = _format.set(image_format)
    try:
        yield
    finally:
        _format.reset(token)


def image_format() -> str:
    """The format the chart functions return here ("svg" unless inside ``drawn_as``)."""
    return _format.get()


def _narrow() -> bool:
    return _width.get() < WIDTH_IN


matplotlib.rcParams.update(
    {
        "svg.fonttype": "none",
        "svg.hashsalt": "proms-dashboard",  # stable ids: the same figure gives the same bytes
        "font.family": "sans-serif",
        "font.sans-serif": FONT,
        "font.size": 10,
        "axes.edgecolor": GREY,
        "axes.labelcolor": DARK,
        "xtick.color": DARK,
        "ytick.color": DARK,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)

MARKERS = {None: "o", "improvement": "^", "concern": "s", "neutral": "D"}
COLOURS = {None: GREY, "improvement": IMPROVE, "concern": ORANGE, "neutral": BLUE}
SIGNAL_LABELS = {
    None: "Common cause",
    "improvement": "Special cause: improvement",
    "concern": "Special cause: concern",
    "neutral": "Special cause",
}


def _figure(height: float, *, left: float = 0.6, bottom: float = 1.3) -> tuple[Figure, Any]:
    """A figure with fixed margins in inches (left: tick labels and axis title; bottom: period
    labels and the key). Fixed margins, not matplotlib's constrained layout, which measures
    every label in a second drawing pass and took most of the render time
    (bench/dashboard_charts.py); generous, since the reader's sans-serif may be wider than
    the font matplotlib measures with."""
    width = _width.get()
    if width < WIDTH_IN:  # the key wraps onto one more line
        height, bottom = height + 0.3, bottom + 0.3
    figure = Figure(figsize=(width, height))
    FigureCanvasSVG(figure)
    figure.subplots_adjust(
        left=min(left, 0.45 * width) / width, right=1 - 0.25 / width, top=1 - 0.15 / height,
        bottom=bottom / height,
    )  # fmt: skip
    return figure, figure.add_subplot()


def _axis_label(text: str) -> str:
    """An axis title that fits the chart's width (~0.085 in a character at 10 pt): a narrow
    chart wraps a long one onto two lines rather than cutting it off."""
    fits = int((_width.get() - 1.2) / 0.085)
    return "\n".join(textwrap.wrap(text, fits)) if len(text) > fits else text


def _label_margin(labels: Sequence[str]) -> float:
    """Inches for horizontal tick labels of this many characters (~0.085 in each at 10 pt)."""
    return 0.25 + 0.085 * max(
        (len(line) for label in labels for line in label.split("\n")), default=4
    )


def _fitted_labels(labels: Sequence[str]) -> list[str]:
    """Tick labels that fit the widest left margin a chart gives them (``_figure``: 0.45 of
    its width): a longer one, such as a trust's full name, wraps onto more lines instead of
    running off the chart's left edge."""
    fits = max(8, int((0.45 * _width.get() - 0.25) / 0.085))
    return [
        "\n".join(textwrap.wrap(label, fits)) if len(label) > fits else label for label in labels
    ]


def _png(figure: Figure) -> str:
    """The chart as an opaque RGB PNG at print resolution, as a data: URI. RGB (no alpha):
    WeasyPrint splits an alpha channel into a second image; fast zlib: WeasyPrint decodes and
    compresses the pixels again for the PDF anyway."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    canvas = FigureCanvasAgg(figure)
    figure.set_dpi(PRINT_DPI)
    canvas.draw()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG", compress_level=1, dpi=(PRINT_DPI,) * 2)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _svg(figure: Figure, title: str, description: str) -> str:
    """The chart as SVG text with its title and description (or, inside ``drawn_as("png")``,
    as a PNG data: URI: the <img> that shows it carries the title and description as alt)."""
    if _format.get() == "png":
        return _png(figure)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # no XML declaration or DOCTYPE: served or inlined alike
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    text = re.sub(r'\swidth="[\d.]+pt" height="[\d.]+pt"', "", text, count=1)
    head_end = text.index(">") + 1
    return (
        text[: head_end - 1]
        + ' role="img" aria-labelledby="chart-title chart-desc"'
        + ">"
        + f'<title id="chart-title">{escape(title)}</title>'
        + f'<desc id="chart-desc">{escape(description)}</desc>'
        + text[head_end:]
    )


def _legend(figure: Figure) -> None:
    """The key under the plot, so the plot keeps the full width on a phone."""
    figure.legend(loc="lower center", ncols=2 if _narrow() else 3, frameon=False, fontsize=9)


def _period_ticks(axes, periods: Sequence[str]) -> None:
    step = max(1, math.ceil(len(periods) / (6 if _narrow() else 12)))
    positions = list(range(0, len(periods), step))
    axes.set_xticks(positions)
    axes.set_xticklabels([periods[i] for i in positions], rotation=45, ha="right")


def xmr_svg(
    points: Sequence[dict[str, Any]],
    *,
    title: str,
    description: str,
    y_label: str,
    target: float | None = None,
) -> str:
    figure, axes = _figure(3.7)
    periods = [p["period"] for p in points]
    xs = list(range(len(points)))
    values = [p["value"] for p in points]
    axes.plot(xs, values, color=GREY, linewidth=1.2, zorder=2)
    for signal in MARKERS:
        chosen = [
            (x, v) for x, v, p in zip(xs, values, points, strict=True) if p["signal"] == signal
        ]
        if chosen:
            axes.scatter(
                [c[0] for c in chosen],
                [c[1] for c in chosen],
                marker=MARKERS[signal],
                s=42 if signal else 22,
                color=COLOURS[signal],
                edgecolors=DARK if signal else GREY,
                linewidths=0.6,
                zorder=3,
                label=SIGNAL_LABELS[signal],
            )
    first = next((p for p in points if p.get("mean") is not None), None)
    if first is not None:
        axes.axhline(first["mean"], color=DARK, linewidth=1, label="Mean")
        axes.axhline(
            first["upper"], color=DARK, linewidth=1, linestyle="--", label="Process limits"
        )
        axes.axhline(first["lower"], color=DARK, linewidth=1, linestyle="--")
    if target is not None:
        axes.axhline(target, color=BLUE, linewidth=1.2, linestyle=":", label="Reference (MIC)")
    axes.set_ylabel(y_label)
    if periods:
        _period_ticks(axes, periods)
    else:
        axes.text(0.5, 0.5, "No published months yet", ha="center", transform=axes.transAxes)
    _legend(figure)
    return _svg(figure, title, description)


def intervals_svg(
    items: Sequence[dict[str, Any]],
    *,
    title: str,
    description: str,
    x_label: str,
    reference: float | None = None,
    reference_label: str = "Overall",
) -> str:
    labels = _fitted_labels([str(i["label"]) for i in items])
    lines = max((label.count("\n") + 1 for label in labels), default=1)
    row = 0.36 if lines == 1 else 0.1 + 0.2 * lines  # room for a wrapped label's lines
    height = 0.9 + row * max(1, len(items))
    x_title = _axis_label(x_label)
    bottom = 0.55 + 0.17 * x_title.count("\n")
    figure, axes = _figure(height + bottom - 0.55, left=_label_margin(labels), bottom=bottom)
    ys = list(range(len(items)))[::-1]
    present = [
        v for i in items for v in (i.get("value"), i.get("lower"), i.get("upper")) if v is not None
    ]
    span = (max(present) - min(present)) if present else 1.0
    for y, item in zip(ys, items, strict=True):
        value = item.get("value")
        if value is None:
            axes.text(
                min(present) if present else 0, y, "withheld", va="center", color=GREY, fontsize=8
            )
            continue
        lower, upper = item.get("lower"), item.get("upper")
        if lower is not None and upper is not None:
            axes.plot([lower, upper], [y, y], color=DARK, linewidth=1.4)
            axes.plot([lower, lower], [y - 0.15, y + 0.15], color=DARK, linewidth=1)
            axes.plot([upper, upper], [y - 0.15, y + 0.15], color=DARK, linewidth=1)
        marker = "D" if item.get("highlight") else "o"
        axes.scatter([value], [y], marker=marker, s=36, color=BLUE, edgecolors=DARK, zorder=3)
        axes.annotate(
            f"{value:g}",
            (upper if upper is not None else value, y),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
            color=DARK,
        )
    if reference is not None:
        axes.axvline(reference, color=GREY, linestyle="--", linewidth=1, label=reference_label)
        axes.legend(loc="lower right", frameon=False, fontsize=8)
    axes.set_yticks(ys)
    axes.set_yticklabels(labels)
    axes.set_xlabel(x_title)
    if present:
        axes.set_xlim(min(present) - 0.05 * span, max(present) + 0.18 * span + 1e-9)
    axes.set_ylim(-0.7, len(items) - 0.3)
    return _svg(figure, title, description)


def funnel_svg(
    units: Sequence[dict[str, Any]],
    *,
    title: str,
    description: str,
    x_label: str,
    y_label: str,
    target: float | None,
    sd: float | None,
) -> str:
    figure, axes = _figure(4.0, bottom=1.0)
    ns = [u["n"] for u in units if u.get("n") and u.get("value") is not None]
    top = max([*ns, 50]) * 1.15
    if target is not None and sd:
        grid = [max(5.0, top * i / 200) for i in range(1, 201)]
        for z, style, label in ((1.96, "--", "95% limits"), (3.09, ":", "99.8% limits")):
            axes.plot(
                grid,
                [target + z * sd / math.sqrt(n) for n in grid],
                color=DARK,
                linestyle=style,
                linewidth=1,
                label=label,
            )
            axes.plot(
                grid,
                [target - z * sd / math.sqrt(n) for n in grid],
                color=DARK,
                linestyle=style,
                linewidth=1,
            )
    if target is not None:
        axes.axhline(target, color=GREY, linewidth=1, label="Programme mean")
    labelled = set()
    for unit in units:
        if unit.get("value") is None or not unit.get("n"):
            continue
        flagged = unit.get("position") not in (None, "within")
        key = "Outside the 95% limits" if flagged else "Within the limits"
        axes.scatter(
            [unit["n"]],
            [unit["value"]],
            marker="s" if flagged else "o",
            s=44,
            color=ORANGE if flagged else BLUE,
            edgecolors=DARK,
            zorder=3,
            label=None if key in labelled else key,
        )
        labelled.add(key)
        limits = unit.get("limits") or ()
        if not sd and len(limits) == 4 and None not in limits:
            # Each unit's own limits (when they do not follow one curve): 95% thick, 99.8% thin.
            axes.plot([unit["n"]] * 2, [limits[1], limits[2]], color=DARK, linewidth=2.5)
            axes.plot([unit["n"]] * 2, [limits[0], limits[3]], color=DARK, linewidth=0.8)
        # A label to the left of a point in the right half, so none runs off the chart.
        right_half = unit["n"] > top / 2
        axes.annotate(
            unit["label"],
            (unit["n"], unit["value"]),
            xytext=(-5 if right_half else 5, 3),
            textcoords="offset points",
            ha="right" if right_half else "left",
            fontsize=8,
            color=DARK,
        )
    axes.set_xlim(0, top)
    axes.set_xlabel(_axis_label(x_label))
    axes.set_ylabel(y_label)
    _legend(figure)
    return _svg(figure, title, description)


def deciles_svg(
    periods: Sequence[str],
    deciles: dict[int, Sequence[float | None]],
    *,
    title: str,
    description: str,
    y_label: str,
    own: Sequence[float | None] | None = None,
    own_label: str | None = None,
) -> str:
    figure, axes = _figure(3.7)
    xs = list(range(len(periods)))
    for decile, values in sorted(deciles.items()):
        median = decile == 50
        axes.plot(
            xs,
            [math.nan if v is None else v for v in values],
            color=BLUE if median else "#7fafdb",
            linestyle="--" if median else ":",
            linewidth=1.6 if median else 1,
            label="Median practice"
            if median
            else ("Deciles (10th-90th)" if decile == 10 else None),
        )
    if own is not None:
        axes.plot(
            xs,
            [math.nan if v is None else v for v in own],
            color=ORANGE,
            marker="o",
            linewidth=2,
            label=own_label or "This practice",
        )
    axes.set_ylabel(y_label)
    if periods:
        _period_ticks(axes, list(periods))
    _legend(figure)
    return _svg(figure, title, description)


def trend_svg(
    periods: Sequence[str],
    values: Sequence[float | None],
    *,
    title: str,
    description: str,
    y_label: str,
    lower: Sequence[float | None] | None = None,
    upper: Sequence[float | None] | None = None,
    band_label: str = "Quartiles",
    line_label: str = "Median",
) -> str:
    figure, axes = _figure(3.5)
    xs = list(range(len(periods)))
    nan = [math.nan if v is None else v for v in values]
    if lower is not None and upper is not None:
        axes.fill_between(
            xs,
            [math.nan if v is None else v for v in lower],
            [math.nan if v is None else v for v in upper],
            color=PALE,
            hatch="///",
            edgecolor="#aeb7bd",
            linewidth=0,
            label=band_label,
        )
    axes.plot(xs, nan, color=BLUE, marker="o", linewidth=1.6, label=line_label)
    axes.set_ylabel(y_label)
    if periods:
        _period_ticks(axes, list(periods))
    _legend(figure)
    return _svg(figure, title, description)
