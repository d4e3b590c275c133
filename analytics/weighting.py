"""Who answers? A response model for inverse-probability-of-response weights (pure).

Equity figures describe the patients who answered both questionnaires. Response differs by
deprivation (35% in the most deprived fifth at six months on the demo, 81% in the least), so a
sensitivity estimate re-weights each responder by 1/P(respond | covariates): the standard
inverse-probability weighting for data missing at random given the covariates (Seaman & White,
Stat Methods Med Res 2013;22:278-95). P is a logistic regression of responding on provider,
age band, sex and IMD quintile, fitted by iteratively reweighted least squares on counts per
covariate pattern (a grouped binomial GLM: identical to fitting it on the invitations one by
one), so the database returns one row per pattern, never one per patient.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

FACTORS = ("provider", "age_band", "sex", "imd_quintile")


@dataclass(frozen=True)
class ResponseModel:
    columns: tuple[str, ...]
    coefficients: tuple[float, ...]
    invitations: int
    iterations: int

    def probability(self, pattern: Mapping[str, Hashable]) -> float:
        """Fitted P(respond) for a covariate pattern (levels the model never saw count as the
        reference level)."""
        named = dict(zip(self.columns, self.coefficients, strict=True))
        linear = named["intercept"] + sum(
            named.get(f"{factor}={pattern[factor]}", 0.0) for factor in FACTORS
        )
        return 1 / (1 + math.exp(-linear))


def _design(
    patterns: Sequence[Mapping[str, Hashable]],
) -> tuple[tuple[str, ...], np.ndarray]:
    levels = {factor: sorted({str(p[factor]) for p in patterns}, key=str) for factor in FACTORS}
    columns = ["intercept"] + [
        f"{factor}={level}" for factor in FACTORS for level in levels[factor][1:]
    ]
    x = np.zeros((len(patterns), len(columns)))
    x[:, 0] = 1.0
    index = {name: i for i, name in enumerate(columns)}
    for row, pattern in enumerate(patterns):
        for factor in FACTORS:
            column = index.get(f"{factor}={pattern[factor]}")
            if column is not None:
                x[row, column] = 1.0
    return tuple(columns), x


def response_model_fit(
    patterns: Sequence[Mapping[str, Hashable]],
    invited: Sequence[int],
    responded: Sequence[int],
    *,
    ridge: float = 1e-6,
    max_iterations: int = 50,
) -> ResponseModel | None:
    """Logistic regression of responding on the covariate pattern by IRLS (Newton-Raphson on
    the binomial log-likelihood with counts). A tiny ridge keeps the Newton step defined when a
    level's response is all-or-nothing (quasi-separation); its coefficient then runs large and
    its fitted probability tends to 0 or 1, as an unpenalised fit would. None if nobody was
    invited."""
    keep = [i for i, n in enumerate(invited) if n > 0]
    if not keep:
        return None
    patterns = [patterns[i] for i in keep]
    n = np.asarray([invited[i] for i in keep], dtype=float)
    y = np.asarray([responded[i] for i in keep], dtype=float)
    columns, x = _design(patterns)
    beta = np.zeros(len(columns))
    overall = y.sum() / n.sum()
    beta[0] = math.log(max(overall, 1e-6) / max(1 - overall, 1e-6))
    iterations = 0
    for iterations in range(1, max_iterations + 1):  # noqa: B007
        eta = x @ beta
        p = 1 / (1 + np.exp(-eta))
        w = n * p * (1 - p)
        gradient = x.T @ (y - n * p) - ridge * beta
        hessian = x.T @ (x * w[:, None]) + ridge * np.eye(len(columns))
        step = np.linalg.solve(hessian, gradient)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return ResponseModel(columns, tuple(float(b) for b in beta), int(n.sum()), iterations)


def weighted_mean(
    cells: Sequence[tuple[float, int, float, float]],
) -> tuple[float, float] | None:
    """Weighted mean change and its SE from cells of (weight, n, Σd, Σd²), every patient of a
    cell carrying the cell's weight: m = Σw·Σd / Σw·n; var = Σ w²·Σ(d − m)² / (Σw·n)² (the
    sandwich variance of a ratio estimator, taking the weights as known)."""
    total_weight = sum(w * n for w, n, _, _ in cells)
    if total_weight <= 0:
        return None
    mean = sum(w * s for w, _, s, _ in cells) / total_weight
    variance = (
        sum(w * w * (ss - 2 * mean * s + n * mean * mean) for w, n, s, ss in cells)
        / total_weight**2
    )
    return mean, math.sqrt(max(variance, 0.0))
