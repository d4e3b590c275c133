"""Put scores on one common scale and class change by each instrument's minimal important change.

Harmonised value = 100 × (x − min) / (max − min), reversed where higher is worse, so 0 is the
worst and 100 the best possible on every instrument (a display and comparison aid, not a published
linking: see docs/harmonisation.md). Change between two timepoints is always judged on the
score's own scale with its own MIC; a MIC is never converted between instruments.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from outcomes.specs import InstrumentSpec, ScoreSpec

IMPROVED = "improved"
NO_CHANGE = "no change"
WORSE = "worse"


def harmonised_value(
    value: float | None, minimum: float, maximum: float, higher_is_better: bool
) -> float | None:
    """Rescale one value to 0-100, higher better, to one decimal place."""
    if value is None:
        return None
    fraction = (value - minimum) / (maximum - minimum)
    if not higher_is_better:
        fraction = 1 - fraction
    return round_half_up(100 * fraction, 1)


def round_half_up(value: float, decimals: int) -> float | int:
    """Round half up at the given precision, as manuals do (Python's ``round`` rounds half to
    even, so 6.25 would become 6.2). ``repr`` gives the shortest exact decimal of the float."""
    quantised = Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    return int(quantised) if decimals == 0 else float(quantised)


def harmonise(
    spec: InstrumentSpec, values: Mapping[str, int | None], scores: Mapping[str, Any]
) -> dict[str, float | None]:
    """Harmonised 0-100 score for every outcome the instrument informs."""
    harmonised: dict[str, float | None] = {}
    for rule in spec.harmonisation:
        raw = scores.get(rule.name) if rule.source == "score" else values.get(rule.name)
        harmonised[rule.outcome] = harmonised_value(
            raw, rule.minimum, rule.maximum, rule.higher_is_better
        )
    return harmonised


def classify_change(score: ScoreSpec, before: float | None, after: float | None) -> str | None:
    """Class a change as improved, no change or worse by the score's MIC on its own scale.

    A change at least as large as the MIC in the better direction is an improvement (the usual
    convention: the MIC is the smallest change patients regard as important).
    """
    if before is None or after is None or score.mic is None or score.higher_is_better is None:
        return None
    change = after - before if score.higher_is_better else before - after
    # A tiny tolerance so that, e.g., 0.1 + 0.2 counts as reaching a MIC of 0.3.
    if change >= score.mic - 1e-9:
        return IMPROVED
    if change <= -score.mic + 1e-9:
        return WORSE
    return NO_CHANGE
