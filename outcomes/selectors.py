"""Reads for the outcome framework."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from outcomes.loading import catalogue
from outcomes.models import Instrument, InstrumentWording
from outcomes.specs import InstrumentSpec, Item

# The language every patient page falls back to: licensed wording must exist at least in it.
PATIENT_WORDING_LANGUAGE = "en"


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


# ---------------------------------------------------------------------------------------------
# Patient wording readiness: a licensed instrument reaches patients only with its licensed words


def placeholder_wording_allowed() -> bool:
    """Whether neutral labels may stand in for licensed wording (the demo; never production)."""
    return settings.ALLOW_PLACEHOLDER_WORDING


def instruments_without_patient_wording() -> frozenset[tuple[str, str]]:
    """(code, version) of every loaded licensed instrument with no imported English wording.

    English because every page falls back to it; one query."""
    return frozenset(
        Instrument.objects.filter(wording_licensed=True)
        .exclude(wordings__language=PATIENT_WORDING_LANGUAGE)
        .values_list("code", "version")
    )


def wording_gaps(
    instruments: Iterable[Sequence[str]], missing: frozenset[tuple[str, str]]
) -> list[str]:
    """Names ("OKS 1.0.0") of the instruments in ``[[code, version], ...]`` lacking wording."""
    definitions = catalogue()
    return [
        f"{definitions.instrument(code, version).short_title} {version}"
        for code, version in instruments
        if (code, version) in missing
    ]


@dataclass(frozen=True)
class HeldPathway:
    """A published pathway that cannot reach patients yet, and why."""

    code: str
    version: str
    title: str
    instruments: tuple[str, ...]  # "OKS 1.0.0", ...

    def reason(self) -> str:
        return _(
            "%(pathway)s cannot be used yet: the licensed patient wording of %(instruments)s has "
            "not been loaded. Nobody can be enrolled on it and its questionnaires are not sent "
            "until an administrator imports the wording (manage.py import_licensed_wording)."
        ) % {"pathway": self.title, "instruments": ", ".join(self.instruments)}


def pathways_awaiting_wording() -> list[HeldPathway]:
    """The current published pathways held back because an instrument lacks patient wording.

    Empty where placeholder labels are allowed (the demo). A pathway names its instruments by
    code; new enrolments take each instrument's current version, so that is the one checked.
    """
    if placeholder_wording_allowed():
        return []
    missing = instruments_without_patient_wording()
    if not missing:
        return []
    definitions = catalogue()
    held = []
    for spec in definitions.current_pathways():
        if spec.status != "published":
            continue
        codes = dict.fromkeys(code for tp in spec.timepoints for code in tp.instruments)
        current = [[code, definitions.instrument(code).version] for code in codes]
        gaps = wording_gaps(current, missing)
        if gaps:
            held.append(HeldPathway(spec.code, spec.version, spec.title, tuple(gaps)))
    return held
