"""Time to build one board pack, its charts drawn as PNG for print (what the pack uses) against
SVG (what it used), and its dashboard tables as the pack prints them against in full (every
column and row, as it printed them before), one run.

    .venv/bin/python bench/board_pack.py [--condition knee-pain] [--repeats 3]

Runs on the database the settings name (the demo's SQLite file unless ``DATABASE_URL`` is set;
build it with ``manage.py migrate && manage.py demo_setup``). For each chart format: the
figures and charts of the pack for the 12 months to the end of last month, with the dashboard's
caches emptied and off (``pack_build``), then the PDF step (``board_pack_pdf``: the template,
WeasyPrint's layout and ``write_pdf``) ``repeats`` times, printing the median wall and CPU
seconds, pages, PDF size and table cells. "full" patches ``reports.figures.dashboard_table`` to
print every column and row of each dashboard table in its own cell, as the pack did before
reports/tables.py (the fixed table layout stays). WeasyPrint is imported before timing (a worker
imports it once). Wall time on a shared machine is inflated by other processes; CPU time is
this process's own. Figures are recorded in docs/benchmarks.md (the board pack).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
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

from django.core.cache import cache  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.test import override_settings  # noqa: E402

from reports import figures  # noqa: E402
from reports.packs import PackFilters, pack_build  # noqa: E402
from reports.services import board_pack_pdf  # noqa: E402
from reports.tables import Table  # noqa: E402


def full_table(columns, rows, cell):
    """The dashboard's table as the pack printed it before: every column and row."""
    return Table(
        [label for _key, label in columns], [[cell(row, key) for key, _ in columns] for row in rows]
    ), []


def timed(function, *args, **kwargs):
    wall, cpu = time.perf_counter(), time.process_time()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - wall, time.process_time() - cpu


def measure(filters: PackFilters, chart_format: str, tables: str, repeats: int) -> dict:
    saved = figures.dashboard_table
    if tables == "full":
        figures.dashboard_table = full_table
    try:
        with override_settings(DASHBOARD_CACHE_SECONDS=0, OUTCOME_SUMMARY_CACHE_SECONDS=0):
            cache.clear()
            pack, figures_wall, figures_cpu = timed(pack_build, filters, chart_format=chart_format)
    finally:
        figures.dashboard_table = saved
    walls, cpus = [], []
    for _ in range(repeats):
        (pdf, pages), wall, cpu = timed(board_pack_pdf, pack)
        walls.append(wall)
        cpus.append(cpu)
    html = render_to_string("reports/board_pack.html", {"pack": pack})
    return {
        "case": f"{chart_format}, {tables}",
        "figures_wall": figures_wall,
        "figures_cpu": figures_cpu,
        "pdf_wall": statistics.median(walls),
        "pdf_cpu": statistics.median(cpus),
        "pages": pages,
        "kb": len(pdf) / 1024,
        "cells": html.count("<td"),
        "images": html.count("<img"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--condition", default="knee-pain")
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    import weasyprint  # noqa: F401  (imported once by a worker, not per pack)

    first = dt.date.today().replace(day=1)
    last = first - dt.timedelta(days=1)
    month = last.year * 12 + last.month - 1 - 11  # the 12 months to the end of last month
    filters = PackFilters(options.condition, dt.date(month // 12, month % 12 + 1, 1), last)
    print(f"Board pack: {options.condition}, {filters.describe()}; PDF step median of "
          f"{options.repeats}; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    cases = [("svg", "full"), ("svg", "pack"), ("png", "pack")]  # before, half-way, now
    rows = [measure(filters, *case, options.repeats) for case in cases]
    print(
        f"{'charts, tables':<15}{'figures wall s':>15}{'figures CPU s':>14}{'PDF wall s':>11}"
        f"{'PDF CPU s':>10}{'pages':>6}{'KB':>7}{'cells':>7}{'images':>7}"
    )
    for row in rows:
        print(
            f"{row['case']:<15}{row['figures_wall']:>15.2f}{row['figures_cpu']:>14.2f}"
            f"{row['pdf_wall']:>11.2f}{row['pdf_cpu']:>10.2f}{row['pages']:>6}"
            f"{row['kb']:>7.0f}{row['cells']:>7}{row['images']:>7}"
        )
    before, svg, png = rows
    for label, slow in (("SVG charts, full tables", before), ("SVG charts", svg)):
        print(
            f"PDF step, {label} / PNG charts, pack tables: "
            f"{slow['pdf_wall'] / png['pdf_wall']:.1f}x wall, "
            f"{slow['pdf_cpu'] / png['pdf_cpu']:.1f}x CPU"
        )


if __name__ == "__main__":
    main()
