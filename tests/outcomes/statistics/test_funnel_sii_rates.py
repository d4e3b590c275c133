"""Funnel limits, slope index of inequality, rates and ranks against independent calculations."""

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats as sps

from outcomes import statistics as st


def test_funnel_limits_for_a_mean():
    limits = st.funnel_limits_mean(target=10.0, sd=8.0, n=25)
    se = 8.0 / 5
    assert limits.lower_95 == pytest.approx(10 - sps.norm.ppf(0.975) * se)
    assert limits.upper_95 == pytest.approx(10 + sps.norm.ppf(0.975) * se)
    assert limits.lower_998 == pytest.approx(10 - sps.norm.ppf(0.999) * se)
    assert limits.upper_998 == pytest.approx(10 + sps.norm.ppf(0.999) * se)


def test_funnel_position_bands_and_limit_counts_as_within():
    limits = st.funnel_limits_mean(0, 1, 1)
    assert limits.position(0) == "within"
    assert limits.position(limits.upper_95) == "within"
    assert limits.position(2.5) == "above_95"
    assert limits.position(3.5) == "above_99.8"
    assert limits.position(-2.5) == "below_95"
    assert limits.position(-3.5) == "below_99.8"


@pytest.fixture
def quintiles():
    # Quintile 1 = most deprived first, as PHE orders them.
    values = np.array([6.1, 7.4, 8.0, 9.3, 9.9])
    populations = np.array([130, 110, 100, 90, 70])
    se = np.array([0.9, 0.8, 0.85, 1.0, 1.1])
    return values, populations, se


def test_sii_matches_statsmodels_wls_on_ridit_midpoints(quintiles):
    values, populations, se = quintiles
    a = populations / populations.sum()
    ranks = np.cumsum(a) - a / 2
    fit = sm.WLS(values, sm.add_constant(ranks), weights=a).fit()
    result = st.slope_index_of_inequality(values, populations, se)
    assert result.ranks == pytest.approx(list(ranks))
    assert result.sii == pytest.approx(fit.params[1], abs=1e-10)
    assert result.intercept == pytest.approx(fit.params[0], abs=1e-10)
    assert result.rii == pytest.approx((fit.params[0] + fit.params[1]) / fit.params[0])


def test_rii_is_meaningful_when_both_fitted_ends_are_positive(quintiles):
    values, populations, se = quintiles
    assert st.slope_index_of_inequality(values, populations, se).rii_meaningful


@pytest.mark.parametrize(
    "values",
    [
        [-2.0, -1.0, 0.5, 1.5, 2.5],  # most deprived end below zero
        [2.5, 1.5, 0.5, -1.0, -2.0],  # least deprived end below zero
    ],
)
def test_rii_is_not_meaningful_when_a_fitted_end_is_zero_or_negative(quintiles, values):
    _, populations, se = quintiles
    assert not st.slope_index_of_inequality(values, populations, se).rii_meaningful


def test_sii_interval_agrees_with_simulation(quintiles):
    # PHE draws y_i ~ N(value_i, se_i) and refits; the closed form is the limit of that.
    values, populations, se = quintiles
    a = populations / populations.sum()
    ranks = np.cumsum(a) - a / 2
    x = sm.add_constant(ranks)
    rng = np.random.default_rng(1)
    draws = rng.normal(values, se, size=(20_000, 5))
    slopes = [sm.WLS(d, x, weights=a).fit().params[1] for d in draws[:4000]]
    low, high = np.percentile(slopes, [2.5, 97.5])
    result = st.slope_index_of_inequality(values, populations, se)
    assert result.lower == pytest.approx(low, abs=0.25)
    assert result.upper == pytest.approx(high, abs=0.25)


def test_byar_and_exact_poisson_limits():
    for observed in [0, 3, 9]:
        lower, upper, method = st.poisson_limits(observed)
        assert method == "exact Poisson"
        expected_low = 0 if observed == 0 else sps.chi2.ppf(0.025, 2 * observed) / 2
        assert lower == pytest.approx(expected_low, abs=1e-8)
        assert upper == pytest.approx(sps.chi2.ppf(0.975, 2 * observed + 2) / 2, rel=1e-9)
    lower, upper, method = st.poisson_limits(40)
    z = sps.norm.ppf(0.975)
    assert method == "Byar"
    assert lower == pytest.approx(40 * (1 - 1 / 360 - z / (3 * np.sqrt(40))) ** 3)
    assert upper == pytest.approx(41 * (1 - 1 / 369 + z / (3 * np.sqrt(41))) ** 3)


def test_crude_rate_per_thousand():
    rate = st.crude_rate(45, 9000)
    assert rate.value == pytest.approx(5.0)
    lower, upper, _ = st.poisson_limits(45)
    assert (rate.lower, rate.upper) == pytest.approx((lower / 9, upper / 9))


def test_directly_standardised_rate_with_esp2013():
    rng = np.random.default_rng(3)
    populations = rng.integers(500, 5000, size=19).astype(float)
    events = rng.integers(0, 40, size=19)
    w = np.array(st.ESP2013, dtype=float)
    assert w.sum() == 100_000
    dsr = (events * w / populations).sum() / w.sum()
    var = (events * (w / populations) ** 2).sum() / w.sum() ** 2
    total = events.sum()
    z = sps.norm.ppf(0.975)
    o_low = total * (1 - 1 / (9 * total) - z / (3 * np.sqrt(total))) ** 3
    o_high = (total + 1) * (1 - 1 / (9 * (total + 1)) + z / (3 * np.sqrt(total + 1))) ** 3
    rate = st.directly_standardised_rate(events, populations)
    assert rate.value == pytest.approx(dsr * 100_000)
    assert rate.lower == pytest.approx((dsr + np.sqrt(var / total) * (o_low - total)) * 100_000)
    assert rate.upper == pytest.approx((dsr + np.sqrt(var / total) * (o_high - total)) * 100_000)


def test_dsr_not_calculated_below_ten_events():
    assert st.directly_standardised_rate([3] + [0] * 18, [1000] * 19) is None


def test_indirectly_standardised_ratio():
    populations = [1200, 800, 400]
    reference_rates = [0.01, 0.02, 0.05]
    expected = 12 + 16 + 20
    ratio = st.indirectly_standardised_ratio(60, populations, reference_rates)
    assert ratio.value == pytest.approx(60 / expected)
    lower, upper, _ = st.poisson_limits(60)
    assert (ratio.lower, ratio.upper) == pytest.approx((lower / expected, upper / expected))


def test_percent_rank_and_deciles_follow_sql_percent_rank():
    values = [5.0, 1.0, None, 3.0, 3.0, 9.0]
    # sorted present: 1, 3, 3, 5, 9 -> ranks 0, 1/4, 1/4, 3/4, 1
    assert st.percent_rank(values) == [0.75, 0.0, None, 0.25, 0.25, 1.0]
    assert st.deciles(values) == [8, 1, None, 3, 3, 10]
    assert st.deciles([2.0]) == [1]
