"""Oxford Knee and Hip Scores, 0-48 scoring (higher better).

Source: Murray DW et al. J Bone Joint Surg Br 2007;89:1010-4, doi:10.1302/0301-620X.89B8.19424,
and the OUI OKS/OHS scoring guides, "Guide to the (new) scoring system", 2018. Each of the 12
items is coded 4 (least severe) .. 0 (most severe); the total is their sum.

Missing items (OUI guides): with 1 or 2 items unanswered, each is replaced by the mean of the
patient's answered items, which is the same as ``total = answered sum × 12 / n answered``; with
more than ``max_missing`` (2) unanswered there is no score.

Rounding of an imputed total (project decision; the guides' rounding is unverified): params
``imputed_rounding`` = ``"nearest-integer"`` rounds the exact fraction to the nearest whole point,
so every total stays on the published integer 0-48 scale that the MICs (7 OKS, 8 OHS) and the
NHS PROMs figures use. It is done in exact integer arithmetic. Ties cannot occur: with 10
answered items the fraction is a multiple of 0.2, with 11 a multiple of 1/11, never x.5.
``"none"`` returns the exact fraction instead, left to the score's declared ``decimals``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from outcomes.specs import InstrumentSpec

ROUNDINGS = ("nearest-integer", "none")


def score(
    spec: InstrumentSpec, values: Mapping[str, int | None], params: Mapping, options: Mapping
) -> dict[str, Any]:
    name = params.get("score", "total")
    max_missing = params.get("max_missing", 2)
    rounding = params.get("imputed_rounding", "nearest-integer")
    if rounding not in ROUNDINGS:
        raise ValueError(f"{spec.code}: imputed_rounding must be one of {', '.join(ROUNDINGS)}.")

    answers = [values[item.id] for item in spec.items if item.scored]
    answered = [answer for answer in answers if answer is not None]
    items, n = len(answers), len(answered)
    if n == 0 or items - n > max_missing:
        return {name: None}
    if n == items:
        return {name: sum(answered)}
    if rounding == "none":
        return {name: sum(answered) * items / n}
    # Nearest integer of sum × items / n, half up, without floating point.
    return {name: (2 * sum(answered) * items + n) // (2 * n)}
