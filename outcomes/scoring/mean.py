"""Mean of the scored items (PEG: Krebs EE et al. J Gen Intern Med 2009;24:733-8).

Params: ``score`` (the score's name, default ``score``). The PEG paper gives no missing-item
rule, so the project's strict rule applies (instruments.md, decision ``peg-07``): any scored item
missing gives no score.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from outcomes.specs import InstrumentSpec


def score(
    spec: InstrumentSpec, values: Mapping[str, int | None], params: Mapping, options: Mapping
) -> dict[str, Any]:
    name = params.get("score", "score")
    answers = [values[item.id] for item in spec.items if item.scored]
    if not answers or any(answer is None for answer in answers):
        return {name: None}
    return {name: sum(answers) / len(answers)}
