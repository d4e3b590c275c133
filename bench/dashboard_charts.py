"""Render time of the dashboard's charts: matplotlib (what we use) against pygal, one run.

    .venv/bin/python bench/dashboard_charts.py [repeats]

Draws the two charts the dashboard draws most (an XmR chart of 24 monthly points with limits,
and a dot-and-interval chart of 6 groups) with each library, ``repeats`` times (default 30),
and prints the median and 95th percentile milliseconds per chart and the SVG size. pygal is
only needed for this comparison (``pip install pygal``); without it the pygal rows are skipped.
No database is used. Figures are recorded in docs/adr/0004-dashboard-charts.md.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proms.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from dashboard import charts, spc  # noqa: E402

rng = random.Random(1)
VALUES = [10 + rng.gauss(0, 2) for _ in range(24)]
PERIODS = [f"{2025 + (m // 12)}-{m % 12 + 1:02d}" for m in range(24)]
XMR = spc.xmr(VALUES, target=12.5)
POINTS = [
    {"period": p, "value": v, "mean": XMR.mean, "lower": XMR.lower, "upper": XMR.upper,
     "signal": s}
    for p, v, s in zip(PERIODS, VALUES, XMR.signals, strict=True)
]  # fmt: skip
GROUPS = [
    {"label": f"Group {i}", "value": 50 + i, "lower": 45 + i, "upper": 55 + i} for i in range(6)
]


def matplotlib_xmr() -> str:
    return charts.xmr_svg(POINTS, title="t", description="d", y_label="y", target=12.5)


def matplotlib_intervals() -> str:
    return charts.intervals_svg(GROUPS, title="t", description="d", x_label="x")


def pygal_xmr() -> str:
    import pygal

    chart = pygal.Line(js=[], width=640, height=360, show_dots=True, x_label_rotation=45)
    chart.title = "t"
    chart.x_labels = PERIODS
    chart.add("Mean change", VALUES)
    chart.add("Mean", [XMR.mean] * len(VALUES), show_dots=False)
    chart.add(
        "Upper limit", [XMR.upper] * len(VALUES), show_dots=False, stroke_style={"dasharray": "4"}
    )
    chart.add(
        "Lower limit", [XMR.lower] * len(VALUES), show_dots=False, stroke_style={"dasharray": "4"}
    )
    return chart.render(is_unicode=True)


def pygal_intervals() -> str:
    import pygal

    chart = pygal.HorizontalBar(js=[], width=640, height=300)
    chart.title = "t"
    chart.x_labels = [g["label"] for g in GROUPS]
    chart.add(
        "Value",
        [{"value": g["value"], "ci": {"low": g["lower"], "high": g["upper"]}} for g in GROUPS],
    )
    return chart.render(is_unicode=True)


def measure(function, repeats: int) -> tuple[float, float, int]:
    function()  # warm up (imports, font cache)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        svg = function()
        times.append(1000 * (time.perf_counter() - start))
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))], len(svg)


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    try:
        import pygal  # noqa: F401

        have_pygal = True
    except ImportError:
        have_pygal = False
    rows = [
        ("matplotlib", "XmR", matplotlib_xmr),
        ("matplotlib", "intervals", matplotlib_intervals),
    ]
    if have_pygal:
        rows += [("pygal", "XmR", pygal_xmr), ("pygal", "intervals", pygal_intervals)]
    print(f"{'library':<12}{'chart':<11}{'p50 ms':>8}{'p95 ms':>8}{'SVG bytes':>11}")
    for library, chart, function in rows:
        p50, p95, size = measure(function, repeats)
        print(f"{library:<12}{chart:<11}{p50:>8.1f}{p95:>8.1f}{size:>11,}")
    if not have_pygal:
        print("pygal is not installed: pip install pygal to compare")


if __name__ == "__main__":
    main()
