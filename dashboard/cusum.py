"""Which GP practices changed recently, or sit persistently in the worst decile (pure).

OpenPrescribing flags practices whose position among practices has changed with a CUSUM on the
practice's percentile over time. We do the same on each practice measure's percentile (0 = the
lowest value of all practices in the period, 100 = the highest):

*Changed recently* — a two-sided tabular CUSUM (Page 1954; Montgomery, *Introduction to
Statistical Quality Control*, §9.1) on the practice's percentile series. The reference level
μ0 is the mean of the first ``BASELINE`` published periods and σ their standard deviation (at
least ``MIN_SIGMA`` percentile points, so a practice that sat still at first is not flagged for
ordinary wobble). From the next period on

    S⁺_t = max(0, S⁺_(t−1) + (x_t − μ0)/σ − k),    S⁻_t = max(0, S⁻_(t−1) − (x_t − μ0)/σ − k)

with allowance k = 0.5 and decision interval h = 4 (Montgomery's usual choice: it detects a
sustained shift of about one σ within a few periods and rarely alarms on noise). The practice
is flagged if S⁺ or S⁻ exceeds h at any of the last ``RECENT`` periods; the direction is the
side that alarmed.

*Persistently in the worst decile* — in the worst tenth of practices (by the measure's good
direction) in at least ``PERSISTENT`` of the last ``PERSISTENT_OF`` published periods.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

K = 0.5
H = 4.0
BASELINE = 4
MIN_SIGMA = 5.0
RECENT = 2
PERSISTENT = 3
PERSISTENT_OF = 4


@dataclass(frozen=True)
class Cusum:
    upper: list[float]
    lower: list[float]
    changed: str | None  # "up", "down" or None


def cusum(percentiles: Sequence[float | None]) -> Cusum:
    """Two-sided CUSUM of a percentile series (None = not published that period: skipped)."""
    points = [p for p in percentiles if p is not None]
    if len(points) <= BASELINE:
        return Cusum([], [], None)
    reference = points[:BASELINE]
    mu = statistics.fmean(reference)
    sigma = max(statistics.stdev(reference), MIN_SIGMA)
    upper, lower = [0.0], [0.0]
    for x in points[BASELINE:]:
        z = (x - mu) / sigma
        upper.append(max(0.0, upper[-1] + z - K))
        lower.append(max(0.0, lower[-1] - z - K))
    upper, lower = upper[1:], lower[1:]
    changed = None
    for up, down in zip(upper[-RECENT:], lower[-RECENT:], strict=True):
        if up > H:
            changed = "up"
        elif down > H:
            changed = "down"
    return Cusum(upper, lower, changed)


def persistently_worst(deciles: Sequence[int | None], *, higher_is_better: bool) -> bool:
    """In the worst decile in at least PERSISTENT of the last PERSISTENT_OF published periods."""
    published = [d for d in deciles if d is not None][-PERSISTENT_OF:]
    worst = 1 if higher_is_better else 10
    return len(published) >= PERSISTENT and sum(d == worst for d in published) >= PERSISTENT
