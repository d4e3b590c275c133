"""API representations of definitions, and the scoring request."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from outcomes.specs import InstrumentSpec, Item, PathwaySpec


class ScoreRequestSerializer(serializers.Serializer):
    answers = serializers.JSONField(
        help_text="Coded answers: a list in item order (null for missing) or an object by item id."
    )
    version = serializers.CharField(required=False, help_text="Defaults to the current version.")
    options = serializers.DictField(
        required=False, help_text='Scoring options, e.g. {"value_set": "uk-2026"} for EQ-5D-5L.'
    )

    def validate_answers(self, value: Any) -> Any:
        if not isinstance(value, list | dict):
            raise serializers.ValidationError(
                "Give a list of coded answers in item order, or an object keyed by item id."
            )
        return value


def instrument_summary(spec: InstrumentSpec, request) -> dict[str, Any]:
    return {
        "code": spec.code,
        "version": spec.version,
        "status": spec.status,
        "title": spec.title,
        "short_title": spec.short_title,
        "description": spec.description,
        "items": len(spec.items),
        "scores": [score.name for score in spec.scores],
        "outcomes": [rule.outcome for rule in spec.harmonisation],
        "licence": {"holder": spec.licence.holder, "notice": spec.licence.notice},
        "url": request.build_absolute_uri(f"/api/v1/instruments/{spec.code}/"),
    }


def instrument_detail(spec: InstrumentSpec, versions: list[str]) -> dict[str, Any]:
    """Everything needed to render or export the instrument, except licensed wording."""
    return {
        "code": spec.code,
        "version": spec.version,
        "versions": versions,
        "status": spec.status,
        "title": spec.title,
        "short_title": spec.short_title,
        "description": spec.description,
        "recall_period": spec.recall_period,
        "instructions": dict(spec.instructions),
        "paging": spec.paging,
        "licence": {
            "holder": spec.licence.holder,
            "notice": spec.licence.notice,
            "wording_licensed": spec.licence.wording_licensed,
            "url": spec.licence.url,
            "terms": spec.licence.terms,
        },
        "governance": {
            "source": spec.governance.source,
            "authored_by": spec.governance.authored_by,
            "checked_by": spec.governance.checked_by,
            "published_on": spec.governance.published_on,
            "review_by": spec.governance.review_by,
        },
        "items": [_item(item) for item in spec.items],
        "scoring": {"method": spec.scoring_method},
        "scores": [
            {
                "name": score.name,
                "label": score.label,
                "kind": score.kind,
                "minimum": score.minimum,
                "maximum": score.maximum,
                "higher_is_better": score.higher_is_better,
                "decimals": score.decimals,
                "categories": list(score.categories),
                "mic": score.mic,
                "mic_source": score.mic_source,
                "outcome": score.outcome,
            }
            for score in spec.scores
        ],
        "harmonisation": [
            {
                "outcome": rule.outcome,
                "source": rule.source,
                "name": rule.name,
                "minimum": rule.minimum,
                "maximum": rule.maximum,
                "higher_is_better": rule.higher_is_better,
            }
            for rule in spec.harmonisation
        ],
        "checksum": spec.checksum,
    }


def _item(item: Item) -> dict[str, Any]:
    described: dict[str, Any] = {
        "id": item.id,
        "label": item.label,
        "kind": item.kind,
        "text": dict(item.text),
        "outcome": item.outcome,
        "required": item.required,
        "asked_at": item.asked_at,
        "scored": item.scored,
    }
    if item.kind == "choice":
        described["options"] = [
            {
                "code": option.code,
                "label": option.label,
                "text": dict(option.text),
                "not_applicable": option.not_applicable,
            }
            for option in item.options
        ]
    else:
        described.update(minimum=item.minimum, maximum=item.maximum, anchors=dict(item.anchors))
    return described


def pathway_detail(spec: PathwaySpec) -> dict[str, Any]:
    return {
        "code": spec.code,
        "version": spec.version,
        "status": spec.status,
        "condition": spec.condition,
        "title": spec.title,
        "description": spec.description,
        "reminder_days": list(spec.reminder_days),
        "timepoints": [
            {
                "code": t.code,
                "label": t.label,
                "anchor": t.anchor,
                "offset_days": t.offset_days,
                "opens_before_days": t.opens_before_days,
                "closes_after_days": t.closes_after_days,
                "instruments": list(t.instruments),
                "follow_up": t.follow_up,
            }
            for t in spec.timepoints
        ],
    }
