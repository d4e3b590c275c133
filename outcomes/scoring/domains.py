"""Domain scores for the MSK Together common questionnaire: one 0-100 score per agreed outcome.

Rule: a score's domain is the set of scored items whose ``outcome`` equals the score's
``outcome``. Its value is the mean of the domain's answered items, each rescaled from its own
scale (``Item.scale()``: 0 worst .. 4 best, not-applicable codes excluded) to 0-1, times 100; so
0 is the worst and 100 the best answer on every item, higher is better.

Why a mean and not a sum: domains have different numbers of items, and a mean keeps every domain
on the same 0-100 scale and lets a domain with an unanswered item be scored without prorating.

Missing rule (a project decision; no published rule exists for a new instrument): a domain is
scored when at least ``min_answered_fraction`` of its items are answered (default a half, the
usual "half rule" for short multi-item scales), and at least one; a one-item domain needs its
item. Otherwise the score is ``None``. A "This does not apply to me" answer counts as missing:
someone who has not needed to get back in touch has told us nothing about access, so it must not
pull the score down (``outcomes.scoring.score_answers`` already turns those codes into ``None``;
they are ignored here too, so the scorer is safe to call directly).

Care-and-support items are ``asked_at: follow-up``, so at baseline their domains have no answers
and score ``None`` while the living-with-MSK domains are scored as usual.

Params: ``min_answered_fraction`` (number in (0, 1], default 0.5). Pure: no database.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from outcomes.specs import InstrumentSpec, Item


def score(
    spec: InstrumentSpec, values: Mapping[str, int | None], params: Mapping, options: Mapping
) -> dict[str, Any]:
    fraction = Fraction(str(params.get("min_answered_fraction", 0.5)))
    if not 0 < fraction <= 1:
        raise ValueError("min_answered_fraction must be above 0 and at most 1.")
    scores: dict[str, Any] = {}
    for score_spec in spec.scores:
        domain = score_spec.outcome or score_spec.name
        items = [item for item in spec.items if item.scored and item.outcome == domain]
        answered = [
            _rescaled(item, values.get(item.id))
            for item in items
            if values.get(item.id) is not None
            and values.get(item.id) not in item.not_applicable_codes()
        ]
        if not items or len(answered) < max(1, math.ceil(fraction * len(items))):
            scores[score_spec.name] = None
            continue
        scores[score_spec.name] = float(100 * sum(answered) / len(answered))
    return scores


def _rescaled(item: Item, value: int) -> Fraction:
    """The answer as a fraction of its item's scale: 0 the worst, 1 the best."""
    low, high = item.scale()
    return Fraction(value - low, high - low)
