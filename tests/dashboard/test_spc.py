"""The XmR chart and Making Data Count special-cause rules (dashboard/spc.py).

Limits are checked against the worked example in the NHS-R community's NHSRplotthedots, the
R package that implements NHS England's "Making Data Count" XmR charts
(tests/testthat/_snaps/ptd_spc_standard.md, "it returns expected values"): twenty points,
R's ``set.seed(123); rnorm(20)``, give mean 0.1416238 and process limits −3.01138 and 3.294627;
with the 15th point set to 10, mean 0.6694159 and limits −2.383666 to 3.722497 when moving
ranges are screened (MDC's rule) and −4.596625 to 5.935457 when they are not.

The rules are MDC's ("Making data count: strengthening your decisions", NHS Improvement 2019;
NHSRplotthedots ``ptd_calculate_point_type``): a point outside the limits; 7 points in a row
rising or falling; 2 of 3 points near a limit; 7 points in a row on one side of the mean.
"""

from __future__ import annotations

import pytest

from dashboard import spc

RNORM_SEED_123 = [
    -0.56047565, -0.23017749, 1.55870831, 0.07050839, 0.12928774,
    1.71506499, 0.46091621, -1.26506123, -0.68685285, -0.44566197,
    1.22408180, 0.35981383, 0.40077145, 0.11068272, -0.55584113,
    1.78691314, 0.49785048, -1.96661716, 0.70135590, -0.47279141,
]  # fmt: skip


def test_limits_match_the_nhsrplotthedots_worked_example():
    chart = spc.xmr(RNORM_SEED_123)
    assert chart.mean == pytest.approx(0.1416238, abs=1e-6)
    assert chart.lower == pytest.approx(-3.01138, abs=1e-5)
    assert chart.upper == pytest.approx(3.294627, abs=1e-5)


def test_an_outlying_moving_range_is_screened_out_of_the_limits():
    values = list(RNORM_SEED_123)
    values[14] = 10
    screened = spc.xmr(values)
    assert screened.mean == pytest.approx(0.6694159, abs=1e-6)
    assert (screened.lower, screened.upper) == (
        pytest.approx(-2.383666, abs=1e-5),
        pytest.approx(3.722497, abs=1e-5),
    )
    unscreened = spc.xmr(values, screen=False)
    assert (unscreened.lower, unscreened.upper) == (
        pytest.approx(-4.596625, abs=1e-5),
        pytest.approx(5.935457, abs=1e-5),
    )


def test_a_point_outside_the_limits_is_special_cause():
    values = list(RNORM_SEED_123)
    values[14] = 10
    chart = spc.xmr(values)
    assert chart.rules[14] == "outside-limits"
    assert chart.signals[14] == "improvement"
    assert chart.rules.count("outside-limits") == 1


def test_common_cause_series_has_no_special_cause():
    chart = spc.xmr(RNORM_SEED_123)
    assert chart.rules == [None] * 20
    assert chart.variation == "common-cause"


def _flat(n=14):
    """Alternating around 10 with a moving range of 2: limits 10 ± 5.32."""
    return [10 + (1 if i % 2 else -1) for i in range(n)]


def test_seven_points_above_the_mean_are_a_shift():
    values = [*_flat(15), 10.9, 10.8, 10.7, 10.9, 10.8, 10.7, 10.9]
    chart = spc.xmr(values)
    assert chart.rules[-7:] == ["shift"] * 7
    assert chart.rules[-8] is None


def test_six_points_on_one_side_are_not_a_shift():
    values = [*_flat(15), 10.9, 10.8, 10.7, 10.9, 10.8, 10.7, 9]
    chart = spc.xmr(values)
    assert "shift" not in chart.rules


def test_seven_points_each_lower_are_a_falling_trend_of_concern():
    values = [*_flat(14), 11.5, 11, 10.5, 10, 9.5, 9, 8.5]
    chart = spc.xmr(values, higher_is_better=True)
    assert chart.rules[-7:] == ["trend"] * 7
    assert chart.signals[-1] == "concern"
    assert chart.variation == "concern-low"


def test_six_points_rising_are_not_a_trend():
    values = [*_flat(14), 9, 9.5, 10, 10.5, 11, 11.5]
    chart = spc.xmr(values)
    assert "trend" not in chart.rules


def test_two_of_three_points_near_the_upper_limit():
    # mean 10.6, mean moving range 2.4: near limit ~14.9, upper limit ~16.9
    values = [*_flat(16), 15.5, 11.0, 15.6]
    chart = spc.xmr(values)
    assert chart.rules[-3] == "two-of-three"
    assert chart.rules[-1] == "two-of-three"
    assert chart.rules[-2] is None


def test_lower_is_better_turns_a_high_point_into_concern():
    values = [*_flat(16), 30]
    chart = spc.xmr(values, higher_is_better=False)
    assert chart.signals[-1] == "concern"
    assert chart.variation == "concern-high"


def test_assurance_from_the_target_against_the_limits():
    values = _flat(16)
    assert spc.xmr(values, target=2).assurance == "pass"
    assert spc.xmr(values, target=18).assurance == "fail"
    assert spc.xmr(values, target=10).assurance == "hit-and-miss"
    assert spc.xmr(values, target=None).assurance is None


def test_too_few_points_get_no_limits_and_no_icons():
    chart = spc.xmr(_flat(11))
    assert chart.lower is None and chart.variation is None
    assert chart.rules == [None] * 11
