"""Over-dispersed funnel limits and proportion intervals against independent calculations.

Sources: Spiegelhalter DJ, Handling over-dispersion of performance indicators, Qual Saf Health
Care 2005;14:347-51 (z-scores, 10% winsorisation, φ, the χ² test, additive τ² by the
DerSimonian-Laird moment formula); Spiegelhalter DJ, Funnel plots for comparing institutional
performance, Stat Med 2005;24:1185-1202 (proportion limits). The paper's data sets are not in
the project's open reference material, so the worked example below is written out by hand
from the paper's formulas, step by step, and the estimator is also checked against
statsmodels' DerSimonian-Laird and scipy's winsorize.
"""

import math

import numpy as np
import pytest
import scipy.stats as sps
from scipy.stats import mstats
from statsmodels.stats.meta_analysis import combine_effects
from statsmodels.stats.proportion import proportion_confint

from analytics import funnels
from outcomes import statistics as st

# Twelve providers' adjusted mean change (0-100 scale) and n; residual SD 18.
CHANGES = [14.0, 9.5, 21.0, 12.2, 16.8, 6.1, 25.3, 11.0, 13.7, 18.4, 8.2, 15.5]
NS = [120, 85, 60, 240, 150, 45, 70, 310, 95, 130, 55, 200]
SIGMA = 18.0
TARGET = 13.9


def test_worked_example_follows_the_papers_steps():
    se = [SIGMA / math.sqrt(n) for n in NS]
    # Step 1: z-scores against the target.
    z = [(y - TARGET) / s for y, s in zip(CHANGES, se, strict=True)]
    # Step 2: winsorise 10%: floor(0.1 * 12) = 1 value at each end pulled in to its neighbour.
    ordered = sorted(z)
    zw = [min(max(v, ordered[1]), ordered[-2]) for v in z]
    # Step 3: φ = Σ zw² / I; test I·φ on χ²(I − 1).
    phi = sum(v * v for v in zw) / 12
    p_value = sps.chi2.sf(12 * phi, 11)
    # Step 4: τ² = (I·φ − (I − 1)) / (Σw − Σw²/Σw), w = 1/s².
    w = [1 / s**2 for s in se]
    tau2 = (12 * phi - 11) / (sum(w) - sum(x * x for x in w) / sum(w))
    result = funnels.overdispersion(CHANGES, se, TARGET)
    assert result.phi == pytest.approx(phi, rel=1e-12)
    assert result.p_value == pytest.approx(p_value, rel=1e-9)
    assert p_value < 0.05 and result.applied
    assert result.tau2 == pytest.approx(tau2, rel=1e-12)
    # Step 5: limits target ± z·√(s² + τ²); the widest unit is the smallest.
    limits = funnels.widened_limits(TARGET, se[5], result.tau2)
    half = sps.norm.ppf(0.975) * math.sqrt(se[5] ** 2 + tau2)
    assert (limits.lower_95, limits.upper_95) == pytest.approx((TARGET - half, TARGET + half))
    half998 = sps.norm.ppf(0.999) * math.sqrt(se[5] ** 2 + tau2)
    assert limits.upper_998 == pytest.approx(TARGET + half998)


def test_tau2_without_winsorising_is_dersimonian_laird_as_statsmodels():
    se = np.array([SIGMA / math.sqrt(n) for n in NS])
    weights = 1 / se**2
    centre = float(np.sum(weights * CHANGES) / weights.sum())  # the national (weighted) mean
    result = funnels.overdispersion(CHANGES, list(se), centre, winsor=0)
    reference = combine_effects(np.array(CHANGES), se**2, method_re="dl")
    assert result.tau2 == pytest.approx(reference.tau2, rel=1e-9)
    q = float(np.sum(weights * (np.array(CHANGES) - centre) ** 2))
    assert result.chi2 == pytest.approx(q, rel=1e-12)


def test_winsorising_matches_scipy():
    values = [3.0, -1.0, 7.5, 0.2, -4.4, 2.2, 9.9, -0.5, 1.1, 5.0, -2.0, 0.0, 4.4, 6.6, -7.0]
    expected = mstats.winsorize(np.array(values), limits=(0.1, 0.1))
    assert funnels.winsorise(values) == pytest.approx(list(np.asarray(expected)))


def test_no_overdispersion_leaves_the_limits_as_chance_draws_them():
    se = [SIGMA / math.sqrt(n) for n in NS]
    rng = np.random.default_rng(3)
    values = [TARGET + rng.normal(0, s) * 0.5 for s in se]  # less spread than chance
    result = funnels.overdispersion(values, se, TARGET)
    assert result.tau2 == 0.0 and not result.applied
    assert "No over-dispersion" in result.note


def test_too_few_providers_are_named_and_limits_are_not_widened():
    se = [SIGMA / math.sqrt(n) for n in NS[:5]]
    result = funnels.overdispersion(CHANGES[:5], se, TARGET, unit_name="providers")
    assert result.tau2 is None and not result.applied
    assert "Too few providers (5; at least 10 needed)" in result.note
    assert result.p_value == pytest.approx(sps.chi2.sf(result.chi2, 4))


def test_proportion_funnel_se_is_binomial_at_the_target():
    assert funnels.proportion_se(0.6, 50) == pytest.approx(math.sqrt(0.6 * 0.4 / 50))


@pytest.mark.parametrize("successes,n", [(0, 10), (3, 10), (10, 10), (37, 120), (1, 8)])
def test_exact_interval_matches_clopper_pearson(successes, n):
    low, high = proportion_confint(successes, n, method="beta")
    assert funnels.exact_interval(successes, n) == pytest.approx((low, high), abs=1e-9)


@pytest.mark.parametrize("successes,n", [(0, 10), (3, 10), (10, 10), (37, 120), (1, 8)])
def test_wilson_interval_matches_statsmodels(successes, n):
    low, high = proportion_confint(successes, n, method="wilson")
    assert st.wilson_interval(successes, n) == pytest.approx((low, high), abs=1e-12)


def test_rii_interval_agrees_with_an_independent_simulation():
    means = [8.0, 9.5, 11.0, 12.0, 13.5]
    ns = [40, 55, 60, 70, 80]
    ses = [16 / math.sqrt(n) for n in ns]
    index = st.slope_index_of_inequality(means, ns, ses)
    rng = np.random.default_rng(11)
    draws = rng.normal(means, ses, size=(20000, 5))
    shares = np.array(ns) / sum(ns)
    ranks = np.cumsum(shares) - shares / 2
    x = np.column_stack([np.ones(5), ranks])
    hat = np.linalg.solve(x.T @ np.diag(shares) @ x, x.T @ np.diag(shares))
    fitted = draws @ hat.T
    rii = (fitted[:, 0] + fitted[:, 1]) / fitted[:, 0]
    low, high = np.percentile(rii, [2.5, 97.5])
    # Two simulations of a skewed ratio's tails agree to Monte Carlo error (a few per cent).
    assert index.rii_lower == pytest.approx(low, rel=0.03)
    assert index.rii_upper == pytest.approx(high, rel=0.06)
    assert index.rii_lower < index.rii < index.rii_upper
