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
    canonical = f"{base_url.rstrip('/')}/fhir/Questionnaire/{spec.code}"
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
