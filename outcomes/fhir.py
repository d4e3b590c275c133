"""Export definitions as FHIR R4 resources (Questionnaire), so other NHS systems can render them.

Licensed wording is never exported: items carry their neutral labels, and the licence notice is
the Questionnaire's ``copyright``.
"""

from __future__ import annotations

import re
from typing import Any

from outcomes.specs import InstrumentSpec, Item

SDC_MIN_VALUE = "http://hl7.org/fhir/StructureDefinition/minValue"
SDC_MAX_VALUE = "http://hl7.org/fhir/StructureDefinition/maxValue"


def questionnaire(spec: InstrumentSpec, base_url: str) -> dict[str, Any]:
    """The instrument as a FHIR R4 ``Questionnaire`` resource (a plain dict, JSON-ready)."""
    canonical = questionnaire_canonical(spec, base_url)
    return {
        "resourceType": "Questionnaire",
        "id": f"{spec.code}-{spec.version}".replace(".", "-"),
        "url": canonical,
        "version": spec.version,
        "name": re.sub(r"[^A-Za-z0-9]", "", spec.short_title.title()) or "Questionnaire",
        "title": spec.title,
        "status": "active" if spec.status == "published" else "draft",
        "date": spec.governance.published_on,
        "publisher": spec.licence.holder,
        "description": spec.description,
        "copyright": spec.licence.notice,
        "item": [_item(item, canonical) for item in spec.items],
    }


def _item(item: Item, canonical: str) -> dict[str, Any]:
    described: dict[str, Any] = {
        "linkId": item.id,
        "text": item.text.get("en") or item.label,
        "required": item.required and item.asked_at == "all",
    }
    if item.kind == "choice":
        described["type"] = "choice"
        described["answerOption"] = [
            {
                "valueCoding": {
                    "system": f"{canonical}/{item.id}",
                    "code": str(option.code),
                    "display": option.text.get("en") or option.label,
                }
            }
            for option in item.options
        ]
    else:
        described["type"] = "integer"
        described["extension"] = [
            {"url": SDC_MIN_VALUE, "valueInteger": item.minimum},
            {"url": SDC_MAX_VALUE, "valueInteger": item.maximum},
        ]
    return described


def questionnaire_canonical(spec: InstrumentSpec, base_url: str) -> str:
    return f"{base_url.rstrip('/')}/fhir/Questionnaire/{spec.code}"


def questionnaire_response(
    *,
    spec: InstrumentSpec,
    answers: dict[str, Any],
    resource_id: str,
    subject_system: str,
    subject: str,
    authored: str,
    base_url: str,
) -> dict[str, Any]:
    """One instrument's answers as a FHIR R4 ``QuestionnaireResponse`` (a plain dict).

    ``questionnaire`` is the canonical of :func:`questionnaire` with ``|version``; the subject is
    a pseudonymous identifier only and ``authored`` a date (no time), so nothing identifies the
    patient. Unanswered items are left out, as FHIR expects.
    """
    canonical = questionnaire_canonical(spec, base_url)
    items = []
    for item in spec.items:
        value = answers.get(item.id)
        if value is None:
            continue
        if item.kind == "choice":
            option = next((o for o in item.options if str(o.code) == str(value)), None)
            coding = {"system": f"{canonical}/{item.id}", "code": str(value)}
            if option is not None:
                coding["display"] = option.text.get("en") or option.label
            answer = {"valueCoding": coding}
        else:
            answer = {"valueInteger": int(value)}
        items.append({"linkId": item.id, "answer": [answer]})
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": resource_id,
        "questionnaire": f"{canonical}|{spec.version}",
        "status": "completed",
        "subject": {"identifier": {"system": subject_system, "value": subject}},
        "authored": authored,
    }
    if items:  # FHIR forbids empty arrays
        resource["item"] = items
    return resource
