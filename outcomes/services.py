"""Writes for the outcome framework: load reviewed definitions, import licensed wording, audit.

Each service runs in one transaction and writes its audit record beside the change.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import transaction

from outcomes.loading import Catalogue
from outcomes.models import (
    AuditEvent,
    Condition,
    Instrument,
    InstrumentWording,
    Outcome,
    Pathway,
)
from outcomes.specs import InstrumentSpec

logger = logging.getLogger(__name__)


class DefinitionConflict(Exception):
    """A definition that may not change in place (published, or already answered)."""


class WordingError(ValueError):
    """A licensed wording file that does not fit its instrument; ``errors`` lists each problem."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("; ".join(errors))


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged"
        )


def audit_record(*, actor, action: str, obj: Any, details: Mapping | None = None) -> AuditEvent:
    """Write one audit event for ``obj``; call inside the transaction that made the change."""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        details=dict(details or {}),
    )


@transaction.atomic
def definitions_load(*, definitions: Catalogue, by=None) -> LoadReport:
    """Copy every definition into the database; running it again changes nothing.

    A published version, or any version with responses, is never changed in place: a file that
    differs from what was loaded raises :class:`DefinitionConflict` and nothing is saved.
    """
    report = LoadReport()
    for outcome in definitions.outcomes.values():
        _upsert_simple(Outcome, outcome.code, asdict(outcome), report, by)
    for condition in definitions.conditions.values():
        _upsert_simple(Condition, condition.code, asdict(condition), report, by)
    for spec in definitions.instruments.values():
        _upsert_versioned(
            Instrument,
            spec,
            {
                "status": spec.status,
                "title": spec.title,
                "short_title": spec.short_title,
                "licence_holder": spec.licence.holder,
                "licence_notice": spec.licence.notice,
                "wording_licensed": spec.licence.wording_licensed,
                "definition": _definition_json(spec.path),
                "checksum": spec.checksum,
            },
            report,
            by,
        )
    conditions = {c.code: c for c in Condition.objects.all()}
    for spec in definitions.pathways.values():
        _upsert_versioned(
            Pathway,
            spec,
            {
                "status": spec.status,
                "title": spec.title,
                "condition": conditions[spec.condition],
                "definition": _definition_json(spec.path),
                "checksum": spec.checksum,
            },
            report,
            by,
        )
    return report


def _definition_json(path: str) -> Any:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _upsert_simple(model, code: str, values: dict, report: LoadReport, by) -> None:
    values = {k: v for k, v in values.items() if k != "code"}
    obj = model.objects.filter(code=code).first()
    label = f"{model._meta.model_name} {code}"
    if obj is None:
        obj = model.objects.create(code=code, **values)
        audit_record(actor=by, action="definition.created", obj=obj, details={"code": code})
        report.created.append(label)
    elif any(getattr(obj, k) != v for k, v in values.items()):
        for key, value in values.items():
            setattr(obj, key, value)
        obj.save()
        audit_record(actor=by, action="definition.updated", obj=obj, details={"code": code})
        report.updated.append(label)
    else:
        report.unchanged.append(label)


def _upsert_versioned(model, spec, values: dict, report: LoadReport, by) -> None:
    label = f"{model._meta.model_name} {spec.code} {spec.version}"
    obj = model.objects.filter(code=spec.code, version=spec.version).first()
    details = {"code": spec.code, "version": spec.version, "checksum": spec.checksum}
    if obj is None:
        obj = model.objects.create(code=spec.code, version=spec.version, **values)
        audit_record(actor=by, action="definition.created", obj=obj, details=details)
        report.created.append(label)
        return
    if obj.checksum == spec.checksum and obj.status == spec.status:
        report.unchanged.append(label)
        return
    if obj.status == "published":
        raise DefinitionConflict(
            f"{label} is published and its file has changed. A published version is immutable: "
            "add a new version file instead."
        )
    if obj.is_in_use():
        raise DefinitionConflict(
            f"{label} already has responses and its file has changed: add a new version instead."
        )
    for key, value in values.items():
        setattr(obj, key, value)
    obj.save()
    audit_record(actor=by, action="definition.updated", obj=obj, details=details)
    report.updated.append(label)


@transaction.atomic
def licensed_wording_import(
    *, definitions: Catalogue, content: bytes, by=None
) -> InstrumentWording:
    """Overlay a licensee's wording file on an instrument version (see README for the format).

    The whole file is checked against the definition first (every item, every option code), so a
    partial or mismatched file changes nothing.
    """
    try:
        data = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise WordingError([f"The file is not valid JSON ({error})."]) from error
    if not isinstance(data, dict):
        raise WordingError(["The file must hold one JSON object."])
    code, version = data.get("instrument"), data.get("version")
    try:
        spec = definitions.instrument(str(code), str(version))
    except KeyError:
        raise WordingError([f"No instrument '{code}' version '{version}' is defined."]) from None
    language = data.get("language", "en")
    if not isinstance(language, str) or not language:
        raise WordingError(["'language' must be a language code such as 'en'."])
    texts = _checked_wording(spec, data)
    instrument = Instrument.objects.filter(code=spec.code, version=spec.version).first()
    if instrument is None:
        raise WordingError(
            [f"{spec.code} {spec.version} is not loaded yet: run 'manage.py load_definitions'."]
        )
    wording, created = InstrumentWording.objects.update_or_create(
        instrument=instrument,
        language=language,
        defaults={
            "texts": texts,
            "source_checksum": hashlib.sha256(content).hexdigest(),
            "imported_by": by if getattr(by, "pk", None) else None,
        },
    )
    audit_record(
        actor=by,
        action="wording.imported" if created else "wording.replaced",
        obj=wording,
        details={"instrument": spec.code, "version": spec.version, "language": language},
    )
    logger.info("Imported licensed wording for %s %s (%s)", spec.code, spec.version, language)
    return wording


def _checked_wording(spec: InstrumentSpec, data: dict) -> dict:
    errors: list[str] = []
    items = data.get("items")
    if not isinstance(items, dict):
        raise WordingError(["'items' must map each item id to its wording."])
    for unknown in sorted(set(items) - set(spec.item_ids)):
        errors.append(f"'{unknown}' is not an item of {spec.code}.")
    checked_items: dict[str, dict] = {}
    for item in spec.items:
        entry = items.get(item.id)
        if not isinstance(entry, dict) or not _is_text(entry.get("text")):
            errors.append(f"Item '{item.id}' needs its 'text'.")
            continue
        checked: dict[str, Any] = {"text": entry["text"]}
        if item.kind == "choice":
            options = entry.get("options")
            wanted = {str(option.code) for option in item.options}
            if not isinstance(options, dict) or set(options) != wanted:
                errors.append(
                    f"Item '{item.id}' needs option text for codes {', '.join(sorted(wanted))}."
                )
                continue
            if not all(_is_text(text) for text in options.values()):
                errors.append(f"Item '{item.id}' has an empty option text.")
                continue
            checked["options"] = dict(options)
        elif "anchors" in entry:
            anchors = entry["anchors"]
            if not isinstance(anchors, dict) or not all(_is_text(v) for v in anchors.values()):
                errors.append(f"Item '{item.id}' anchors must map 'min'/'max' to text.")
                continue
            checked["anchors"] = dict(anchors)
        checked_items[item.id] = checked
    for key in ("title", "instructions"):
        if key in data and not _is_text(data[key]):
            errors.append(f"'{key}' must be text.")
    if errors:
        raise WordingError(errors)
    return {
        "title": data.get("title", ""),
        "instructions": data.get("instructions", ""),
        "items": checked_items,
    }


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())
