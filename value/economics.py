"""Pure health economics: QALYs, cost per QALY, the STAR value-for-money curve, reallocation.

Plain numbers in, plain numbers out (no ORM), so the API, the staff pages, the CSV and the
benchmarks compute every figure the same way and the tests need no database. Method and
sources: ``docs/value.md``.

- **QALYs** are the area under the EQ-5D utility curve between timepoints (trapezium rule, time in
  years), the standard within-trial method. The *gain* is the area above the patient's own
  baseline utility: what they gained over the horizon compared with staying as they were.
- **Baseline adjustment** follows Manca A, Hawkins N, Sculpher MJ. Estimating mean QALYs in
  trial-based cost-effectiveness analysis: the importance of controlling for baseline utility.
  Health Econ 2005;14:487-96, doi:10.1002/hec.944: a regression of each patient's QALYs on the
  option received and baseline utility, each option's QALYs read at the pooled mean baseline.
- **Counterfactual**: observed gain is not effect. The benefit of an option is its gain minus
  the gain expected without it (a comparison cohort's gain, or an assumed change in utility by
  the horizon, reached linearly, so its QALYs are change x horizon / 2).
- **STAR** (Airoldi M et al. STAR - people-powered prioritization. Med Decis Making
  2014;34:965-75, doi:10.1177/0272989X14546776): each option is a triangle, cost along, benefit
  up, its hypotenuse's slope the benefit per pound; stacked by slope into a cumulative curve.
- **Uncertainty** (bootstrap intervals, rank probabilities) is in ``value.uncertainty``.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

DAYS_PER_YEAR = 365.25

# Why a QALY could not be computed for an episode (reported, never silently dropped).
COMPLETE = "complete"
INTERPOLATED = "interpolated"  # baseline and horizon present, an intermediate one missing
NO_BASELINE = "no-baseline"
NO_FOLLOW_UP = "no-follow-up"


# --- QALYs -----------------------------------------------------------------------------------


def area_under_curve(times: Sequence[float], values: Sequence[float]) -> float:
    """Trapezium-rule area under a piecewise-linear curve through (time, value) points."""
    if len(times) != len(values) or len(times) < 2:
        raise ValueError("An area needs at least two points, one value per time.")
    if any(later <= earlier for earlier, later in itertools.pairwise(times)):
        raise ValueError("Times must increase.")
    return sum(
        (t1 - t0) * (v0 + v1) / 2
        for t0, t1, v0, v1 in zip(times, times[1:], values, values[1:], strict=False)
    )


@dataclass(frozen=True)
class QalyResult:
    status: str
    qalys: float | None = None  # area under the utility curve over the horizon
    gain: float | None = None  # area above baseline utility: qalys - baseline x horizon


def episode_qalys(
    *, baseline: float | None, follow_ups: Sequence[tuple[float, float | None]], horizon: float
) -> QalyResult:
    """QALYs of one episode from baseline to ``horizon`` years.

    ``follow_ups`` are (years after baseline, utility or None) for the timepoints up to the
    horizon, the last one *at* the horizon. A missing intermediate timepoint is bridged by the
    straight line between its neighbours (what the trapezium rule does); a missing baseline or
    horizon value leaves the episode without QALYs, counted by reason, never imputed.
    """
    if baseline is None:
        return QalyResult(NO_BASELINE)
    points = sorted((t, u) for t, u in follow_ups if t <= horizon + 1e-9)
    if not points or abs(points[-1][0] - horizon) > 1e-9 or points[-1][1] is None:
        return QalyResult(NO_FOLLOW_UP)
    observed = [(t, u) for t, u in points if u is not None]
    times = [0.0] + [t for t, _ in observed]
    values = [baseline] + [u for _, u in observed]
    qalys = area_under_curve(times, values)
    status = INTERPOLATED if len(observed) < len(points) else COMPLETE
    return QalyResult(status, qalys, qalys - baseline * horizon)


def counterfactual_gain(change: float, horizon: float) -> float:
    """QALYs gained without the intervention when utility moves by ``change`` by the horizon
    along a straight line from baseline (a triangle: change x horizon / 2)."""
    return change * horizon / 2


def adjusted_mean_gains(
    *, gains: Sequence[float], baselines: Sequence[float], groups: Sequence[str]
) -> tuple[dict[str, float], float]:
    """Mean QALY gain per group at the pooled mean baseline utility (Manca et al. 2005).

    Ordinary least squares of gain on one indicator per group (no intercept) and baseline
    utility centred at its pooled mean, so each group's coefficient is its gain for a patient
    with the average baseline. Regressing the gain (QALYs - baseline x horizon) rather than the
    QALYs changes only the baseline coefficient, not the group estimates. Returns the group
    means and the baseline coefficient (0 when all baselines are equal).
    """
    labels = sorted(set(groups))
    y = np.asarray(gains, dtype=float)
    u0 = np.asarray(baselines, dtype=float)
    index = {label: i for i, label in enumerate(labels)}
    design = np.zeros((len(y), len(labels) + 1))
    design[np.arange(len(y)), [index[g] for g in groups]] = 1.0
    centred = u0 - u0.mean()
    if np.allclose(centred, 0):
        design = design[:, :-1]
    else:
        design[:, -1] = centred
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    slope = float(coefficients[-1]) if design.shape[1] > len(labels) else 0.0
    return {label: float(coefficients[index[label]]) for label in labels}, slope


# --- value for money --------------------------------------------------------------------------


def cost_per_qaly(cost: float, qalys: float) -> float | None:
    """Pounds per QALY gained; None when nothing is gained (a ratio with a zero or negative
    denominator is not a cost per QALY: the option is dominated, see ``docs/value.md``), and
    None without a cost (no unit costs or activity recorded yet: not "free")."""
    if qalys <= 0 or cost <= 0:
        return None
    return cost / qalys


def qalys_per_million(cost: float, qalys: float) -> float | None:
    """QALYs gained per £1m spent (the STAR slope, in readable units); None without a cost."""
    if cost <= 0:
        return None
    return qalys / cost * 1_000_000


@dataclass(frozen=True)
class EpisodeRecord:
    """One episode as value figures need it (no identifiers)."""

    option: str
    cost: float
    baseline: float | None
    follow_ups: tuple[tuple[float, float | None], ...]
    imd_quintile: int | None = None


@lru_cache(maxsize=65536)
def record_qalys(record: EpisodeRecord, horizon: float) -> QalyResult:
    """``episode_qalys`` of one record, remembered: a report asks for the same episode's QALYs
    for its options, both ends of the sensitivity range, each deprivation fifth and each
    bootstrap (a pure function of a frozen record, so a remembered answer is the answer)."""
    return episode_qalys(baseline=record.baseline, follow_ups=record.follow_ups, horizon=horizon)


@dataclass(frozen=True)
class Counterfactual:
    """The expected change without the intervention (``docs/value.md`` §3).

    ``kind``: ``cohort`` (the gain of the option named ``cohort``, a comparison group in the
    data), ``assumption`` (utility ``change`` by the horizon, with a ``low``-``high`` range for
    sensitivity) or ``zero`` (allowed, with a warning on every figure).
    """

    kind: str = "zero"
    change: float = 0.0
    low: float | None = None
    high: float | None = None
    cohort: str | None = None

    def __post_init__(self):
        if self.kind not in ("cohort", "assumption", "zero"):
            raise ValueError("The counterfactual is a cohort, an assumption or zero.")
        if self.kind == "cohort" and not self.cohort:
            raise ValueError("A cohort counterfactual names the comparison option.")
        if self.kind == "zero" and (self.change or self.low or self.high):
            raise ValueError("A zero counterfactual has no change.")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError("The low end of the counterfactual range is above the high end.")

    @property
    def warning(self) -> str | None:
        if self.kind == "zero":
            return (
                "No counterfactual: the benefit shown is the whole observed change, as if "
                "patients would not have improved without care. Back pain, and much MSK pain, "
                "improves on its own, so this overstates benefit."
            )
        return None

    def label(self) -> str:
        if self.kind == "cohort":
            return f"Comparison cohort in the data: {self.cohort}"
        if self.kind == "assumption":
            bounds = ""
            if self.low is not None and self.high is not None:
                bounds = f" (sensitivity {self.low:+.3f} to {self.high:+.3f})"
            return f"Scenario assumption: utility change {self.change:+.3f} by the horizon{bounds}"
        return "None (zero): see the warning"


@dataclass
class OptionEstimate:
    option: str
    patients: int  # episodes in the period
    complete: int  # with QALYs (baseline and horizon follow-up)
    missing: dict[str, int]  # reason -> episodes without QALYs
    interpolated: int
    cost_per_patient: float
    gain_per_patient: float | None  # observed QALY gain (adjusted if asked)
    counterfactual_per_patient: float | None
    benefit_per_patient: float | None  # gain - counterfactual
    patients_per_year: float = 0.0

    @property
    def total_cost(self) -> float:
        return self.patients_per_year * self.cost_per_patient

    @property
    def total_benefit(self) -> float | None:
        if self.benefit_per_patient is None:
            return None
        return self.patients_per_year * self.benefit_per_patient

    @property
    def qalys_per_million(self) -> float | None:
        if self.benefit_per_patient is None:
            return None
        return qalys_per_million(self.cost_per_patient, self.benefit_per_patient)

    @property
    def cost_per_qaly(self) -> float | None:
        if self.benefit_per_patient is None:
            return None
        return cost_per_qaly(self.cost_per_patient, self.benefit_per_patient)


def option_estimates(
    records: Sequence[EpisodeRecord],
    *,
    horizon: float,
    counterfactual: Counterfactual,
    adjust: bool = True,
    years: float = 1.0,
    min_patients: int = 1,
) -> dict[str, OptionEstimate]:
    """Cost, QALY gain and benefit per patient of every option in ``records``.

    Benefit needs ``min_patients`` episodes with QALYs (the disclosure threshold); options with
    fewer keep their counts but no figures. A cohort counterfactual's own option is the
    comparator: its benefit is zero by definition. ``years`` is the length of the period the
    episodes were referred in (patients a year = episodes / years).
    """
    by_option: dict[str, list[EpisodeRecord]] = {}
    for record in records:
        by_option.setdefault(record.option, []).append(record)

    qalys = {option: [record_qalys(r, horizon) for r in rows] for option, rows in by_option.items()}
    usable = {
        option for option, results in qalys.items() if _complete(results) >= max(min_patients, 1)
    }
    gains = _mean_gains(by_option, qalys, usable, adjust)

    if counterfactual.kind == "cohort":
        comparator = gains.get(counterfactual.cohort)
    else:
        comparator = counterfactual_gain(counterfactual.change, horizon)

    estimates = {}
    for option, rows in sorted(by_option.items()):
        results = qalys[option]
        missing: dict[str, int] = {}
        for result in results:
            if result.qalys is None:
                missing[result.status] = missing.get(result.status, 0) + 1
        gain = gains.get(option)
        benefit = None if gain is None or comparator is None else gain - comparator
        estimates[option] = OptionEstimate(
            option=option,
            patients=len(rows),
            complete=_complete(results),
            missing=missing,
            interpolated=sum(1 for r in results if r.status == INTERPOLATED),
            cost_per_patient=float(np.mean([r.cost for r in rows])),
            gain_per_patient=gain,
            counterfactual_per_patient=None if gain is None else comparator,
            benefit_per_patient=benefit,
            patients_per_year=len(rows) / years,
        )
    return estimates


def _complete(results: Sequence[QalyResult]) -> int:
    return sum(1 for r in results if r.qalys is not None)


def _mean_gains(by_option, qalys, usable, adjust) -> dict[str, float]:
    gains, baselines, groups = [], [], []
    for option in sorted(usable):
        for record, result in zip(by_option[option], qalys[option], strict=True):
            if result.gain is not None:
                gains.append(result.gain)
                baselines.append(record.baseline)
                groups.append(option)
    if not groups:
        return {}
    if adjust:
        means, _ = adjusted_mean_gains(gains=gains, baselines=baselines, groups=groups)
        return means
    totals: dict[str, list[float]] = {}
    for option, gain in zip(groups, gains, strict=True):
        totals.setdefault(option, []).append(gain)
    return {option: float(np.mean(values)) for option, values in totals.items()}


# --- the STAR chart ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Triangle:
    """One option on the STAR chart: from (x0, y0) along its cost and up its benefit."""

    option: str
    x0: float
    x1: float
    y0: float
    y1: float

    @property
    def cost(self) -> float:
        return self.x1 - self.x0

    @property
    def benefit(self) -> float:
        return self.y1 - self.y0

    @property
    def slope(self) -> float | None:
        return self.benefit / self.cost if self.cost > 0 else None

    @property
    def vertices(self) -> tuple[tuple[float, float], ...]:
        """Right-angled triangle: the hypotenuse from (x0, y0) to (x1, y1) is the value."""
        return ((self.x0, self.y0), (self.x1, self.y0), (self.x1, self.y1))


@dataclass
class StarCurve:
    triangles: list[Triangle]
    budget: float | None
    benefit_within_budget: float | None = None
    options_within_budget: list[str] = field(default_factory=list)

    @property
    def points(self) -> list[tuple[float, float]]:
        """The cumulative cost-benefit curve, starting at the origin."""
        return [(0.0, 0.0)] + [(t.x1, t.y1) for t in self.triangles]


def star_curve(
    options: Mapping[str, tuple[float, float]], budget: float | None = None
) -> StarCurve:
    """Stack options (``{option: (total cost, total benefit)}``) by value into a STAR curve.

    Highest benefit per pound first (ties by name, so the order is stable); options without a
    cost cannot be placed and are left out. With a budget, the benefit that budget buys along
    the curve (constant returns within the last option bought: linear along its hypotenuse).
    """
    placed = [(name, c, b) for name, (c, b) in options.items() if c > 0]
    placed.sort(key=lambda item: (-(item[2] / item[1]), item[0]))
    triangles, x, y = [], 0.0, 0.0
    for name, cost, benefit in placed:
        triangles.append(Triangle(name, x, x + cost, y, y + benefit))
        x, y = x + cost, y + benefit
    curve = StarCurve(triangles, budget)
    if budget is not None:
        if budget < 0:
            raise ValueError("A budget cannot be negative.")
        curve.benefit_within_budget = benefit_at(triangles, budget)
        curve.options_within_budget = [t.option for t in triangles if t.x0 < budget]
    return curve


def benefit_at(triangles: Sequence[Triangle], spend: float) -> float:
    """Benefit on the cumulative curve at ``spend`` (flat after the last option)."""
    for t in triangles:
        if spend <= t.x1:
            return t.y0 + max(spend - t.x0, 0.0) * (t.slope or 0.0)
    return triangles[-1].y1 if triangles else 0.0


# --- reallocation -----------------------------------------------------------------------------


def reallocation_change(*, amount: float, slope_from: float, slope_to: float) -> float:
    """QALYs gained by moving ``amount`` pounds from one option to another at constant returns:
    the receiving option buys ``amount x slope_to``, the giving one loses ``amount x slope_from``.
    """
    if amount < 0:
        raise ValueError("The amount moved cannot be negative.")
    return amount * (slope_to - slope_from)
