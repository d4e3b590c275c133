"""Unweighted sum of the scored items (MSK-HQ total, NRS pain score).

Params: ``score`` (the score's name, default ``total``). No published missing-item rule exists for
these instruments (instruments.md: none in Hill 2016, Price 2019 or the OUI FAQ for MSK-HQ), so
the project's strict rule applies: any scored item missing gives no score.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from outcomes.specs import InstrumentSpec


def score(
    spec: InstrumentSpec, values: Mapping[str, int | None], params: Mapping, options: Mapping
) -> dict[str, Any]:
    name = params.get("score", "total")
    answers = [values[item.id] for item in spec.items if item.scored]
    if any(answer is None for answer in answers):
        return {name: None}
    return {name: sum(answers)}
