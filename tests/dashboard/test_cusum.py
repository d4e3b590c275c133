"""The "changed recently" CUSUM and "persistently in the worst decile" rules (dashboard/cusum.py).

Tabular CUSUM as in Montgomery, Introduction to Statistical Quality Control, §9.1:
S⁺ = max(0, S⁺ + z − k), k = 0.5, decision interval h = 4 (in SDs of the reference periods).
"""

from __future__ import annotations

import pytest

from dashboard import cusum


def test_a_sustained_rise_in_percentile_is_a_recent_change_up():
    # reference 40, 50, 45, 55 (mean 47.5, SD 6.45); then 75, 80, 85: z = 4.26, 5.04, 5.81
    result = cusum.cusum([40, 50, 45, 55, 75, 80, 85])
    assert result.upper[0] == pytest.approx((75 - 47.5) / 6.4550 - 0.5, abs=1e-3)
    assert result.changed == "up"


def test_a_sustained_fall_is_a_change_down():
    assert cusum.cusum([60, 70, 65, 75, 30, 25, 20]).changed == "down"


def test_ordinary_wobble_is_not_a_change():
    assert cusum.cusum([40, 50, 45, 55, 50, 42, 48, 53]).changed is None


def test_a_practice_that_sat_still_is_judged_against_a_floor_of_five_points():
    # SD 0 at first: without the floor any move at all would alarm
    assert cusum.cusum([50, 50, 50, 50, 55, 56]).changed is None


def test_an_old_change_that_has_settled_back_is_not_recent():
    result = cusum.cusum([40, 50, 45, 55, 95, 40, 40, 40, 40])
    assert result.changed is None


def test_too_short_a_series_is_never_flagged():
    assert cusum.cusum([10, 90, 10, 90]).changed is None


def test_persistently_worst_needs_three_of_the_last_four_quarters():
    assert cusum.persistently_worst([5, 1, 1, 3, 1], higher_is_better=True)
    assert not cusum.persistently_worst([1, 1, 1, 3, 4, 1], higher_is_better=True)


def test_worst_decile_is_the_top_one_when_lower_is_better():
    assert cusum.persistently_worst([10, 10, 10, 2], higher_is_better=False)
    assert not cusum.persistently_worst([1, 1, 1, 1], higher_is_better=False)
