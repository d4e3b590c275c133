"""Statistical process control in the NHS "Making Data Count" (MDC) style: the XmR chart.

Pure functions on plain numbers, so the page, the CSV, the board pack and the tests share them.

Limits (MDC; the NHS-R community's NHSRplotthedots, which implements MDC for NHS England):

- centre line: the mean of the points;
- moving ranges |x_i − x_(i−1)|; their mean, after *screening*: a moving range above 3.267 × the
  mean moving range is left out and the mean recomputed (an outlier must not widen the limits);
- process limits: mean ± 2.66 × mean moving range (2.66 = 3 / d2, d2 = 1.128 for n = 2, i.e.
  three sigma); "near" limits at two thirds of that distance (two sigma).

Special cause rules (MDC "Making data count: strengthening your decisions", NHS Improvement
2019, and NHSRplotthedots ``ptd_calculate_point_type``), checked in this order of precedence:

1. a point outside the process limits;
2. a trend: seven points in a row each higher (or each lower) than the one before, i.e. six
   consecutive increases (or decreases) — every point of the run is flagged;
3. two out of three points in a row close to (beyond two thirds of the way to) the same process
   limit, on the same side of the mean — the points close to the limit are flagged;
4. a shift: seven points in a row all above (or all below) the mean — every point is flagged.

A point exactly on the mean breaks a shift. Each flagged point is "improvement" or "concern"
by the measure's direction (``higher_is_better``), or "neutral" when no direction is given.

Variation icon (from the last point, as MDC): special cause improvement/concern, high or low,
or common cause. Assurance icon (needs a target): the target outside the process limits on the
good side means the process will consistently pass ("pass"), on the bad side consistently fail
("fail"); between the limits it will hit and miss ("hit-and-miss").
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

LIMIT = 2.66  # 3 / 1.128
NEAR = 2 * LIMIT / 3
SCREEN = 3.267  # D4 for n = 2: moving ranges above 3.267 × mean are screened out
RUN = 7  # shift and trend length
MINIMUM_POINTS = 12  # fewer: no limits (NHSRplotthedots warns below 12; MDC advises 15-20)


@dataclass(frozen=True)
class XmR:
    mean: float | None
    mean_moving_range: float | None
    lower: float | None
    upper: float | None
    near_lower: float | None
    near_upper: float | None
    # per point: None (common cause) or one of the rule names below
    rules: list[str | None] = field(default_factory=list)
    # per point: "improvement", "concern", "neutral" or None
    signals: list[str | None] = field(default_factory=list)
    variation: str | None = None  # icon code, see variation_icon
    assurance: str | None = None  # "pass", "fail", "hit-and-miss" or None (no target)


RULE_TEXT = {
    "outside-limits": "a point outside the process limits",
    "trend": f"{RUN} points in a row each rising (or each falling)",
    "two-of-three": "2 of 3 points in a row close to the same process limit",
    "shift": f"{RUN} points in a row on the same side of the mean",
}


def limits(values: Sequence[float], *, screen: bool = True) -> tuple[float, float]:
    """The centre line and the (screened) mean moving range."""
    mean = sum(values) / len(values)
    ranges = [abs(b - a) for a, b in itertools.pairwise(values)]
    if not ranges:
        return mean, 0.0
    average = sum(ranges) / len(ranges)
    if screen:
        kept = [r for r in ranges if r < SCREEN * average]
        if kept:
            average = sum(kept) / len(kept)
    return mean, average


def _sign(value: float, mean: float) -> int:
    return (value > mean) - (value < mean)


def _trend_points(values: Sequence[float]) -> list[int]:
    """+1/−1 for each point in a run of RUN points each rising/falling, 0 otherwise."""
    flags = [0] * len(values)
    for end in range(RUN - 1, len(values)):
        window = values[end - RUN + 1 : end + 1]
        steps = {_sign(b, a) for a, b in itertools.pairwise(window)}
        if steps in ({1}, {-1}):
            direction = steps.pop()
            for i in range(end - RUN + 1, end + 1):
                flags[i] = direction
    return flags


def _shift_points(sides: Sequence[int]) -> list[int]:
    flags = [0] * len(sides)
    for end in range(RUN - 1, len(sides)):
        window = sides[end - RUN + 1 : end + 1]
        if window[0] != 0 and all(s == window[0] for s in window):
            for i in range(end - RUN + 1, end + 1):
                flags[i] = window[0]
    return flags


def _two_of_three_points(near: Sequence[int], sides: Sequence[int]) -> list[int]:
    """Points close to a limit (``near`` ±1) that are 2 of 3 in a row near the same limit."""
    flags = [0] * len(near)
    for start in range(len(near) - 2):
        window = range(start, start + 3)
        for side in (1, -1):
            if all(sides[i] == side for i in window) and sum(near[i] == side for i in window) >= 2:
                for i in window:
                    if near[i] == side:
                        flags[i] = side
    return flags


def xmr(
    values: Sequence[float],
    *,
    higher_is_better: bool | None = True,
    target: float | None = None,
    screen: bool = True,
) -> XmR:
    """The XmR chart of a series with no gaps (leave withheld points out before calling)."""
    points = [float(v) for v in values]
    if len(points) < MINIMUM_POINTS:
        return XmR(None, None, None, None, None, None, [None] * len(points), [None] * len(points))
    mean, average = limits(points, screen=screen)
    lower, upper = mean - LIMIT * average, mean + LIMIT * average
    near_lower, near_upper = mean - NEAR * average, mean + NEAR * average
    sides = [_sign(v, mean) for v in points]
    outside = [(1 if v > upper else -1 if v < lower else 0) for v in points]
    near = [
        0 if outside[i] else (1 if v > near_upper else -1 if v < near_lower else 0)
        for i, v in enumerate(points)
    ]
    trend = _trend_points(points)
    two = _two_of_three_points(near, sides)
    shift = _shift_points(sides)
    rules: list[str | None] = []
    directions: list[int] = []
    for i in range(len(points)):
        for name, flags in (
            ("outside-limits", outside),
            ("trend", trend),
            ("two-of-three", two),
            ("shift", shift),
        ):
            if flags[i]:
                rules.append(name)
                directions.append(flags[i])
                break
        else:
            rules.append(None)
            directions.append(0)
    signals = [_signal(d, higher_is_better) for d in directions]
    return XmR(
        mean=mean,
        mean_moving_range=average,
        lower=lower,
        upper=upper,
        near_lower=near_lower,
        near_upper=near_upper,
        rules=rules,
        signals=signals,
        variation=variation_icon(directions[-1], higher_is_better),
        assurance=assurance_icon(lower, upper, target, higher_is_better),
    )


def _signal(direction: int, higher_is_better: bool | None) -> str | None:
    if direction == 0:
        return None
    if higher_is_better is None:
        return "neutral"
    good = direction > 0 if higher_is_better else direction < 0
    return "improvement" if good else "concern"


def variation_icon(last_direction: int, higher_is_better: bool | None) -> str:
    """MDC variation icon of the latest point: common-cause, or special cause
    improvement/concern/neutral, high or low."""
    if last_direction == 0:
        return "common-cause"
    level = "high" if last_direction > 0 else "low"
    return f"{_signal(last_direction, higher_is_better)}-{level}"


def assurance_icon(
    lower: float, upper: float, target: float | None, higher_is_better: bool | None
) -> str | None:
    """Will the process meet the target? Judged from where the target lies against the limits."""
    if target is None or higher_is_better is None:
        return None
    if target > upper:
        return "fail" if higher_is_better else "pass"
    if target < lower:
        return "pass" if higher_is_better else "fail"
    return "hit-and-miss"


VARIATION_TEXT = {
    "common-cause": "Common cause variation: no sign of change",
    "improvement-high": "Special cause variation: improvement (higher)",
    "improvement-low": "Special cause variation: improvement (lower)",
    "concern-high": "Special cause variation: concern (higher)",
    "concern-low": "Special cause variation: concern (lower)",
    "neutral-high": "Special cause variation: higher",
    "neutral-low": "Special cause variation: lower",
}
ASSURANCE_TEXT = {
    "pass": "The process will consistently meet the reference",
    "fail": "The process will consistently fall short of the reference",
    "hit-and-miss": "The process will sometimes meet the reference and sometimes not",
}
