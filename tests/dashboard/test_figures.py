"""Dashboard figures are the service's published figures, recomputed nowhere else."""

from __future__ import annotations

import numpy as np
import pytest

from analytics import summaries
from dashboard import spc
from dashboard.figures import figure_compute
from dashboard.filters import Filters


def test_practice_deciles_are_the_percentiles_of_the_published_practice_figures(demo_population):
    filters = Filters(condition="back-pain")
    answer = figure_compute("practice_deciles", filters=filters)
    variation = summaries.practice_variation(filters.outcome_query(series="quarter"))
    rows = [r for r in answer["results"] if r["measure"] == "enrolment_rate_per_1000"]
    checked = 0
    for row in rows:
        published = [
            p["enrolment_rate_per_1000"]
            for p in variation["results"]
            if p["period"] == row["period"] and not p["suppressed"]
            and p["enrolment_rate_per_1000"] is not None
        ]  # fmt: skip
        if len(published) >= 5:
            assert row["p50"] == pytest.approx(float(np.median(published)), abs=0.006)
            checked += 1
    assert checked >= 4
    assert "2026Q4" not in {r["period"] for r in rows}  # the quarter in progress is left out


def test_the_xmr_columns_are_the_chart_of_the_published_monthly_means(demo_population):
    answer = figure_compute("outcome_spc", filters=Filters(condition="back-pain"))
    rows = [r for r in answer["results"] if r["outcome"] == "quality-of-life"]
    published = [r for r in rows if r["mean_change"] is not None]
    assert all(r["mean_change"] is None for r in rows if r["suppressed"])
    chart = spc.xmr([r["mean_change"] for r in published], target=12.5)
    meta = answer["meta"]["charts"]["quality-of-life"]
    assert meta["variation"] == chart.variation and meta["assurance"] == chart.assurance
    assert [r["special_cause"] for r in published] == chart.rules


def test_the_equity_gap_is_the_summary_apis_quintile_5_minus_quintile_1(demo_population):
    filters = Filters()
    answer = figure_compute("equity_gap", filters=filters)
    for row in answer["results"]:
        summary = summaries.outcome_summary(
            filters.replace(condition=row["condition"]).outcome_query(group_by="imd_quintile")
        )
        change = {r["imd_quintile"]: r["mean_change"] for r in summary["results"]}
        assert row["most_deprived_change"] == change.get("1")
        assert row["least_deprived_change"] == change.get("5")
        if row["gap"] is not None:
            assert row["gap"] == pytest.approx(change["5"] - change["1"], abs=0.051)
