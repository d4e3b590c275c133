"""Funnel plots that do not cry wolf: over-dispersion and proportion funnels (pure).

Plain numbers in, plain numbers out (no ORM), like ``outcomes/statistics.py``, whose mean
funnel and Wilson interval these build on. Sources in docs/methods.md §4:

- Spiegelhalter DJ. Funnel plots for comparing institutional performance. Stat Med
  2005;24:1185-1202 (limits for means and proportions).
- Spiegelhalter DJ. Handling over-dispersion of performance indicators. Qual Saf Health Care
  2005;14:347-51 (the test, the winsorised φ, multiplicative and additive random effects).
- HQIP. Detection and management of outliers for National Clinical Audits (2017; 2024): test
  for over-dispersion and, if present, widen the limits by a random-effects model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from outcomes import statistics as st

WINSOR_FRACTION = 0.10  # Spiegelhalter 2005 (QSHC): the 10% most extreme z at each end
MIN_UNITS = 10  # fewer units than this: too few to estimate τ² (docs/methods.md §4)
TEST_LEVEL = 0.05


@dataclass(frozen=True)
class Overdispersion:
    """The estimate published beside the flags (``meta.overdispersion``)."""

    units: int
    phi: float | None  # winsorised dispersion ratio φ̂ = Σ z_w² / I
    chi2: float | None  # I·φ̂, compared with χ² on I − 1 df
    p_value: float | None
    tau2: float | None  # additive random-effects variance (0 when not over-dispersed)
    applied: bool  # limits widened by τ
    note: str

    def describe(self, decimals: int = 3) -> dict:
        def rounded(value):
            return None if value is None else round(value, decimals)

        return {
            "units": self.units,
            "phi": rounded(self.phi),
            "chi2": rounded(self.chi2),
            "p_value": rounded(self.p_value),
            "tau": rounded(math.sqrt(self.tau2)) if self.tau2 is not None else None,
            "tau2": rounded(self.tau2),
            "applied": self.applied,
            "method": (
                "Additive random effects (Spiegelhalter 2005): z-scores winsorised at the 10th "
                "and 90th centiles, φ = Σz²/I, over-dispersion if I·φ exceeds the 95th centile "
                "of χ² on I − 1 df; τ² = (I·φ − (I − 1)) / (Σw − Σw²/Σw), w = 1/s²; limits "
                "target ± z·√(s² + τ²)."
            ),
            "note": self.note,
        }


def winsorise(values: Sequence[float], fraction: float = WINSOR_FRACTION) -> list[float]:
    """Values below the ``fraction`` centile set to it, above the 1 − ``fraction`` centile set
    to that: as ``scipy.stats.mstats.winsorize`` with limits (fraction, fraction), the
    ⌊fraction·I⌋ smallest and largest values replaced by their nearest kept neighbour."""
    count = len(values)
    k = math.floor(fraction * count)
    if k == 0:
        return list(values)
    order = sorted(values)
    low, high = order[k], order[count - k - 1]
    return [min(max(v, low), high) for v in values]


def chi2_sf(x: float, df: int) -> float:
    """Upper tail of χ² (regularised incomplete gamma, outcomes.statistics)."""
    return st.regularized_gamma_q(df / 2, x / 2)


def overdispersion(
    values: Sequence[float],
    standard_errors: Sequence[float],
    target: float,
    *,
    min_units: int = MIN_UNITS,
    unit_name: str = "units",
    winsor: float = WINSOR_FRACTION,
) -> Overdispersion:
    """Test for and estimate over-dispersion among units' values around a target.

    z_i = (y_i − target)/s_i, winsorised (10%); φ̂ = mean of z²; test I·φ̂ against χ²_{I−1};
    τ̂² by the DerSimonian-Laird moment formula on the winsorised statistic, 0 unless the test
    rejects. With fewer than ``min_units`` units τ² is not estimated and limits stay
    unwidened; the note says so plainly.
    """
    pairs = [(y, s) for y, s in zip(values, standard_errors, strict=True) if s and s > 0]
    units = len(pairs)
    if units < 2:
        return Overdispersion(
            units, None, None, None, None, False,
            f"Only {units} {unit_name} with a published figure: over-dispersion cannot be "
            "tested; limits assume differences arise by chance alone.",
        )  # fmt: skip
    z = winsorise([(y - target) / s for y, s in pairs], winsor)
    phi = sum(v * v for v in z) / units
    chi2 = units * phi
    p_value = chi2_sf(chi2, units - 1)
    if units < min_units:
        return Overdispersion(
            units, phi, chi2, p_value, None, False,
            f"Too few {unit_name} ({units}; at least {min_units} needed) to estimate "
            "over-dispersion: limits are not widened. "
            + (
                f"The dispersion test is significant (p = {p_value:.3f}), so some flags may "
                "reflect unexplained variation rather than a real difference in care."
                if p_value < TEST_LEVEL
                else "The dispersion test finds no more variation than chance."
            ),
        )  # fmt: skip
    if p_value >= TEST_LEVEL:
        return Overdispersion(
            units, phi, chi2, p_value, 0.0, False,
            "No over-dispersion detected: limits reflect chance alone.",
        )  # fmt: skip
    weights = [1 / (s * s) for _, s in pairs]
    total = sum(weights)
    tau2 = max(0.0, (chi2 - (units - 1)) / (total - sum(w * w for w in weights) / total))
    return Overdispersion(
        units, phi, chi2, p_value, tau2, tau2 > 0,
        f"Over-dispersion detected (φ = {phi:.2f}, p = {p_value:.3f}): limits widened by the "
        f"between-{unit_name} SD τ = {math.sqrt(tau2):.3g} (additive random effects).",
    )  # fmt: skip


def widened_limits(target: float, se: float, tau2: float | None) -> st.FunnelLimits:
    """target ± z·√(s² + τ²) at 95% and 99.8% (τ² = 0 or None: the plain funnel)."""
    spread = math.sqrt(se * se + (tau2 or 0.0))
    return st.FunnelLimits(
        target,
        target - st.Z95 * spread,
        target + st.Z95 * spread,
        target - st.Z998 * spread,
        target + st.Z998 * spread,
    )


def proportion_se(target: float, n: int) -> float:
    """Binomial SE at the target proportion, √(p0(1 − p0)/n) (Spiegelhalter 2005, Stat Med)."""
    return math.sqrt(max(target * (1 - target), 0.0) / n)


def exact_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float] | None:
    """Clopper-Pearson exact binomial interval, from the beta quantiles (bisection on the
    regularised incomplete beta of outcomes.statistics)."""
    if n <= 0:
        return None
    alpha = 1 - level

    def beta_quantile(p: float, a: float, b: float) -> float:
        low, high = 0.0, 1.0
        for _ in range(200):
            mid = (low + high) / 2
            if st.regularized_beta(mid, a, b) < p:
                low = mid
            else:
                high = mid
        return (low + high) / 2

    lower = 0.0 if successes == 0 else beta_quantile(alpha / 2, successes, n - successes + 1)
    upper = 1.0 if successes == n else beta_quantile(1 - alpha / 2, successes + 1, n - successes)
    return lower, upper
