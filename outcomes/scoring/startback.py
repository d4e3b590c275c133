"""Keele STarT Back Screening Tool (9 items): total, psychosocial subscore and risk group.

Source: Hill JC et al. Arthritis Rheum 2008;59:632-41 (doi:10.1002/art.23563) and Keele
University's "Using and scoring" page. Items 1-8 are Disagree 0 / Agree 1; item 9
(bothersomeness) has five options coded 0-4 and counts as positive only for "Very much" (3) and
"Extremely" (4). Total = positives of items 1-9 (0-9); psychosocial = items 5-9 (0-5).
Risk: total 0-3 low; total 4-9 medium, unless psychosocial is 4 or 5, then high.

Missing items: no published rule. Project decision ``startback-11``: any item missing gives no
total, no psychosocial score and no risk group, because a missing positive could change the group.

Params (from the definition file): ``psychosocial_items`` (ids of items 5-9), ``bothersome_item``
(item 9's id), ``bothersome_positive_from`` (3, "Very much"), ``medium_from_total`` (4) and
``high_from_psychosocial`` (4). A stratifier, not an outcome measure: no MIC and no harmonised
outcome (docs/harmonisation.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from outcomes.specs import InstrumentSpec


def score(
    spec: InstrumentSpec, values: Mapping[str, int | None], params: Mapping, options: Mapping
) -> dict[str, Any]:
    if any(values[item.id] is None for item in spec.items):
        return {"total": None, "psychosocial": None, "risk": None}
    bothersome = params["bothersome_item"]
    positive = {
        item.id: (
            values[item.id] >= params["bothersome_positive_from"]
            if item.id == bothersome
            else values[item.id] == 1
        )
        for item in spec.items
    }
    total = sum(positive.values())
    psychosocial = sum(positive[item_id] for item_id in params["psychosocial_items"])
    if total < params["medium_from_total"]:
        risk = "low"
    elif psychosocial >= params["high_from_psychosocial"]:
        risk = "high"
    else:
        risk = "medium"
    return {"total": total, "psychosocial": psychosocial, "risk": risk}
