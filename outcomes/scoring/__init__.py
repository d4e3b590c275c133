"""Pure scoring: validate coded answers against a definition, then apply its scoring method.

Each scoring method lives in its own module and exposes ``score(spec, values, params, options)``
returning a value for every score the definition declares. ``values`` maps item id to the coded
answer, with missing and not-applicable answers as ``None``; the method applies its manual's
missing-item rule. Nothing here touches the database, so the API, the management command, the
patient pages and the benchmarks all score the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from outcomes.harmonisation import harmonise, round_half_up
from outcomes.scoring import domains, eq5d, fiqr, mean, odi, oxford, startback, summed
from outcomes.specs import InstrumentSpec

Values = Mapping[str, int | None]
Scorer = Callable[[InstrumentSpec, Values, Mapping, Mapping], dict[str, Any]]

SCORERS: dict[str, Scorer] = {
    "summed": summed.score,
    "oxford": oxford.score,
    "eq5d": eq5d.score,
    "odi": odi.score,
    "startback": startback.score,
    "mean": mean.score,
    "fiqr": fiqr.score,
    "domains": domains.score,
}


class AnswerError(ValueError):
    """Answers that do not fit the definition; ``errors`` lists ``(item id or None, message)``."""

    def __init__(self, errors: list[tuple[str | None, str]]):
        self.errors = errors
        super().__init__("; ".join(message for _, message in errors))


def parse_answers(spec: InstrumentSpec, raw: Any) -> dict[str, int | None]:
    """Check raw answers (a list in item order, or a mapping by item id) and key them by item id.

    Every problem is collected so the caller can name each offending item at once.
    """
    errors: list[tuple[str | None, str]] = []
    if isinstance(raw, list):
        if len(raw) != len(spec.items):
            raise AnswerError(
                [
                    (
                        None,
                        f"{spec.code} has {len(spec.items)} items; "
                        f"{len(raw)} answers were given. Use null for an unanswered item.",
                    )
                ]
            )
        pairs = list(zip(spec.item_ids, raw, strict=True))
    elif isinstance(raw, Mapping):
        unknown = [key for key in raw if key not in spec.item_ids]
        for key in unknown:
            errors.append((str(key), f"'{key}' is not an item of {spec.code}."))
        pairs = [(item_id, raw.get(item_id)) for item_id in spec.item_ids]
    else:
        raise AnswerError(
            [(None, "answers must be a list in item order or an object keyed by item id.")]
        )

    values: dict[str, int | None] = {}
    for item_id, value in pairs:
        item = spec.item(item_id)
        if value is None:
            values[item_id] = None
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append((item_id, f"Item '{item_id}' must be a whole number or null."))
            continue
        if value not in item.allowed_codes():
            message = f"Item '{item_id}' does not accept {value}; {_accepted(item)}."
            errors.append((item_id, message))
            continue
        values[item_id] = value
    if errors:
        raise AnswerError(errors)
    return values


def _accepted(item) -> str:
    if item.kind == "integer":
        return f"it takes a whole number from {item.minimum} to {item.maximum}"
    codes = ", ".join(str(code) for code in sorted(item.allowed_codes()))
    return f"it takes one of {codes}"


def score_answers(
    spec: InstrumentSpec, answers: Values, options: Mapping | None = None
) -> dict[str, Any]:
    """Score parsed answers: the instrument's own scores plus harmonised outcome scores."""
    values = {
        item.id: (
            None if answers.get(item.id) in item.not_applicable_codes() else answers.get(item.id)
        )
        for item in spec.items
    }
    raw_scores = SCORERS[spec.scoring_method](spec, values, spec.scoring_params, options or {})
    scores = {s.name: _rounded(raw_scores.get(s.name), s.decimals) for s in spec.scores}
    return {
        "instrument": spec.code,
        "version": spec.version,
        "scores": scores,
        "outcomes": harmonise(spec, values, scores),
    }


def score(spec: InstrumentSpec, raw: Any, options: Mapping | None = None) -> dict[str, Any]:
    """Parse and score raw answers in one call (raises :class:`AnswerError`)."""
    return score_answers(spec, parse_answers(spec, raw), options)


def _rounded(value: Any, decimals: int) -> Any:
    if value is None or isinstance(value, str):
        return value
    return round_half_up(value, decimals)
