"""Reads for the outcome framework."""

from __future__ import annotations

from dataclasses import dataclass

from outcomes.models import InstrumentWording
from outcomes.specs import InstrumentSpec, Item


@dataclass(frozen=True)
class ItemWording:
    item: Item
    text: str
    options: tuple[tuple[int, str], ...]  # (code, text) in the order shown
    anchors: dict[str, str]


def instrument_wording_overlay(spec: InstrumentSpec, language: str = "en") -> dict:
    """The licensee's imported wording for this instrument version and language, or ``{}``."""
    return (
        InstrumentWording.objects.filter(
            instrument__code=spec.code, instrument__version=spec.version, language=language
        )
        .values_list("texts", flat=True)
        .first()
    ) or {}


def instrument_wording(
    spec: InstrumentSpec, language: str = "en", overlay: dict | None = None
) -> list[ItemWording]:
    """The words a patient sees for each item: the licensee's overlay, else ours, else labels.

    Licensed instruments ship only neutral labels; once the licensee has imported their wording
    (``manage.py import_licensed_wording``) that wording is used instead.
    """
    if overlay is None:
        overlay = instrument_wording_overlay(spec, language)
    overlay_items = overlay.get("items", {})
    wording = []
    for item in spec.items:
        licensed = overlay_items.get(item.id, {})
        text = licensed.get("text") or item.text.get(language) or item.label
        options = tuple(
            (
                option.code,
                licensed.get("options", {}).get(str(option.code))
                or option.text.get(language)
                or option.label,
            )
            for option in item.options
        )
        anchors = dict(item.anchors) | licensed.get("anchors", {})
        wording.append(ItemWording(item=item, text=text, options=options, anchors=anchors))
    return wording
