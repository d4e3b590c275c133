"""Value by deprivation fifth: each fifth's figures carry bootstrap intervals like the options',
under the same disclosure rule. A hand-checkable case: every patient costs £100, half gain 0.1
QALYs and half nothing, so the benefit is a proportion of 0.1 with a known standard error."""

from __future__ import annotations

import math

import pytest

from value.analysis import equity_rows
from value.economics import Counterfactual, EpisodeRecord

HALF_YEAR = 0.5


def _patients(n: int, quintile: int | None, option: str = "A") -> list[EpisodeRecord]:
    """n patients: cost £100 each; the first half gain 0.1 QALYs over half a year (utility up
    0.4, area 0.5 x 0.4 / 2 = 0.1), the rest stay at their baseline (gain 0)."""
    records = []
    for i in range(n):
        end = 0.9 if i < n // 2 else 0.5
        records.append(EpisodeRecord(option, 100.0, 0.5, ((HALF_YEAR, end),), quintile))
    return records


@pytest.fixture
def rules(settings):
    settings.DISCLOSURE_MIN_CELL = 8
    settings.DISCLOSURE_ROUND_TO = 5
    settings.DISCLOSURE_MIN_ADJUSTED = 30


def _rows(records, threshold=30):
    return equity_rows(
        records,
        {"A": "Option A"},
        horizon=HALF_YEAR,
        years=1.0,
        counterfactual=Counterfactual(),
        adjust=False,
        threshold=threshold,
        replicates=2000,
        seed=7,
    )


def test_a_fifths_benefit_interval_matches_the_normal_interval_of_a_proportion(db, rules):
    rows = _rows(_patients(100, 1) + _patients(60, 5))
    most = next(r for r in rows if r["imd_quintile"] == 1)
    # Hand check: mean 0.05; sd of a 0/0.1 split in halves is 0.05, so the standard error is
    # 0.05 / sqrt(100) = 0.005 and the 95% interval 0.05 ± 1.96 x 0.005 = 0.0402 to 0.0598.
    assert most["benefit_per_patient"] == pytest.approx(0.05)
    assert most["benefit_per_patient_lower"] == pytest.approx(0.0402, abs=0.0015)
    assert most["benefit_per_patient_upper"] == pytest.approx(0.0598, abs=0.0015)


def test_a_fifths_cost_interval_is_a_point_when_every_patient_costs_the_same(db, rules):
    most = next(r for r in _rows(_patients(100, 1)) if r["imd_quintile"] == 1)
    assert most["cost_per_patient_lower"] == most["cost_per_patient_upper"] == 100.0


def test_a_fifths_qalys_per_million_interval_is_its_benefit_interval_over_the_cost(db, rules):
    most = next(r for r in _rows(_patients(100, 1)) if r["imd_quintile"] == 1)
    # £100 a patient: QALYs per £1m = benefit x 10,000, ends included.
    assert most["qalys_per_million"] == pytest.approx(500.0)
    assert most["qalys_per_million_lower"] == pytest.approx(most["benefit_per_patient_lower"] * 1e4)
    assert most["qalys_per_million_upper"] == pytest.approx(most["benefit_per_patient_upper"] * 1e4)


def test_a_fifth_below_the_threshold_has_no_figure_and_no_interval(db, rules):
    rows = _rows(_patients(100, 1) + _patients(20, 5))
    least = next(r for r in rows if r["imd_quintile"] == 5)
    assert least["patients"] == 20 and least["suppressed"]
    for figure in ("cost_per_patient", "benefit_per_patient", "qalys_per_million"):
        assert least[figure] is None
        assert least[f"{figure}_lower"] is None and least[f"{figure}_upper"] is None


def test_a_fifth_withheld_by_secondary_suppression_has_no_interval(db, rules):
    # Fifth 5 has 4 patients (withheld); fifth 3 is the smallest other and goes with it.
    rows = _rows(_patients(100, 1) + _patients(40, 3) + _patients(4, 5))
    third = next(r for r in rows if r["imd_quintile"] == 3)
    assert third["patients"] is None and third["suppressed"]
    assert third["benefit_per_patient_lower"] is None


def test_each_fifths_interval_is_the_same_for_the_same_seed(db, rules):
    records = _patients(100, 1) + _patients(60, 2)
    assert _rows(records) == _rows(records)


def test_the_interval_brackets_the_figure(db, rules):
    rows = [r for r in _rows(_patients(100, 1) + _patients(60, 2)) if not r["suppressed"]]
    assert len(rows) == 2
    for row in rows:
        for figure in ("benefit_per_patient", "qalys_per_million"):
            assert row[f"{figure}_lower"] <= row[figure] <= row[f"{figure}_upper"]
            assert not math.isnan(row[f"{figure}_lower"])
