"""Time the value report (value/analysis.py) beside the outcome summary it sits on.

    .venv/bin/python bench/value_report.py --patients 4000 --runs 5
    .venv/bin/python bench/value_report.py --patients 30000 --runs 3 \
        --database-url postgres://postgres@127.0.0.1:5432/proms_mine

Builds a throwaway database (in-memory SQLite by default, nothing touches db.sqlite3; with
``--database-url``, a ``test_``-prefixed PostgreSQL database beside the one named, dropped at
the end) with the reference data,
illustrative unit costs and ``--patients`` synthetic back-pain patients from value/synthetic.py,
then times, ``--runs`` times each: the baseline (analytics' back-pain outcome summary, the SQL
aggregate the API already serves), reading and costing the episodes, the whole value report with
200 and with 1,000 bootstrap replicates, the equity rows alone (each fifth's bootstrap), drawing
the STAR chart and laying out the PDF. Prints a Markdown table for docs/benchmarks.md; compare
ratios, the machine is shared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proms.settings")


def _database_url() -> str | None:
    """``--database-url`` (read before Django is set up, which reads DATABASE_URL)."""
    for index, argument in enumerate(sys.argv):
        if argument == "--database-url" and index + 1 < len(sys.argv):
            return sys.argv[index + 1]
        if argument.startswith("--database-url="):
            return argument.split("=", 1)[1]
    return None


if _database_url():
    os.environ["DATABASE_URL"] = _database_url()
else:
    os.environ.pop("DATABASE_URL", None)  # the in-memory SQLite test database below

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--patients", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", help="PostgreSQL server and database name to use")
    parser.add_argument(
        "--profile", action="store_true", help="also profile one 1,000-replicate report"
    )
    args = parser.parse_args()

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    print(f"database: {connection.vendor} {name}")
    try:
        run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args) -> None:
    from django.utils import timezone

    from analytics import summaries
    from outcomes.loading import catalogue
    from outcomes.services import definitions_load
    from reports.services import board_pack_pdf
    from surveys import reference
    from value import economics as econ
    from value.analysis import equity_rows, value_report
    from value.charts import star_svg
    from value.economics import Counterfactual
    from value.pdf import value_pack
    from value.selectors import ValueQuery, episode_records
    from value.services import unit_costs_load
    from value.synthetic import value_population_write

    definitions_load(definitions=catalogue())
    reference.areas_load()
    reference.practices_load(mid_notts_only=True)
    unit_costs_load(
        data=(ROOT / "value" / "data" / "illustrative_unit_costs.csv").read_bytes(),
        name="Illustrative",
        illustrative=True,
    )
    today = dt.date.today()
    started = time.perf_counter()
    value_population_write(patients=args.patients, seed=1, today=today)
    print(f"{args.patients} back-pain patients written in {time.perf_counter() - started:.1f} s")

    window = {
        "referred_from": today - dt.timedelta(days=730),
        "referred_to": today - dt.timedelta(days=224),
    }
    counterfactual = Counterfactual(kind="assumption", change=0.04, low=0.0, high=0.08)

    def query(replicates: int) -> ValueQuery:
        return ValueQuery(
            condition="back-pain",
            counterfactual=counterfactual,
            replicates=replicates,
            **window,
        )

    baseline = summaries.OutcomeQuery(
        condition="back-pain",
        measure=summaries.measure_resolve("eq-5d-5l", "index", None),
        timepoint="6-months",
        baseline_timepoint="baseline",
    )
    report = value_report(query(1000))
    loaded = episode_records(query(1000))

    def equity() -> None:
        equity_rows(
            loaded.records,
            loaded.labels,
            horizon=loaded.horizon_days / econ.DAYS_PER_YEAR,
            years=((loaded.referred_to - loaded.referred_from).days + 1) / econ.DAYS_PER_YEAR,
            counterfactual=counterfactual,
            adjust=True,
            threshold=30,
            replicates=1000,
            seed=20260401,
        )

    cases = [
        (
            "baseline: outcome summary, EQ-5D-5L index (analytics)",
            lambda: summaries.outcome_summary(baseline),
        ),
        ("read and cost the episodes", lambda: episode_records(query(200))),
        ("value report, 200 bootstrap replicates", lambda: value_report(query(200))),
        ("value report, 1,000 bootstrap replicates", lambda: value_report(query(1000))),
        ("of which: equity by fifth with intervals, 1,000 replicates", equity),
        ("STAR chart SVG (from a report)", lambda: star_svg(report)),
        (
            "PDF from a report (layout, chart, WeasyPrint)",
            lambda: board_pack_pdf(value_pack(report, made_at=timezone.now())),
        ),
    ]
    rows = []
    for label, run in cases:
        run()  # warm-up
        times = []
        for _ in range(args.runs):
            econ.record_qalys.cache_clear()  # each run computes its QALYs, as a new report does
            started = time.perf_counter()
            run()
            times.append((time.perf_counter() - started) * 1000)
        rows.append((label, statistics.median(times), max(times)))
    base = rows[0][1]
    episodes = len(episode_records(query(200)).records)
    print(f"\n{episodes} episodes in the 18-month window; median of {args.runs} runs\n")
    print("| case | median ms | max ms | × baseline |")
    print("|---|---:|---:|---:|")
    for label, median, worst in rows:
        print(f"| {label} | {median:.0f} | {worst:.0f} | {median / base:.1f} |")

    if args.profile:
        import cProfile
        import pstats

        econ.record_qalys.cache_clear()
        profiler = cProfile.Profile()
        profiler.enable()
        value_report(query(1000))
        profiler.disable()
        print("\nWhere one 1,000-replicate report spends its time (cumulative):\n")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(18)


if __name__ == "__main__":
    main()
