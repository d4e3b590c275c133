"""Pure statistics for comparing outcomes between providers, practices and groups.

Plain numbers in, plain numbers out: no ORM, so the API, reports and benchmarks reuse them and
their tests need no database. Formulas and sources are in ``docs/methods.md``; each function
names the source it follows.

Most figures are computed from *sufficient statistics* (counts, sums, sums of squares and cross
products) so that the database does the heavy lifting: a mean, its confidence interval and an
ordinary least squares fit with categorical covariates are exact functions of these sums.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from operator import itemgetter
from statistics import NormalDist

import numpy as np

Z95 = NormalDist().inv_cdf(0.975)  # 1.959964: two-sided 95% ("2 SD")
Z998 = NormalDist().inv_cdf(0.999)  # 3.090232: two-sided 99.8% ("3 SD")


# --- distributions -------------------------------------------------------------------------


def normal_quantile(p: float) -> float:
    """Φ⁻¹(p) (Wichura's AS241 in Python's ``statistics``; accurate to about 1e-15)."""
    return NormalDist().inv_cdf(p)


def _beta_continued_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction for the incomplete beta function, by the modified Lentz method
    (Press WH et al. Numerical Recipes, 3rd ed. 2007, §6.4)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > tiny else tiny)
        c = 1 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15:
            break
    return h


def regularized_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b), the regularised incomplete beta function (Numerical Recipes §6.4)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _beta_continued_fraction(a, b, x) / a
    return 1 - math.exp(log_front) * _beta_continued_fraction(b, a, 1 - x) / b


def t_cdf(t: float, df: float) -> float:
    """Student's t distribution function: 1 − ½·I_{df/(df+t²)}(df/2, ½) for t ≥ 0."""
    tail = 0.5 * regularized_beta(df / (df + t * t), df / 2, 0.5)
    return 1 - tail if t >= 0 else tail


def _t_pdf(t: float, df: float) -> float:
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    return math.exp(log_c - (df + 1) / 2 * math.log1p(t * t / df))


