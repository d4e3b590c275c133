"""Frozen, ORM-free descriptions of the reviewed definition files.

Everything the service knows about outcomes, instruments, conditions and pathways is read from
JSON files under ``outcomes/definitions/`` (see its README for the file format) into these
dataclasses by :mod:`outcomes.loading`. Scoring, harmonisation, form rendering and the FHIR export
work on these objects only, so they stay pure and testable without a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

ITEM_KINDS = ("choice", "integer")
ASKED_AT = ("all", "follow-up")
SCORE_KINDS = ("number", "category", "label")
DEFINITION_STATUSES = ("draft", "published")
OUTCOME_GROUPS = ("living-with-msk", "care-and-support", "population", "social")
TIMEPOINT_ANCHORS = ("referral", "assessment", "procedure")

EMPTY: Mapping = MappingProxyType({})


def version_key(version: str) -> tuple[int, ...]:
    """Order versions such as ``1.10.0`` after ``1.9.2`` (plain string order would not)."""
    return tuple(int(part) for part in version.split("."))


@dataclass(frozen=True)
class Outcome:
    """One of the MSK Together outcomes the programme agreed to be judged on."""

    code: str
    group: str
    title: str
    wording: str  # the seed deck's own words
    higher_is_better: bool
    patient_reported: bool
    order: int


@dataclass(frozen=True)
class Licence:
    holder: str
    notice: str
    wording_licensed: bool  # True: item wording must come from the licensee's file
    url: str = ""
    terms: str = ""


@dataclass(frozen=True)
class Governance:
    """Who wrote and checked a definition, from which source, and when to review it."""

    source: str
    authored_by: str
    checked_by: str
    published_on: str
    review_by: str


@dataclass(frozen=True)
class Option:
    code: int
    label: str  # neutral label for licensed instruments, full plain wording for open ones
    text: Mapping[str, str] = field(
        default_factory=lambda: EMPTY
    )  # language code -> wording (open instruments only)
    not_applicable: bool = False  # a valid answer that scoring treats as missing


@dataclass(frozen=True)
class Item:
    id: str
    label: str  # short neutral topic label, safe to publish for every instrument
    kind: str  # "choice" or "integer"
    text: Mapping[str, str] = field(
        default_factory=lambda: EMPTY
    )  # language code -> question wording (open instruments only)
    options: tuple[Option, ...] = ()
    minimum: int | None = None  # integer items only
    maximum: int | None = None
    anchors: Mapping[str, str] = field(
        default_factory=lambda: EMPTY
    )  # integer items: {"min": ..., "max": ...} end labels
    outcome: str | None = None  # outcome code this item informs
    required: bool = True
    asked_at: str = "all"  # "follow-up": not asked at baseline (care-and-support items)
    scored: bool = True

    def allowed_codes(self) -> frozenset[int]:
        if self.kind == "choice":
            return frozenset(option.code for option in self.options)
        return frozenset(range(self.minimum, self.maximum + 1))

    def not_applicable_codes(self) -> frozenset[int]:
        return frozenset(option.code for option in self.options if option.not_applicable)

    def scale(self) -> tuple[int, int]:
        """Lowest and highest scoring code (not-applicable options excluded)."""
        if self.kind == "integer":
            return self.minimum, self.maximum
        codes = [o.code for o in self.options if not o.not_applicable]
        return min(codes), max(codes)


@dataclass(frozen=True)
class ScoreSpec:
    name: str
    label: str
    kind: str = "number"  # "number", "category" (e.g. STarT Back risk) or "label"
    minimum: float | None = None
    maximum: float | None = None
    higher_is_better: bool | None = None
    decimals: int = 0
    categories: tuple[str, ...] = ()
    mic: float | None = None  # minimal important change on this score's own scale
    mic_source: str = ""
    outcome: str | None = None


@dataclass(frozen=True)
class HarmonisationRule:
    """Put one score or item of an instrument on the common 0-100, higher-is-better scale."""

    outcome: str
    source: str  # "score" or "item"
    name: str  # score name or item id
    minimum: float
    maximum: float
    higher_is_better: bool


@dataclass(frozen=True)
class InstrumentSpec:
    code: str
    version: str
    title: str
    short_title: str
    description: str
    status: str
    licence: Licence
    governance: Governance
    items: tuple[Item, ...]
    scoring_method: str
    scores: tuple[ScoreSpec, ...]
    harmonisation: tuple[HarmonisationRule, ...] = ()
    scoring_params: Mapping = field(default_factory=lambda: EMPTY)
    recall_period: str = ""
    instructions: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    paging: str = "instrument"  # "instrument": one page; "item": a question per page
    checksum: str = ""
    path: str = field(default="", compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.code, self.version)

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def score(self, name: str) -> ScoreSpec:
        for score in self.scores:
            if score.name == name:
                return score
        raise KeyError(name)

    @property
    def item_ids(self) -> tuple[str, ...]:
        return tuple(item.id for item in self.items)


@dataclass(frozen=True)
class Condition:
    code: str
    title: str
    description: str
    active: bool
    order: int


@dataclass(frozen=True)
class Timepoint:
    """When a questionnaire is due, relative to an anchor event, and how long it stays open."""

    code: str
    label: str
    anchor: str  # "referral", "assessment" or "procedure"
    offset_days: int
    opens_before_days: int
    closes_after_days: int
    instruments: tuple[str, ...]
    follow_up: bool  # True: the common questionnaire's care-and-support items are asked
    # Procedure anchor only: the procedure types (codes) that start this timepoint. Empty means
    # any procedure, as in pathway files written before procedure types existed.
    procedures: tuple[str, ...] = ()

    def starts_after(self, procedure: str | None) -> bool:
        """Whether a procedure of this type starts this timepoint (``None``: type not given)."""
        return not self.procedures or procedure is None or procedure in self.procedures


@dataclass(frozen=True)
class ProcedureType:
    """A kind of procedure staff can record on a pathway, e.g. total knee replacement."""

    code: str
    label: str


@dataclass(frozen=True)
class PathwaySpec:
    code: str
    version: str
    condition: str
    title: str
    description: str
    status: str
    governance: Governance
    timepoints: tuple[Timepoint, ...]
    reminder_days: tuple[int, ...] = (3, 7)
    procedure_types: tuple[ProcedureType, ...] = ()  # offered when staff record a procedure
    # A timepoint started by an event (e.g. 6 months after a knee replacement) is not scheduled
    # when another questionnaire of the episode asking at least its instruments is due within
    # this many days of it: the patient answers that one (0: the rule is off; scheduling.py).
    coinciding_within_days: int = 0
    checksum: str = ""
    path: str = field(default="", compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.code, self.version)

    def timepoint(self, code: str) -> Timepoint:
        for timepoint in self.timepoints:
            if timepoint.code == code:
                return timepoint
        raise KeyError(code)
