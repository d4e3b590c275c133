"""Means, paired change and MIC classes against scipy on small synthetic data."""

import numpy as np
import pytest
from scipy import stats as sps

from outcomes import statistics as st


@pytest.fixture
def pairs():
    rng = np.random.default_rng(7)
    baseline = rng.integers(5, 40, size=23).astype(float)
    follow_up = np.clip(baseline + rng.normal(6, 8, size=23).round(), 0, 48)
    return baseline, follow_up


def test_mean_ci_matches_scipy_t_interval(pairs):
    values = pairs[0]
    expected = sps.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=sps.sem(values))
    result = st.mean_ci(values)
    assert result.mean == pytest.approx(values.mean())
    assert result.sd == pytest.approx(values.std(ddof=1))
    assert (result.lower, result.upper) == pytest.approx(expected, abs=1e-10)


def test_mean_from_sums_equals_mean_of_values(pairs):
    values = pairs[1]
    by_sums = st.mean_from_sums(len(values), values.sum(), (values**2).sum())
    direct = st.mean_ci(values)
    assert (by_sums.mean, by_sums.lower, by_sums.upper) == pytest.approx(
        (direct.mean, direct.lower, direct.upper), abs=1e-9
    )


def test_paired_change_matches_scipy_paired_t(pairs):
    baseline, follow_up = pairs
    result = st.paired_change(baseline, follow_up)
    test = sps.ttest_rel(follow_up, baseline)
    low, high = test.confidence_interval(0.95)
    assert result.mean == pytest.approx((follow_up - baseline).mean())
    assert (result.lower, result.upper) == pytest.approx((low, high), abs=1e-10)


def test_mean_of_one_value_has_no_interval():
    result = st.mean_ci([3.0])
    assert (result.n, result.mean, result.lower, result.upper) == (1, 3.0, None, None)


def test_classify_changes_by_mic_higher_is_better():
    # OKS MIC 7 (Beard 2015): +7 improved, +6 unchanged, -7 worse, -6.9 unchanged.
    classes = st.classify_changes([20, 20, 20, 20], [27, 26, 13, 13.1], 7, True)
    assert (classes.improved, classes.unchanged, classes.worse) == (1, 2, 1)
    assert classes.percentages() == pytest.approx((25.0, 50.0, 25.0))


def test_classify_changes_reverses_when_higher_is_worse():
    # NRS pain, MIC 2: 7 -> 5 is an improvement, 3 -> 6 is worse.
    classes = st.classify_changes([7, 3, 4], [5, 6, 4], 2, False)
    assert (classes.improved, classes.unchanged, classes.worse) == (1, 1, 1)


def test_wilson_interval_matches_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    for k, n in [(0, 10), (3, 17), (40, 41), (250, 1000)]:
        assert st.wilson_interval(k, n) == pytest.approx(
            proportion_confint(k, n, alpha=0.05, method="wilson"), abs=1e-6
        )
