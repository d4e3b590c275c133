"""The STAR chart as SVG, drawn with matplotlib on the server and served as an ``<img>``.

The page's Content-Security-Policy allows no inline styles, so the SVG carries none: the
``<style>`` block matplotlib writes is dropped and every ``style="a: b; c: d"`` attribute becomes
presentation attributes (``a="b" c="d"``), which SVG treats the same. Text is drawn as paths
(``svg.fonttype = path``), so no font is needed and nothing depends on the viewer.
"""

from __future__ import annotations

import io
import re
from typing import Any

from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.patches import Polygon

NHS_BLUE = "#005eb8"
COLOURS = ("#005eb8", "#007f3b", "#ffb81c", "#330072", "#da291c", "#00a499", "#ae2573")
STYLE = re.compile(r'\sstyle="([^"]*)"')
STYLE_BLOCK = re.compile(r"<style[^>]*>.*?</style>", re.DOTALL)


def _presentation(match: re.Match) -> str:
    attributes = []
    for declaration in match.group(1).split(";"):
        if ":" not in declaration:
            continue
        name, value = (part.strip() for part in declaration.split(":", 1))
        if re.fullmatch(r"[a-z-]+", name) and '"' not in value:
            attributes.append(f' {name}="{value}"')
    return "".join(attributes)


def without_inline_styles(svg: str) -> str:
    """Drop ``<style>`` blocks and turn ``style`` attributes into presentation attributes."""
    svg = STYLE_BLOCK.sub("", svg)
    return STYLE.sub(_presentation, svg)


def star_svg(report: dict[str, Any]) -> bytes:
    """Triangles per option stacked by value, the cumulative curve and the budget line."""
    curve = report["star"]
    meta = report["meta"]
    labels = {r["option"]: r["option_label"] for r in report["results"]}
    # A Figure without pyplot: no global state, safe in a threaded web server.
    with rc_context({"svg.fonttype": "path", "font.size": 10, "svg.hashsalt": "proms"}):
        figure = Figure(figsize=(8, 4.8))
        axes = figure.subplots()
        for number, triangle in enumerate(curve.triangles):
            colour = COLOURS[number % len(COLOURS)]
            axes.add_patch(
                Polygon(
                    [(x / 1000, y) for x, y in triangle.vertices],
                    closed=True,
                    facecolor=colour,
                    alpha=0.35,
                    edgecolor=colour,
                    linewidth=1.5,
                    label=f"{number + 1}. {labels.get(triangle.option, triangle.option)}",
                )
            )
            # The option's number inside its triangle, near the right-angle corner.
            axes.annotate(
                str(number + 1),
                (triangle.x1 / 1000, triangle.y0 + triangle.benefit / 3),
                textcoords="offset points",
                xytext=(-10, 0),
                ha="right",
                va="center",
                fontsize=11,
                fontweight="bold",
            )
        points = curve.points
        axes.plot(
            [x / 1000 for x, _ in points],
            [y for _, y in points],
            color="#212b32",
            linewidth=2,
            marker="o",
            markersize=3,
            label="Cumulative benefit",
        )
        if curve.budget is not None:
            axes.axvline(
                curve.budget / 1000,
                color="#d5281b",
                linestyle="--",
                linewidth=1.5,
                label=f"Budget £{curve.budget:,.0f}",
            )
        axes.axhline(0, color="#768692", linewidth=0.8)
        axes.set_xlabel("Cost a year (£ thousands)")
        axes.set_ylabel("QALYs gained a year, beyond the counterfactual")
        axes.set_title(
            f"STAR value for money: {meta['condition']} ({meta['value_set_title']})", fontsize=11
        )
        axes.autoscale_view()
        axes.set_xlim(
            left=0, right=max([x for x, _ in points] + [curve.budget or 0]) / 1000 * 1.08 or 1
        )
        axes.legend(loc="upper left", fontsize=9, frameon=False)
        axes.spines[["top", "right"]].set_visible(False)
        # The counterfactual and any illustrative costs travel with the image itself.
        footnote = f"Counterfactual: {meta['counterfactual']['label']}."
        if (meta.get("unit_costs") or {}).get("illustrative"):
            footnote += " ILLUSTRATIVE unit costs."
        if meta.get("warning"):
            footnote = "Warning: no counterfactual, so benefit is overstated. " + footnote
        figure.tight_layout(rect=(0, 0.05, 1, 1))
        colour = "#d5281b" if meta.get("warning") else "#4c6272"
        figure.text(0.01, 0.015, footnote, color=colour, fontsize=8)
        buffer = io.StringIO()
        # The title and footnote again as text in the SVG's metadata (the drawn text is paths).
        title = f"STAR value for money: {meta['condition']} ({meta['value_set_title']}). {footnote}"
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Title": title})
    return without_inline_styles(buffer.getvalue()).encode()
