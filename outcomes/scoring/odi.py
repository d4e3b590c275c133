"""Oswestry Disability Index v2.1a: percent disability (0-100, higher worse).

Source: Fairbank JCT, Pynsent PB. Spine 2000;25:2940-52, doi:10.1097/00007632-200011150-00017,
and the ODI v2.1a scoring sheet. Each of the 10 sections is coded 0 (first statement) .. 5 (last);
``percent = total / (5 × sections answered) × 100``, so an unanswered or not-applicable section
shrinks the denominator by 5 (sheet: 16/50 = 32%; one section missed, 16/45 = 35.6%).

Cap on missing sections (project decision; none is published, instruments.md): params
``max_missing`` = 1. The scoring sheet shows the calculation with one section missed or not
applicable and no more, and the project rule is to be strict where the manual is silent; it also
matches awell-score, which refuses more than one missing section. More than ``max_missing``
sections missing, or all of them, gives no score.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from outcomes.specs import InstrumentSpec

POINTS_PER_SECTION = 5


def score(
    spec: InstrumentSpec, values: Mapping[str, int | None], params: Mapping, options: Mapping
) -> dict[str, Any]:
    name = params.get("score", "percent")
    max_missing = params.get("max_missing", 1)
    answers = [values[item.id] for item in spec.items if item.scored]
    answered = [answer for answer in answers if answer is not None]
    if not answered or len(answers) - len(answered) > max_missing:
        return {name: None}
    return {name: 100 * sum(answered) / (POINTS_PER_SECTION * len(answered))}