@lru_cache(maxsize=4096)
def t_quantile(p: float, df: float) -> float:
    """The p quantile of Student's t with df degrees of freedom.

    Newton's method on the exact distribution function (regularised incomplete beta), started
    from the normal quantile, with bisection as a safeguard; agrees with ``scipy.stats.t.ppf``
    to better than 1e-9 (tested). Exact closed forms for df = 1 and 2 are used directly.
    """
    if not 0 < p < 1:
        raise ValueError("p must lie strictly between 0 and 1.")
    if df <= 0:
        raise ValueError("df must be positive.")
    if p == 0.5:
        return 0.0
    if df == 1:
        return math.tan(math.pi * (p - 0.5))
    if df == 2:
        return (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    if p < 0.5:
        return -t_quantile(1 - p, df)
    low, high = 0.0, 1.0
    while t_cdf(high, df) < p:
        low, high = high, high * 2
    t = min(max(normal_quantile(p), low), high)
    for _ in range(100):
        error = t_cdf(t, df) - p
        step = error / _t_pdf(t, df)
        if abs(step) < 1e-12 * max(1.0, abs(t)):
            return t - step
        if error > 0:
            high = t
        else:
            low = t
        candidate = t - step
        t = candidate if low < candidate < high else (low + high) / 2
    return t


def _gamma_series(a: float, x: float) -> float:
    total = term = 1 / a
    ap = a
    for _ in range(1000):
        ap += 1
        term *= x / ap
        total += term
        if abs(term) < abs(total) * 1e-16:
            break
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def regularized_gamma_q(a: float, x: float) -> float:
    """Q(a, x) = 1 − P(a, x), the upper regularised incomplete gamma function (NR §6.2)."""
    if x <= 0:
        return 1.0
    if x < a + 1:
        return 1 - _gamma_series(a, x)
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = 1 / (d if abs(d) > tiny else tiny)
        c = b + an / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-16:
            break
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h


def chi2_quantile(p: float, df: float) -> float:
    """The p quantile of χ² with df degrees of freedom (bisection on 1 − Q(df/2, x/2))."""
    if not 0 < p < 1:
        raise ValueError("p must lie strictly between 0 and 1.")
    low, high = 0.0, max(1.0, df)
    while 1 - regularized_gamma_q(df / 2, high / 2) < p:
        low, high = high, high * 2
    for _ in range(200):
        mid = (low + high) / 2
        if 1 - regularized_gamma_q(df / 2, mid / 2) < p:
            low = mid
        else:
            high = mid
        if high - low < 1e-12 * max(1.0, high):
            break
    return (low + high) / 2


# --- means and change ----------------------------------------------------------------------


@dataclass(frozen=True)
class MeanEstimate:
    """A mean with its t-based confidence interval (None where n is too small)."""

    n: int
    mean: float | None
    sd: float | None
    lower: float | None
    upper: float | None

    @property
    def se(self) -> float | None:
        return None if self.sd is None or self.n < 1 else self.sd / math.sqrt(self.n)


def mean_from_sums(n: int, total: float, total_squares: float, level: float = 0.95) -> MeanEstimate:
    """Mean and t confidence interval from n, Σx and Σx²: x̄ ± t_{1−α/2, n−1}·s/√n."""
    if n <= 0:
        return MeanEstimate(0, None, None, None, None)
    mean = total / n
    if n == 1:
        return MeanEstimate(1, mean, None, None, None)
    variance = max(0.0, (total_squares - n * mean * mean) / (n - 1))
    sd = math.sqrt(variance)
    half = t_quantile(0.5 + level / 2, n - 1) * sd / math.sqrt(n)
    return MeanEstimate(n, mean, sd, mean - half, mean + half)


def mean_ci(values: Sequence[float], level: float = 0.95) -> MeanEstimate:
    """Mean and t confidence interval of a list of numbers (two-pass for accuracy)."""
    values = [float(v) for v in values]
    n = len(values)
    if n == 0:
        return MeanEstimate(0, None, None, None, None)
    mean = sum(values) / n
    if n == 1:
        return MeanEstimate(1, mean, None, None, None)
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = t_quantile(0.5 + level / 2, n - 1) * sd / math.sqrt(n)
    return MeanEstimate(n, mean, sd, mean - half, mean + half)


def paired_change(
    baseline: Sequence[float], follow_up: Sequence[float], level: float = 0.95
) -> MeanEstimate:
    """Mean paired change (follow-up − baseline) with the paired t interval."""
    if len(baseline) != len(follow_up):
        raise ValueError("Baseline and follow-up must pair one to one.")
    return mean_ci([f - b for b, f in zip(baseline, follow_up, strict=True)], level)


@dataclass(frozen=True)
class ChangeClasses:
    improved: int
    unchanged: int
    worse: int

    @property
    def n(self) -> int:
        return self.improved + self.unchanged + self.worse

    def percentages(self) -> tuple[float | None, float | None, float | None]:
        if not self.n:
            return None, None, None
        return tuple(100 * k / self.n for k in (self.improved, self.unchanged, self.worse))


MIC_TOLERANCE = 1e-9  # as outcomes.harmonisation.classify_change: 0.1 + 0.2 reaches a MIC of 0.3


def classify_changes(
    baseline: Sequence[float], follow_up: Sequence[float], mic: float, higher_is_better: bool
) -> ChangeClasses:
    """Count improved (change in the better direction ≥ MIC), worse (≥ MIC the other way) and
    unchanged, as ``outcomes.harmonisation.classify_change`` classes one patient."""
    improved = worse = 0
    for b, f in zip(baseline, follow_up, strict=True):
        change = f - b if higher_is_better else b - f
        if change >= mic - MIC_TOLERANCE:
            improved += 1
        elif change <= -mic + MIC_TOLERANCE:
            worse += 1
    return ChangeClasses(improved, len(baseline) - improved - worse, worse)


# --- case-mix adjustment (ordinary least squares) --------------------------------------------


@dataclass(slots=True)  # thousands per answer: no __dict__ each
class CellSums:
    """Sufficient statistics of one covariate pattern (a "cell"): every patient in the cell has
    the same categorical covariates, so only the baseline score varies within it."""

    n: int = 0
    sum_b: float = 0.0
    sum_f: float = 0.0
    sum_bb: float = 0.0
    sum_bf: float = 0.0
    sum_ff: float = 0.0

    def add(self, other: CellSums) -> None:
        self.n += other.n
        self.sum_b += other.sum_b
        self.sum_f += other.sum_f
        self.sum_bb += other.sum_bb
        self.sum_bf += other.sum_bf
        self.sum_ff += other.sum_ff

    @classmethod
    def of(cls, pairs: Iterable[tuple[float, float]]) -> CellSums:
        cell = cls()
        for b, f in pairs:
            cell.add(cls(1, b, f, b * b, b * f, f * f))
        return cell


@dataclass(frozen=True)
class CaseMixModel:
    """OLS of follow-up score on baseline score and categorical covariates (see docs/methods.md).

    ``columns`` names the coefficients: "intercept", then one indicator per non-reference level
    of each factor as "factor=level", then "baseline".
    """

    columns: tuple[str, ...]
    coefficients: tuple[float, ...]
    n: int
    rank: int
    residual_sd: float | None
    mean_baseline: float
    mean_follow_up: float
    factor_levels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def mean_change(self) -> float:
        return self.mean_follow_up - self.mean_baseline

    def _indicators(self, covariates: Mapping[str, str]) -> np.ndarray:
        row = np.zeros(len(self.columns) - 1)
        row[0] = 1.0
        for index, name in enumerate(self.columns[1:-1], start=1):
            factor, level = name.split("=", 1)
            if str(covariates[factor]) == level:
                row[index] = 1.0
        return row

    @cached_property
    def _effects(self) -> tuple[dict[str, float], tuple[str, ...]]:
        """Each indicator's coefficient by "factor=level", and the factors that have any."""
        named = dict(zip(self.columns[1:-1], self.coefficients[1:-1], strict=True))
        return named, tuple(dict.fromkeys(name.split("=", 1)[0] for name in named))

    @cached_property
    def _linear(self) -> dict[Hashable, float]:
        """Intercept + the effects of a cell's levels, by ``_levels_of`` (filled as used)."""
        return {}

    @cached_property
    def _levels_of(self) -> Callable[[Mapping[str, str]], Hashable]:
        """A cell's levels of the factors that have effects: what its prediction rests on."""
        _, factors = self._effects
        return itemgetter(*factors) if factors else lambda covariates: ()

    def cell_expected_sum(self, covariates: Mapping[str, str], cell: CellSums) -> float:
        """Σ of predicted follow-up scores over a cell's patients: n · (intercept + the
        effects of the cell's levels) + β_baseline · Σb (a reference level has no effect).
        The first part is worked out once per pattern: units share a few dozen of them."""
        levels = self._levels_of(covariates)
        linear = self._linear.get(levels)
        if linear is None:
            named, factors = self._effects
            linear = self._linear[levels] = self.coefficients[0] + sum(
                named.get(f"{factor}={covariates[factor]}", 0.0) for factor in factors
            )
        return float(cell.n * linear + self.coefficients[-1] * cell.sum_b)

    def predict(self, covariates: Mapping[str, str], baseline: float) -> float:
        beta = np.asarray(self.coefficients)
        return float(self._indicators(covariates) @ beta[:-1] + beta[-1] * baseline)


def case_mix_fit(
    cells: Iterable[tuple[Mapping[str, str], CellSums]], factors: Sequence[str]
) -> CaseMixModel | None:
    """Fit ``follow_up ~ 1 + factor dummies + baseline`` by OLS from per-cell sums.

    For each factor the first level in sorted order is the reference (so IMD quintile 1, the most
    deprived, and the youngest age band are references). Levels absent from the data get no
    column. XᵀX and Xᵀy are assembled exactly from the cell sums, and the coefficients come from
    a least-squares solve (minimum-norm if the design is rank deficient). Residual SD is
    √(SSR/(N − rank)), the funnel SD recommended in docs/methods.md.
    """
    cells = [(dict(cov), cell) for cov, cell in cells if cell.n > 0]
    total_n = sum(cell.n for _, cell in cells)
    if not cells:
        return None
    levels = {
        factor: tuple(sorted({str(cov[factor]) for cov, _ in cells}, key=_level_key))
        for factor in factors
    }
    columns = ["intercept"]
    for factor in factors:
        columns += [f"{factor}={level}" for level in levels[factor][1:]]
    columns.append("baseline")
    k = len(columns)
    xtx = np.zeros((k, k))
    xty = np.zeros(k)
    yty = 0.0
    sum_b = sum_f = 0.0
    for cov, cell in cells:
        d = np.zeros(k - 1)
        d[0] = 1.0
        for index, name in enumerate(columns[1:-1], start=1):
            factor, level = name.split("=", 1)
            if str(cov[factor]) == level:
                d[index] = 1.0
        xtx[:-1, :-1] += cell.n * np.outer(d, d)
        xtx[:-1, -1] += cell.sum_b * d
        xtx[-1, :-1] += cell.sum_b * d
        xtx[-1, -1] += cell.sum_bb
        xty[:-1] += cell.sum_f * d
        xty[-1] += cell.sum_bf
        yty += cell.sum_ff
        sum_b += cell.sum_b
        sum_f += cell.sum_f
    beta, _, rank, _ = np.linalg.lstsq(xtx, xty, rcond=None)
    ssr = max(0.0, yty - 2 * beta @ xty + beta @ xtx @ beta)
    residual_sd = math.sqrt(ssr / (total_n - rank)) if total_n > rank else None
    return CaseMixModel(
        columns=tuple(columns),
        coefficients=tuple(float(b) for b in beta),
        n=total_n,
        rank=int(rank),
        residual_sd=residual_sd,
        mean_baseline=sum_b / total_n,
        mean_follow_up=sum_f / total_n,
        factor_levels=levels,
    )


def _level_key(level: str) -> tuple[int, float | str]:
    try:
        return (0, float(level))
    except ValueError:
        return (1, level)


@dataclass(frozen=True)
class Adjusted:
    """A unit's observed (O) and expected (E) mean follow-up and its adjusted figures."""

    n: int
    observed: float
    expected: float
    adjusted_follow_up: float
    adjusted_change: float


def case_mix_adjust(
    model: CaseMixModel, cells: Iterable[tuple[Mapping[str, str], CellSums]]
) -> Adjusted | None:
    """Adjusted score for one unit (provider, practice): national mean + (O − E).

    O is the unit's mean follow-up, E the mean of its patients' predicted follow-up; adjusted
    follow-up = national mean follow-up + (O − E) and adjusted change = national mean change +
    (O − E), as the NHS PROMs programme publishes AdjQ2 and AdjHG (docs/methods.md §2).
    """
    n = 0
    observed_sum = expected_sum = 0.0
    for cov, cell in cells:
        if cell.n == 0:
            continue
        n += cell.n
        observed_sum += cell.sum_f
        expected_sum += model.cell_expected_sum(cov, cell)
    if n == 0:
        return None
    observed, expected = observed_sum / n, expected_sum / n
    return Adjusted(
        n=n,
        observed=observed,
        expected=expected,
        adjusted_follow_up=model.mean_follow_up + observed - expected,
        adjusted_change=model.mean_change + observed - expected,
    )


# --- funnel plots -------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelLimits:
    target: float
    lower_95: float
    upper_95: float
    lower_998: float
    upper_998: float

    def position(self, value: float) -> str:
        """below_99.8 < below_95 < within < above_95 < above_99.8; on a limit counts as within."""
        if value < self.lower_998:
            return "below_99.8"
        if value < self.lower_95:
            return "below_95"
        if value > self.upper_998:
            return "above_99.8"
        if value > self.upper_95:
            return "above_95"
        return "within"


def funnel_limits_mean(target: float, sd: float, n: int) -> FunnelLimits:
    """Spiegelhalter (2005) limits for a mean: θ0 ± z·σ/√n at 95% and 99.8%."""
    se = sd / math.sqrt(n)
    return FunnelLimits(
        target, target - Z95 * se, target + Z95 * se, target - Z998 * se, target + Z998 * se
    )


# --- proportions ---------------------------------------------------------------------------


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval for a proportion (as PHEindicatormethods ``wilson_lower/upper``)."""
    if n <= 0:
        return None
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    denominator = 1 + z * z / n
    return (centre - spread) / denominator, (centre + spread) / denominator


# --- inequality -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SlopeIndex:
    sii: float
    intercept: float
    rii: float | None
    lower: float | None
    upper: float | None
    ranks: tuple[float, ...]
    rii_lower: float | None = None
    rii_upper: float | None = None

    @property
    def rii_meaningful(self) -> bool:
        """RII (PHE) is the ratio of the fitted values at the least and the most deprived ends;
        a ratio only compares two positive quantities, so it is meaningful only when both
        fitted values are above zero (a mean change can be ~0 or negative at either end)."""
        return self.rii is not None and self.intercept > 0 and self.intercept + self.sii > 0


RII_DRAWS = 10_000
RII_SEED = 20050101


def slope_index_of_inequality(
    values: Sequence[float],
    populations: Sequence[float],
    standard_errors: Sequence[float] | None = None,
    z: float = Z95,
) -> SlopeIndex:
    """Slope index of inequality (Low & Low 2004; PHEindicatormethods ``phe_sii``).

    Groups are ordered most deprived first. Each group's relative rank is the midpoint of its
    share of the cumulative population, b_i = Σ_{j<i} a_j + a_i/2; SII is the slope of the
    weighted least squares fit of value on rank with weights a_i: the fitted difference between
    the least deprived end (b = 1) and the most deprived (b = 0). RII = (intercept + SII) /
    intercept. With standard errors, the CI is the closed form SII ± z·√(Σ c_i² se_i²), which
    PHE's simulation converges to for means (c = the SII row of (XᵀWX)⁻¹XᵀW).
    """
    if len(values) != len(populations) or len(values) < 2:
        raise ValueError("Need at least two groups with a value and a population each.")
    a = np.asarray(populations, dtype=float)
    a = a / a.sum()
    ranks = np.cumsum(a) - a / 2
    x = np.column_stack([np.ones_like(ranks), ranks])
    w = np.diag(a)
    hat = np.linalg.solve(x.T @ w @ x, x.T @ w)
    intercept, slope = hat @ np.asarray(values, dtype=float)
    lower = upper = rii_lower = rii_upper = None
    rii = (intercept + slope) / intercept if intercept else None
    if standard_errors is not None:
        # Cov(intercept, slope) = H·diag(se²)·Hᵀ; the SII's variance is its second diagonal.
        covariance = hat @ np.diag(np.asarray(standard_errors, dtype=float) ** 2) @ hat.T
        se = math.sqrt(float(covariance[1, 1]))
        lower, upper = slope - z * se, slope + z * se
        if rii is not None:
            # RII is a ratio, skewed when the intercept is uncertain, so its interval is by
            # simulation as PHE phe_sii does: draw each group's value from N(value, se²),
            # refit, take the 2.5th and 97.5th centiles (fixed seed: the same answer twice).
            rng = np.random.default_rng(RII_SEED)
            draws = rng.normal(values, standard_errors, size=(RII_DRAWS, len(values)))
            fitted = draws @ hat.T
            with np.errstate(divide="ignore", invalid="ignore"):
                simulated = (fitted[:, 0] + fitted[:, 1]) / fitted[:, 0]
            tail = (1 - (2 * NormalDist().cdf(z) - 1)) / 2 * 100
            rii_lower, rii_upper = np.nanpercentile(simulated, [tail, 100 - tail])
    return SlopeIndex(
        float(slope),
        float(intercept),
        None if rii is None else float(rii),
        lower,
        upper,
        tuple(float(r) for r in ranks),
        None if rii_lower is None else float(rii_lower),
        None if rii_upper is None else float(rii_upper),
    )


# --- rates and standardisation ---------------------------------------------------------------

# European Standard Population 2013, 19 bands 0-4 ... 85-89, 90+ (Eurostat 2013; as in
# PHEindicatormethods' esp2013 vector; the project's shared reference data has the same table).
ESP2013 = (
    5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000,
    7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000,
)  # fmt: skip


@dataclass(frozen=True)
class Rate:
    value: float
    lower: float | None
    upper: float | None
    method: str


def byar_limits(observed: int, z: float = Z95) -> tuple[float, float]:
    """Byar's approximation to the exact Poisson limits of a count (Breslow & Day 1987)."""
    o = observed
    lower = 0.0 if o == 0 else o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3
    o1 = o + 1
    upper = o1 * (1 - 1 / (9 * o1) + z / (3 * math.sqrt(o1))) ** 3
    return lower, upper


def exact_poisson_limits(observed: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) limits: χ²_{α/2, 2O}/2 and χ²_{1−α/2, 2O+2}/2 (lower 0 when O = 0)."""
    alpha = 1 - level
    lower = 0.0 if observed == 0 else chi2_quantile(alpha / 2, 2 * observed) / 2
    upper = chi2_quantile(1 - alpha / 2, 2 * observed + 2) / 2
    return lower, upper


def poisson_limits(observed: int, level: float = 0.95) -> tuple[float, float, str]:
    """PHE's rule: exact limits when O < 10, Byar's when O ≥ 10."""
    if observed < 10:
        return (*exact_poisson_limits(observed, level), "exact Poisson")
    return (*byar_limits(observed, normal_quantile(0.5 + level / 2)), "Byar")


def crude_rate(observed: int, population: float, per: float = 1000) -> Rate | None:
    """Events per ``per`` population with Poisson limits (exact below 10 events, else Byar)."""
    if not population:
        return None
    lower, upper, method = poisson_limits(observed)
    scale = per / population
    return Rate(observed * scale, lower * scale, upper * scale, method)


def directly_standardised_rate(
    events: Sequence[int],
    populations: Sequence[float],
    standard: Sequence[float] = ESP2013,
    per: float = 100_000,
) -> Rate | None:
    """Directly standardised rate with Dobson et al. (1991) limits (PHEindicatormethods DSR).

    DSR = Σ(x_i w_i / n_i)/Σw_i; var = Σ x_i (w_i/n_i)² / (Σw)²; limits DSR + √(var/O)·(O_lim − O)
    with O_lim the Byar limits of O. Not calculated when O < 10 (PHE's rule).
    """
    x = np.asarray(events, dtype=float)
    n = np.asarray(populations, dtype=float)
    w = np.asarray(standard, dtype=float)
    total = x.sum()
    if total < 10 or np.any(n <= 0):
        return None
    dsr = float(np.sum(x * w / n) / w.sum())
    variance = float(np.sum(x * (w / n) ** 2) / w.sum() ** 2)
    o_lower, o_upper = byar_limits(int(total))
    factor = math.sqrt(variance / total)
    return Rate(
        dsr * per,
        (dsr + factor * (o_lower - total)) * per,
        (dsr + factor * (o_upper - total)) * per,
        "direct (ESP 2013), Dobson limits",
    )


def indirectly_standardised_ratio(
    observed: int, populations: Sequence[float], reference_rates: Sequence[float]
) -> Rate | None:
    """Indirectly standardised ratio O/E, E = Σ_s rate_ref,s · pop_s (PHE ``calculate_ISRatio``),
    with Poisson limits on O divided by E (exact below 10, Byar otherwise)."""
    expected = float(np.dot(np.asarray(populations, float), np.asarray(reference_rates, float)))
    if expected <= 0:
        return None
    lower, upper, method = poisson_limits(observed)
    return Rate(observed / expected, lower / expected, upper / expected, f"indirect, {method}")


def reference_rates(
    events: Sequence[Mapping[Hashable, int]],
    populations: Sequence[Mapping[Hashable, float]],
    strata: Sequence[Hashable],
) -> dict[Hashable, float]:
    """Reference rate of each stratum, Σ events_s / Σ population_s over the units given (the
    "standard" of indirect standardisation, PHE ``calculate_ISRatio``); 0 where no one is
    registered in the stratum."""
    rates = {}
    for stratum in strata:
        count = sum(unit.get(stratum, 0) for unit in events)
        population = sum(unit.get(stratum, 0) for unit in populations)
        rates[stratum] = count / population if population else 0.0
    return rates


# --- ranks -----------------------------------------------------------------------------------


def percent_rank(values: Sequence[float | None]) -> list[float | None]:
    """SQL PERCENT_RANK: (rank − 1)/(m − 1), ties share the lowest rank; None stays None
    (OpenPrescribing's practice percentiles)."""
    present = sorted(v for v in values if v is not None)
    m = len(present)
    ranks: list[float | None] = []
    for value in values:
        if value is None:
            ranks.append(None)
        elif m == 1:
            ranks.append(0.0)
        else:
            ranks.append(present.index(value) / (m - 1))
    return ranks


def deciles(values: Sequence[float | None]) -> list[int | None]:
    """Decile 1 (lowest tenth) to 10 (highest) of each value among the others: ⌊10·PR⌋ + 1,
    capped at 10, from PERCENT_RANK."""
    return [None if pr is None else min(10, math.floor(10 * pr) + 1) for pr in percent_rank(values)]
