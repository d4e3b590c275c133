"""Uncertainty of the value figures: a seeded patient-level bootstrap, percentile intervals,
the probability that an option's rank holds, and the interval of a reallocation.

Non-parametric bootstrap, resampling patients within each option with replacement (Efron B,
Tibshirani RJ. An introduction to the bootstrap. 1993, ch. 13); pure, no ORM. Checked against
independent calculations (t interval, delta method) in tests/value/test_economics.py.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from value.economics import (
    Counterfactual,
    EpisodeRecord,
    OptionEstimate,
    adjusted_mean_gains,
    cost_per_qaly,
    counterfactual_gain,
    option_estimates,
    qalys_per_million,
    record_qalys,
)

# --- bootstrap --------------------------------------------------------------------------------


@dataclass
class BootstrapSummary:
    replicates: int
    seed: int
    level: float
    intervals: dict[str, dict[str, tuple[float, float] | None]]  # option -> figure -> (lo, hi)
    rank_holds: dict[str, float]  # option -> P(its rank by value is the observed one)
    slopes: dict[str, np.ndarray]  # option -> QALYs per £ in each replicate (nan if none)


def percentile_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float] | None:
    """Percentile bootstrap interval; None if any replicate had no value (the figure is not
    defined in some resamples, e.g. a cost per QALY whose gain crosses zero)."""
    values = np.asarray(values, dtype=float)
    if values.size == 0 or np.isnan(values).any():
        return None
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def bootstrap(
    records: Sequence[EpisodeRecord],
    *,
    horizon: float,
    counterfactual: Counterfactual,
    adjust: bool = True,
    years: float = 1.0,
    min_patients: int = 1,
    replicates: int = 1000,
    seed: int = 20260401,
    level: float = 0.95,
) -> BootstrapSummary:
    """Resample patients within each option (with replacement, same size) ``replicates`` times
    and recompute every option's figures; patients a year are held at their observed count.

    Each episode's QALYs are computed once; a replicate only redraws which episodes count, then
    recomputes the means (and the baseline regression) exactly as ``option_estimates`` does.
    The probability that an option's rank holds is the share of replicates in which its rank by
    QALYs per pound equals its rank in the observed data.
    """
    observed = option_estimates(
        records,
        horizon=horizon,
        counterfactual=counterfactual,
        adjust=adjust,
        years=years,
        min_patients=min_patients,
    )
    ranked = ranks(observed, counterfactual)
    names = sorted({r.option for r in records})
    columns = {}
    for option in names:
        rows = [r for r in records if r.option == option]
        results = [record_qalys(r, horizon) for r in rows]
        columns[option] = (
            np.array([r.cost for r in rows], dtype=float),
            np.array([np.nan if q.gain is None else q.gain for q in results], dtype=float),
            np.array([np.nan if r.baseline is None else r.baseline for r in rows], dtype=float),
        )
    fixed = (
        None
        if counterfactual.kind == "cohort"
        else counterfactual_gain(counterfactual.change, horizon)
    )
    rng = np.random.default_rng(seed)
    draws = {o: np.full((replicates, 4), np.nan) for o in names}  # cost, benefit, slope, cpq
    rank_hits = dict.fromkeys(names, 0)
    for replicate in range(replicates):
        costs, gains, baselines = {}, [], []
        for option in names:
            cost, gain, baseline = columns[option]
            picks = rng.integers(0, len(cost), len(cost))
            costs[option] = cost[picks].mean()
            keep = picks[~np.isnan(gain[picks])]
            gains.append(gain[keep])
            baselines.append(baseline[keep])
        means = _replicate_gains(gains, baselines, names, adjust)
        comparator = means.get(counterfactual.cohort) if fixed is None else fixed
        slopes = {}
        for option in names:
            gain = means.get(option)
            benefit = None if gain is None or comparator is None else gain - comparator
            slope = None if benefit is None else qalys_per_million(costs[option], benefit)
            cpq = None if benefit is None else cost_per_qaly(costs[option], benefit)
            draws[option][replicate] = [costs[option], _nan(benefit), _nan(slope), _nan(cpq)]
            slopes[option] = slope
        slopes.pop(counterfactual.cohort, None)  # the comparator is not ranked
        for option, rank in _ranks(slopes).items():
            if ranked.get(option) == rank:
                rank_hits[option] += 1
    figures = ("cost_per_patient", "benefit_per_patient", "qalys_per_million", "cost_per_qaly")
    intervals = {
        option: {
            name: percentile_interval(draws[option][:, column], level)
            for column, name in enumerate(figures)
        }
        for option in names
    }
    return BootstrapSummary(
        replicates=replicates,
        seed=seed,
        level=level,
        intervals=intervals,
        rank_holds={option: rank_hits[option] / replicates for option in names if option in ranked},
        slopes={option: draws[option][:, 2] / 1_000_000 for option in names},
    )


def _replicate_gains(gains, baselines, names, adjust) -> dict[str, float]:
    """Each option's mean gain in one replicate, baseline-adjusted as ``adjusted_mean_gains``.

    The regression of gain on option indicators and centred baseline is solved in closed form
    (Frisch-Waugh-Lovell: the baseline slope from within-option deviations, then each option's
    mean moved to the pooled mean baseline), the same estimate as its least squares without a
    design matrix or a Python loop over patients; this runs once per replicate, and per
    deprivation fifth. Where no option's baselines vary, the slope is not identified by the
    within-option data and the least-squares function decides, as for the observed figures.
    """
    present = [
        (option, gain, baseline)
        for option, gain, baseline in zip(names, gains, baselines, strict=True)
        if len(gain)
    ]
    if not present:
        return {}
    if not adjust:
        return {option: float(gain.mean()) for option, gain, _ in present}
    pooled = np.concatenate([baseline for _, _, baseline in present])
    centre = float(pooled.mean())
    spread = pooled - centre
    within_xy = within_xx = 0.0
    centres = {}
    for option, gain, baseline in present:
        mean_gain, mean_baseline = gain.mean(), baseline.mean()
        deviation = baseline - mean_baseline
        within_xy += float(deviation @ (gain - mean_gain))
        within_xx += float(deviation @ deviation)
        centres[option] = (float(mean_gain), float(mean_baseline))
    if float(np.abs(spread).max()) <= 1e-8:  # as np.allclose(spread, 0), at a fraction of its cost
        return {option: mean_gain for option, (mean_gain, _) in centres.items()}
    if within_xx <= 1e-12 * float(spread @ spread):
        means, _ = adjusted_mean_gains(
            gains=np.concatenate([gain for _, gain, _ in present]),
            baselines=pooled,
            groups=[option for option, gain, _ in present for _ in range(len(gain))],
        )
        return means
    slope = within_xy / within_xx
    return {
        option: mean_gain - slope * (mean_baseline - centre)
        for option, (mean_gain, mean_baseline) in centres.items()
    }


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


def ranks(
    estimates: Mapping[str, OptionEstimate], counterfactual: Counterfactual
) -> dict[str, int]:
    """Options ranked by QALYs per pound, 1 = most; a cohort counterfactual's own option is the
    comparator (its benefit is zero by definition) and is not ranked."""
    return _ranks(
        {o: e.qalys_per_million for o, e in estimates.items() if o != counterfactual.cohort}
    )


def _ranks(values: Mapping[str, float | None]) -> dict[str, int]:
    """1 = most QALYs per pound; options without a value are not ranked."""
    ordered = sorted(
        ((v, o) for o, v in values.items() if v is not None and not math.isnan(v)),
        key=lambda item: (-item[0], item[1]),
    )
    return {option: rank for rank, (_, option) in enumerate(ordered, start=1)}


def reallocation_interval(
    *, amount: float, slopes_from: np.ndarray, slopes_to: np.ndarray, level: float = 0.95
) -> tuple[tuple[float, float] | None, float]:
    """Percentile interval of the change in QALYs over paired bootstrap replicates, and the
    probability that the move gains (change > 0)."""
    changes = amount * (np.asarray(slopes_to) - np.asarray(slopes_from))
    interval = percentile_interval(changes, level)
    valid = changes[~np.isnan(changes)]
    return interval, float((valid > 0).mean()) if valid.size else math.nan
