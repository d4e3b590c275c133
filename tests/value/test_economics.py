"""Worked examples, checked by hand, for value/economics.py (no database).

Each expected number is worked out in the comment beside it, so a reader can redo it on paper.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from value import economics as econ
from value import uncertainty
from value.economics import Counterfactual, EpisodeRecord

HALF_YEAR = 0.5


def test_qalys_are_the_area_under_the_utility_curve():
    # 0.5 at baseline, 0.6 at 3 months, 0.7 at 6 months:
    # 0.25 x (0.5 + 0.6) / 2 + 0.25 x (0.6 + 0.7) / 2 = 0.1375 + 0.1625 = 0.3 QALYs.
    result = econ.episode_qalys(baseline=0.5, follow_ups=[(0.25, 0.6), (0.5, 0.7)], horizon=0.5)
    assert result.status == econ.COMPLETE
    assert result.qalys == pytest.approx(0.3)


def test_qaly_gain_is_the_area_above_the_patients_own_baseline():
    # 0.3 QALYs minus 0.5 (baseline utility) x 0.5 years = 0.05 QALYs gained.
    result = econ.episode_qalys(baseline=0.5, follow_ups=[(0.25, 0.6), (0.5, 0.7)], horizon=0.5)
    assert result.gain == pytest.approx(0.05)


def test_a_missing_intermediate_timepoint_is_bridged_by_a_straight_line():
    # Only baseline 0.5 and 6 months 0.7: 0.5 x (0.5 + 0.7) / 2 = 0.3 QALYs, flagged.
    result = econ.episode_qalys(baseline=0.5, follow_ups=[(0.25, None), (0.5, 0.7)], horizon=0.5)
    assert result.status == econ.INTERPOLATED
    assert result.qalys == pytest.approx(0.3)


def test_a_missing_horizon_follow_up_gives_no_qalys():
    result = econ.episode_qalys(baseline=0.5, follow_ups=[(0.25, 0.6), (0.5, None)], horizon=0.5)
    assert result == econ.QalyResult(econ.NO_FOLLOW_UP)


def test_a_missing_baseline_gives_no_qalys():
    result = econ.episode_qalys(baseline=None, follow_ups=[(0.5, 0.7)], horizon=0.5)
    assert result == econ.QalyResult(econ.NO_BASELINE)


def test_timepoints_after_the_horizon_are_not_counted():
    # Horizon 3 months: 0.25 x (0.5 + 0.6) / 2 = 0.1375; the 6-month value is ignored.
    result = econ.episode_qalys(baseline=0.5, follow_ups=[(0.25, 0.6), (0.5, 0.9)], horizon=0.25)
    assert result.qalys == pytest.approx(0.1375)


def _records(option, pairs, cost=100.0):
    """Episodes with baseline u0 whose utility rises linearly to u0 + 4 x gain at 6 months, so
    the QALY gain over half a year is exactly ``gain`` (triangle: 4g x 0.5 / 2 = g)."""
    return [
        EpisodeRecord(option=option, cost=cost, baseline=u0, follow_ups=((0.5, u0 + 4 * g),))
        for u0, g in pairs
    ]


BASELINE_IMBALANCE = _records("A", [(0.4, 0.10), (0.6, 0.06)]) + _records(
    "B", [(0.6, 0.06), (0.8, 0.02)]
)


def test_without_baseline_adjustment_the_option_with_worse_baselines_looks_better():
    # A: (0.10 + 0.06) / 2 = 0.08; B: (0.06 + 0.02) / 2 = 0.04.
    estimates = econ.option_estimates(
        BASELINE_IMBALANCE, horizon=HALF_YEAR, counterfactual=Counterfactual(), adjust=False
    )
    assert estimates["A"].gain_per_patient == pytest.approx(0.08)
    assert estimates["B"].gain_per_patient == pytest.approx(0.04)


def test_baseline_adjustment_compares_options_at_the_pooled_mean_baseline():
    # In both options the gain falls 0.04 for each 0.2 of baseline utility (slope -0.2), and
    # both lines pass through 0.06 at the pooled mean baseline 0.6: adjusted, A = B = 0.06.
    means, slope = econ.adjusted_mean_gains(
        gains=[0.10, 0.06, 0.06, 0.02],
        baselines=[0.4, 0.6, 0.6, 0.8],
        groups=["A", "A", "B", "B"],
    )
    assert means == pytest.approx({"A": 0.06, "B": 0.06})
    assert slope == pytest.approx(-0.2)


def test_option_estimates_use_the_adjusted_gain_by_default():
    estimates = econ.option_estimates(
        BASELINE_IMBALANCE, horizon=HALF_YEAR, counterfactual=Counterfactual()
    )
    assert estimates["A"].gain_per_patient == pytest.approx(0.06)


def test_adjustment_agrees_with_statsmodels_ols():
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(1)
    groups = ["A"] * 40 + ["B"] * 60 + ["C"] * 30
    u0 = rng.uniform(0.2, 0.9, len(groups))
    effect = {"A": 0.05, "B": 0.02, "C": 0.08}
    gains = [
        effect[g] - 0.1 * (u - 0.5) + rng.normal(0, 0.02) for g, u in zip(groups, u0, strict=True)
    ]
    means, slope = econ.adjusted_mean_gains(gains=gains, baselines=u0, groups=groups)
    import pandas as pd

    frame = pd.DataFrame({"gain": gains, "group": groups, "u0c": u0 - u0.mean()})
    fit = smf.ols("gain ~ 0 + C(group) + u0c", data=frame).fit()
    assert means["C"] == pytest.approx(fit.params["C(group)[C]"])
    assert slope == pytest.approx(fit.params["u0c"])


def test_cost_per_qaly_and_qalys_per_million():
    # £600 for 0.02 QALYs: 600 / 0.02 = £30,000 per QALY; 0.02 / 600 x 1,000,000 = 33.3 QALYs.
    assert econ.cost_per_qaly(600, 0.02) == pytest.approx(30_000)
    assert econ.qalys_per_million(600, 0.02) == pytest.approx(33.333333)


def test_no_cost_per_qaly_when_nothing_is_gained():
    assert econ.cost_per_qaly(600, 0.0) is None
    assert econ.cost_per_qaly(600, -0.01) is None


def test_an_assumed_counterfactual_is_subtracted_as_a_triangle():
    # Utility +0.04 by 6 months without care: 0.04 x 0.5 / 2 = 0.01 QALYs. A gains 0.06.
    estimates = econ.option_estimates(
        BASELINE_IMBALANCE,
        horizon=HALF_YEAR,
        counterfactual=Counterfactual(kind="assumption", change=0.04, low=0.0, high=0.08),
    )
    assert estimates["A"].counterfactual_per_patient == pytest.approx(0.01)
    assert estimates["A"].benefit_per_patient == pytest.approx(0.05)


def test_a_cohort_counterfactual_uses_the_comparison_options_gain():
    records = _records("treated", [(0.5, 0.05)] * 3) + _records("waiting", [(0.5, 0.01)] * 3)
    estimates = econ.option_estimates(
        records, horizon=HALF_YEAR, counterfactual=Counterfactual(kind="cohort", cohort="waiting")
    )
    assert estimates["treated"].benefit_per_patient == pytest.approx(0.04)
    assert estimates["waiting"].benefit_per_patient == pytest.approx(0.0)


def test_zero_counterfactual_carries_a_warning():
    assert "overstates" in Counterfactual().warning
    assert Counterfactual(kind="assumption", change=0.02).warning is None


def test_options_below_the_threshold_get_counts_but_no_figures():
    estimates = econ.option_estimates(
        BASELINE_IMBALANCE, horizon=HALF_YEAR, counterfactual=Counterfactual(), min_patients=3
    )
    assert estimates["A"].patients == 2
    assert estimates["A"].benefit_per_patient is None


def test_totals_scale_per_patient_figures_by_patients_a_year():
    # 2 episodes over 2 years = 1 a year; cost £100 each; gain 0.06 each (adjusted).
    estimates = econ.option_estimates(
        BASELINE_IMBALANCE, horizon=HALF_YEAR, counterfactual=Counterfactual(), years=2.0
    )
    assert estimates["A"].patients_per_year == 1.0
    assert estimates["A"].total_cost == pytest.approx(100)
    assert estimates["A"].total_benefit == pytest.approx(0.06)


def test_missing_follow_ups_are_counted_by_reason():
    records = [
        EpisodeRecord("A", 10, 0.5, ((0.5, 0.6),)),
        EpisodeRecord("A", 10, None, ((0.5, 0.6),)),
        EpisodeRecord("A", 10, 0.5, ((0.5, None),)),
        EpisodeRecord("A", 10, 0.5, ((0.25, None), (0.5, 0.7))),
    ]
    estimate = econ.option_estimates(records, horizon=HALF_YEAR, counterfactual=Counterfactual())[
        "A"
    ]
    assert (estimate.patients, estimate.complete, estimate.interpolated) == (4, 2, 1)
    assert estimate.missing == {econ.NO_BASELINE: 1, econ.NO_FOLLOW_UP: 1}


# --- STAR geometry ------------------------------------------------------------------------

OPTIONS = {"A": (100.0, 2.0), "B": (300.0, 3.0), "C": (200.0, 5.0)}


def test_star_triangles_are_stacked_by_slope():
    # Slopes: C 5/200 = 0.025, A 2/100 = 0.02, B 3/300 = 0.01: C, then A, then B.
    curve = econ.star_curve(OPTIONS)
    assert [t.option for t in curve.triangles] == ["C", "A", "B"]
    assert [(t.x0, t.x1, t.y0, t.y1) for t in curve.triangles] == [
        (0, 200, 0, 5),
        (200, 300, 5, 7),
        (300, 600, 7, 10),
    ]


def test_a_triangle_is_cost_along_benefit_up_slope_value():
    triangle = econ.star_curve(OPTIONS).triangles[1]
    assert triangle.vertices == ((200, 5), (300, 5), (300, 7))
    assert (triangle.cost, triangle.benefit, triangle.slope) == (100, 2, 0.02)


def test_the_cumulative_curve_joins_the_triangles_from_the_origin():
    assert econ.star_curve(OPTIONS).points == [(0, 0), (200, 5), (300, 7), (600, 10)]


def test_the_budget_line_buys_benefit_along_the_curve():
    # £400: C and A in full (7), then £100 of B at 0.01 = 1: 8 in all.
    curve = econ.star_curve(OPTIONS, budget=400)
    assert curve.benefit_within_budget == pytest.approx(8.0)
    assert curve.options_within_budget == ["C", "A", "B"]


def test_a_budget_beyond_every_option_buys_their_total():
    assert econ.star_curve(OPTIONS, budget=10_000).benefit_within_budget == pytest.approx(10.0)


def test_options_losing_benefit_go_last_with_a_falling_slope():
    curve = econ.star_curve({"good": (100.0, 1.0), "harm": (100.0, -0.5)})
    assert [t.option for t in curve.triangles] == ["good", "harm"]
    assert curve.points[-1] == (200.0, 0.5)


# --- reallocation -------------------------------------------------------------------------


def test_moving_money_to_a_better_option_gains_the_difference_in_slopes():
    # £50,000 from B (10 QALYs per £1m) to C (25 per £1m): 0.05 x (25 - 10) = 0.75 QALYs.
    change = econ.reallocation_change(amount=50_000, slope_from=10e-6, slope_to=25e-6)
    assert change == pytest.approx(0.75)


def test_moving_money_the_other_way_loses_the_same():
    change = econ.reallocation_change(amount=50_000, slope_from=25e-6, slope_to=10e-6)
    assert change == pytest.approx(-0.75)


def test_a_negative_amount_is_refused():
    with pytest.raises(ValueError):
        econ.reallocation_change(amount=-1, slope_from=0, slope_to=0)


def test_reallocation_interval_uses_paired_replicates():
    slopes_from = np.array([1e-5, 2e-5, 3e-5, 4e-5])
    slopes_to = slopes_from + 1e-5
    interval, probability = uncertainty.reallocation_interval(
        amount=100_000, slopes_from=slopes_from, slopes_to=slopes_to
    )
    assert interval == pytest.approx((1.0, 1.0))  # every replicate gains exactly 1 QALY
    assert probability == 1.0


# --- bootstrap ----------------------------------------------------------------------------


def _population(seed=7, n=400, gain=0.03, cost=500.0):
    rng = np.random.default_rng(seed)
    records = []
    for _ in range(n):
        u0 = float(rng.uniform(0.3, 0.8))
        g = float(rng.normal(gain, 0.04))
        c = float(rng.gamma(4.0, cost / 4.0))
        records.append(EpisodeRecord("A", c, u0, ((0.5, u0 + 4 * g),)))
    return records


def test_bootstrap_interval_of_a_mean_gain_matches_the_t_interval():
    records = _population()
    gains = np.array([(r.follow_ups[0][1] - r.baseline) / 4 for r in records])
    summary = uncertainty.bootstrap(
        records,
        horizon=HALF_YEAR,
        counterfactual=Counterfactual(),
        adjust=False,
        replicates=2000,
        seed=11,
    )
    low, high = summary.intervals["A"]["benefit_per_patient"]
    t_low, t_high = stats.t.interval(0.95, len(gains) - 1, gains.mean(), stats.sem(gains))
    width = t_high - t_low
    assert abs(low - t_low) < 0.08 * width and abs(high - t_high) < 0.08 * width


def test_bootstrap_interval_of_qalys_per_pound_matches_the_delta_method():
    # Independent calculation: the ratio of two means, var(g/c) by the delta method
    # (Fieller's interval agrees at this precision; Willan AR, Briggs AH 2006, ch. 4).
    records = _population(seed=3, n=600)
    g = np.array([(r.follow_ups[0][1] - r.baseline) / 4 for r in records])
    c = np.array([r.cost for r in records])
    ratio = g.mean() / c.mean()
    cov = np.cov(g, c)
    variance = (
        cov[0, 0] / c.mean() ** 2
        - 2 * g.mean() * cov[0, 1] / c.mean() ** 3
        + g.mean() ** 2 * cov[1, 1] / c.mean() ** 4
    ) / len(g)
    z = stats.norm.ppf(0.975)
    delta = (ratio - z * math.sqrt(variance), ratio + z * math.sqrt(variance))
    summary = uncertainty.bootstrap(
        records,
        horizon=HALF_YEAR,
        counterfactual=Counterfactual(),
        adjust=False,
        replicates=2000,
        seed=5,
    )
    low, high = (x / 1_000_000 for x in summary.intervals["A"]["qalys_per_million"])
    width = delta[1] - delta[0]
    assert abs(low - delta[0]) < 0.1 * width and abs(high - delta[1]) < 0.1 * width


def test_bootstrap_is_the_same_for_the_same_seed():
    records = _population(n=50)
    first = uncertainty.bootstrap(
        records, horizon=HALF_YEAR, counterfactual=Counterfactual(), replicates=50, seed=1
    )
    second = uncertainty.bootstrap(
        records, horizon=HALF_YEAR, counterfactual=Counterfactual(), replicates=50, seed=1
    )
    assert first.intervals == second.intervals


def test_a_clearly_better_option_keeps_its_rank():
    records = _population(seed=1, n=200, gain=0.06) + [
        EpisodeRecord("B", r.cost, r.baseline, r.follow_ups)
        for r in _population(seed=2, n=200, gain=0.01)
    ]
    records = [
        EpisodeRecord("A", r.cost, r.baseline, r.follow_ups) if r.option == "A" else r
        for r in records
    ]
    summary = uncertainty.bootstrap(
        records, horizon=HALF_YEAR, counterfactual=Counterfactual(), replicates=200, seed=2
    )
    assert summary.rank_holds["A"] > 0.99


def test_two_identical_options_hold_their_rank_about_half_the_time():
    base = _population(seed=4, n=300)
    records = base + [EpisodeRecord("B", r.cost, r.baseline, r.follow_ups) for r in base]
    summary = uncertainty.bootstrap(
        records, horizon=HALF_YEAR, counterfactual=Counterfactual(), replicates=400, seed=3
    )
    assert 0.35 < summary.rank_holds["A"] < 0.65


def test_percentile_interval_is_undefined_when_a_replicate_has_no_value():
    assert uncertainty.percentile_interval(np.array([1.0, math.nan, 2.0])) is None


def test_a_cohort_counterfactual_without_the_cohort_gives_no_benefit():
    records = _records("treated", [(0.5, 0.05)] * 3)
    estimates = econ.option_estimates(
        records, horizon=HALF_YEAR, counterfactual=Counterfactual(kind="cohort", cohort="waiting")
    )
    assert estimates["treated"].benefit_per_patient is None


def test_each_replicates_closed_form_adjustment_equals_the_least_squares_fit():
    rng = np.random.default_rng(1)
    names = ["A", "B", "C"]
    gains = [rng.normal(0.05, 0.03, n) for n in (40, 25, 60)]
    baselines = [rng.uniform(0.2, 0.9, len(g)) for g in gains]
    fast = uncertainty._replicate_gains(gains, baselines, names, True)
    fitted, _ = econ.adjusted_mean_gains(
        gains=np.concatenate(gains),
        baselines=np.concatenate(baselines),
        groups=[name for name, g in zip(names, gains, strict=True) for _ in g],
    )
    assert fast == pytest.approx(fitted, abs=1e-12)
