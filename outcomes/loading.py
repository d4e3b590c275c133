"""Parse and validate the definition files into :mod:`outcomes.specs` objects (no ORM).

A bad file raises :class:`DefinitionError` naming the file and the problem; ``manage.py check``
reports the same errors as ``outcomes.E001``. The parsed catalogue is cached per process because
the files only change with a deployment.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from outcomes import specs
from outcomes.specs import (
    Condition,
    Governance,
    HarmonisationRule,
    InstrumentSpec,
    Item,
    Licence,
    Option,
    Outcome,
    PathwaySpec,
    ProcedureType,
    ScoreSpec,
    Timepoint,
    version_key,
)

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"
COMMON_QUESTIONNAIRE = "mskt-core"


class DefinitionError(ValueError):
    """A definition file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Catalogue:
    outcomes: Mapping[str, Outcome]
    conditions: Mapping[str, Condition]
    instruments: Mapping[tuple[str, str], InstrumentSpec]
    pathways: Mapping[tuple[str, str], PathwaySpec]

    def instrument(self, code: str, version: str | None = None) -> InstrumentSpec:
        """The given version, or the current one: the highest published (else highest) version."""
        if version is not None:
            return self.instruments[(code, version)]
        return _current(self.instruments, code)

    def pathway(self, code: str, version: str | None = None) -> PathwaySpec:
        if version is not None:
            return self.pathways[(code, version)]
        return _current(self.pathways, code)

    def current_instruments(self) -> list[InstrumentSpec]:
        codes = sorted({code for code, _ in self.instruments})
        return [self.instrument(code) for code in codes]

    def current_pathways(self) -> list[PathwaySpec]:
        codes = sorted({code for code, _ in self.pathways})
        return [self.pathway(code) for code in codes]


def _current(specs_by_key: Mapping[tuple[str, str], Any], code: str) -> Any:
    versions = [spec for (c, _), spec in specs_by_key.items() if c == code]
    if not versions:
        raise KeyError(code)
    published = [spec for spec in versions if spec.status == "published"]
    return max(published or versions, key=lambda spec: version_key(spec.version))


@lru_cache(maxsize=4)
def catalogue(root: Path = DEFINITIONS_DIR) -> Catalogue:
    """Load every definition under ``root`` (cached; call ``catalogue.cache_clear()`` to reload)."""
    return load_catalogue(root)


def load_catalogue(root: Path) -> Catalogue:
    outcomes = parse_outcomes(_read(root / "outcomes.json")[0], root / "outcomes.json")
    conditions = parse_conditions(_read(root / "conditions.json")[0], root / "conditions.json")
    instruments: dict[tuple[str, str], InstrumentSpec] = {}
    for path in sorted((root / "instruments").glob("*/*.json")):
        data, checksum = _read(path)
        spec = parse_instrument(data, path, checksum=checksum, outcomes=outcomes)
        if (path.parent.name, path.stem) != spec.key:
            raise DefinitionError(f"{path}: code/version must match its folder and file name.")
        instruments[spec.key] = spec
    pathways: dict[tuple[str, str], PathwaySpec] = {}
    for path in sorted((root / "pathways").glob("*/*.json")):
        data, checksum = _read(path)
        spec = parse_pathway(data, path, checksum=checksum)
        if (path.parent.name, path.stem) != spec.key:
            raise DefinitionError(f"{path}: code/version must match its folder and file name.")
        _check_pathway_references(spec, path, conditions, instruments)
        pathways[spec.key] = spec
    return Catalogue(
        outcomes=MappingProxyType(outcomes),
        conditions=MappingProxyType(conditions),
        instruments=MappingProxyType(instruments),
        pathways=MappingProxyType(pathways),
    )


def _read(path: Path) -> tuple[Any, str]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DefinitionError(f"{path}: cannot be read ({error.strerror}).") from error
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise DefinitionError(f"{path}: not valid JSON ({error}).") from error
    return data, hashlib.sha256(raw).hexdigest()


class _Fields:
    """Typed access to one JSON object that names the file and key in every error."""

    def __init__(self, data: Any, where: str):
        if not isinstance(data, dict):
            raise DefinitionError(f"{where}: expected an object.")
        self.data = data
        self.where = where

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.data:
            if default is ...:
                raise DefinitionError(f"{self.where}: '{key}' is required.")
            return default
        value = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            raise DefinitionError(f"{self.where}: '{key}' has the wrong type.")
        if not isinstance(value, kinds):
            raise DefinitionError(f"{self.where}: '{key}' has the wrong type.")
        return value

    def choice(self, key: str, allowed: tuple[str, ...], default: Any = ...) -> str:
        value = self.get(key, str, default)
        if value not in allowed:
            raise DefinitionError(f"{self.where}: '{key}' must be one of {', '.join(allowed)}.")
        return value


def _texts(fields: _Fields, key: str) -> Mapping[str, str]:
    texts = fields.get(key, dict, {})
    if not all(isinstance(k, str) and isinstance(v, str) and v for k, v in texts.items()):
        raise DefinitionError(f"{fields.where}: '{key}' maps language codes to text.")
    return MappingProxyType(dict(texts))


def parse_outcomes(data: Any, path: Path) -> dict[str, Outcome]:
    fields = _Fields(data, str(path))
    outcomes: dict[str, Outcome] = {}
    for order, entry in enumerate(fields.get("outcomes", list)):
        f = _Fields(entry, f"{path}: outcome {order + 1}")
        outcome = Outcome(
            code=f.get("code", str),
            group=f.choice("group", specs.OUTCOME_GROUPS),
            title=f.get("title", str),
            wording=f.get("wording", str),
            higher_is_better=f.get("higher_is_better", bool),
            patient_reported=f.get("patient_reported", bool),
            order=order,
        )
        if outcome.code in outcomes:
            raise DefinitionError(f"{path}: outcome '{outcome.code}' appears twice.")
        outcomes[outcome.code] = outcome
    return outcomes


def parse_conditions(data: Any, path: Path) -> dict[str, Condition]:
    fields = _Fields(data, str(path))
    conditions: dict[str, Condition] = {}
    for order, entry in enumerate(fields.get("conditions", list)):
        f = _Fields(entry, f"{path}: condition {order + 1}")
        condition = Condition(
            code=f.get("code", str),
            title=f.get("title", str),
            description=f.get("description", str),
            active=f.get("active", bool, True),
            order=order,
        )
        if condition.code in conditions:
            raise DefinitionError(f"{path}: condition '{condition.code}' appears twice.")
        conditions[condition.code] = condition
    return conditions


def _governance(fields: _Fields) -> Governance:
    g = _Fields(fields.get("governance", dict), f"{fields.where}: governance")
    return Governance(
        source=g.get("source", str),
        authored_by=g.get("authored_by", str),
        checked_by=g.get("checked_by", str),
        published_on=g.get("published_on", str),
        review_by=g.get("review_by", str),
    )


def _version(fields: _Fields) -> str:
    version = fields.get("version", str)
    try:
        version_key(version)
    except ValueError:
        raise DefinitionError(f"{fields.where}: version '{version}' is not like 1.0.0.") from None
    return version


def parse_instrument(
    data: Any, path: Path, *, checksum: str = "", outcomes: Mapping[str, Outcome] | None = None
) -> InstrumentSpec:
    """Build an :class:`InstrumentSpec`, checking every cross-reference inside the file."""
    fields = _Fields(data, str(path))
    lic = _Fields(fields.get("licence", dict), f"{path}: licence")
    licence = Licence(
        holder=lic.get("holder", str),
        notice=lic.get("notice", str),
        wording_licensed=lic.get("wording_licensed", bool),
        url=lic.get("url", str, ""),
        terms=lic.get("terms", str, ""),
    )
    items = tuple(
        _item(entry, f"{path}: item {n + 1}", licence.wording_licensed)
        for n, entry in enumerate(fields.get("items", list))
    )
    if not items:
        raise DefinitionError(f"{path}: an instrument needs at least one item.")
    item_ids = [item.id for item in items]
    if len(set(item_ids)) != len(item_ids):
        raise DefinitionError(f"{path}: item ids must be unique.")

    scoring = _Fields(fields.get("scoring", dict), f"{path}: scoring")
    method = scoring.get("method", str)
    from outcomes.scoring import SCORERS  # scoring imports specs; import late to avoid a cycle

    if method not in SCORERS:
        raise DefinitionError(f"{path}: unknown scoring method '{method}'.")
    scores = tuple(
        _score(entry, f"{path}: score {n + 1}")
        for n, entry in enumerate(fields.get("scores", list))
    )
    if not scores:
        raise DefinitionError(f"{path}: an instrument declares at least one score.")
    if len({s.name for s in scores}) != len(scores):
        raise DefinitionError(f"{path}: score names must be unique.")

    harmonisation = tuple(
        _harmonisation_rule(entry, f"{path}: harmonisation {n + 1}", items, scores)
        for n, entry in enumerate(fields.get("harmonisation", list, []))
    )
    if len({rule.outcome for rule in harmonisation}) != len(harmonisation):
        raise DefinitionError(f"{path}: each outcome is harmonised at most once per instrument.")

    if outcomes is not None:
        named = [item.outcome for item in items] + [s.outcome for s in scores]
        named += [rule.outcome for rule in harmonisation]
        for code in named:
            if code is not None and code not in outcomes:
                raise DefinitionError(f"{path}: unknown outcome '{code}'.")

    return InstrumentSpec(
        code=fields.get("code", str),
        version=_version(fields),
        title=fields.get("title", str),
        short_title=fields.get("short_title", str),
        description=fields.get("description", str),
        status=fields.choice("status", specs.DEFINITION_STATUSES),
        licence=licence,
        governance=_governance(fields),
        items=items,
        scoring_method=method,
        scoring_params=_frozen(scoring.get("params", dict, {})),
        scores=scores,
        harmonisation=harmonisation,
        recall_period=fields.get("recall_period", str, ""),
        instructions=_texts(fields, "instructions"),
        paging=fields.choice("paging", ("instrument", "item"), "instrument"),
        checksum=checksum,
        path=str(path),
    )


def _frozen(value: Any) -> Any:
    """Read-only copy of parsed JSON, so no scorer can change the shared, cached catalogue."""
    if isinstance(value, dict):
        return MappingProxyType({key: _frozen(item) for key, item in value.items()})
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    return value


def _item(data: Any, where: str, wording_licensed: bool) -> Item:
    f = _Fields(data, where)
    kind = f.choice("kind", specs.ITEM_KINDS)
    text = _texts(f, "text")
    if wording_licensed and text:
        raise DefinitionError(
            f"{where}: licensed wording must not be committed; load it with "
            "'manage.py import_licensed_wording'."
        )
    options: tuple[Option, ...] = ()
    minimum = maximum = None
    if kind == "choice":
        options = tuple(
            _option(entry, f"{where}: option {n + 1}", wording_licensed)
            for n, entry in enumerate(f.get("options", list))
        )
        codes = [option.code for option in options]
        if len(codes) < 2 or len(set(codes)) != len(codes):
            raise DefinitionError(f"{where}: a choice needs two or more options with unique codes.")
        if sum(not option.not_applicable for option in options) < 2:
            raise DefinitionError(f"{where}: a choice needs at least two scoring options.")
    else:
        minimum, maximum = f.get("minimum", int), f.get("maximum", int)
        if minimum >= maximum:
            raise DefinitionError(f"{where}: minimum must be below maximum.")
    return Item(
        id=f.get("id", str),
        label=f.get("label", str),
        kind=kind,
        text=text,
        options=options,
        minimum=minimum,
        maximum=maximum,
        anchors=_texts(f, "anchors"),
        outcome=f.get("outcome", (str, type(None)), None),
        required=f.get("required", bool, True),
        asked_at=f.choice("asked_at", specs.ASKED_AT, "all"),
        scored=f.get("scored", bool, True),
    )


def _option(data: Any, where: str, wording_licensed: bool) -> Option:
    f = _Fields(data, where)
    text = _texts(f, "text")
    if wording_licensed and text:
        raise DefinitionError(f"{where}: licensed wording must not be committed.")
    return Option(
        code=f.get("code", int),
        label=f.get("label", str),
        text=text,
        not_applicable=f.get("not_applicable", bool, False),
    )


def _score(data: Any, where: str) -> ScoreSpec:
    f = _Fields(data, where)
    kind = f.choice("kind", specs.SCORE_KINDS, "number")
    number = (int, float)
    spec = ScoreSpec(
        name=f.get("name", str),
        label=f.get("label", str),
        kind=kind,
        minimum=f.get("minimum", number, None),
        maximum=f.get("maximum", number, None),
        higher_is_better=f.get("higher_is_better", (bool, type(None)), None),
        decimals=f.get("decimals", int, 0),
        categories=tuple(f.get("categories", list, [])),
        mic=f.get("mic", (int, float, type(None)), None),
        mic_source=f.get("mic_source", str, ""),
        outcome=f.get("outcome", (str, type(None)), None),
    )
    if kind == "number" and (spec.minimum is None or spec.maximum is None):
        raise DefinitionError(f"{where}: a number score needs a minimum and maximum.")
    if kind == "category" and not spec.categories:
        raise DefinitionError(f"{where}: a category score lists its categories.")
    if spec.mic is not None and not spec.mic_source:
        raise DefinitionError(f"{where}: a MIC must cite its source in 'mic_source'.")
    return spec


def _harmonisation_rule(
    data: Any, where: str, items: tuple[Item, ...], scores: tuple[ScoreSpec, ...]
) -> HarmonisationRule:
    f = _Fields(data, where)
    outcome = f.get("outcome", str)
    if ("score" in f.data) == ("item" in f.data):
        raise DefinitionError(f"{where}: name either a 'score' or an 'item'.")
    if "score" in f.data:
        name = f.get("score", str)
        score = next((s for s in scores if s.name == name), None)
        if score is None or score.kind != "number" or score.higher_is_better is None:
            raise DefinitionError(f"{where}: '{name}' is not a number score with a direction.")
        return HarmonisationRule(
            outcome, "score", name, score.minimum, score.maximum, score.higher_is_better
        )
    name = f.get("item", str)
    item = next((i for i in items if i.id == name), None)
    if item is None:
        raise DefinitionError(f"{where}: unknown item '{name}'.")
    higher_is_better = f.get("higher_is_better", bool)
    minimum, maximum = item.scale()
    return HarmonisationRule(outcome, "item", name, minimum, maximum, higher_is_better)


def parse_pathway(data: Any, path: Path, *, checksum: str = "") -> PathwaySpec:
    fields = _Fields(data, str(path))
    timepoints = tuple(
        _timepoint(entry, f"{path}: timepoint {n + 1}")
        for n, entry in enumerate(fields.get("timepoints", list))
    )
    if not timepoints:
        raise DefinitionError(f"{path}: a pathway needs at least one timepoint.")
    codes = [t.code for t in timepoints]
    if len(set(codes)) != len(codes):
        raise DefinitionError(f"{path}: timepoint codes must be unique.")
    reminder_days = tuple(fields.get("reminder_days", list, [3, 7]))
    if not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in reminder_days):
        raise DefinitionError(f"{path}: reminder_days are whole numbers of days after the first.")
    if len(set(reminder_days)) != len(reminder_days):  # one reminder per day offset
        raise DefinitionError(f"{path}: reminder_days must not repeat a day.")
    procedure_types = _procedure_types(fields)
    coinciding = fields.get("coinciding_within_days", int, 0)
    if coinciding < 0:
        raise DefinitionError(f"{path}: coinciding_within_days is a number of days, 0 or more.")
    known = {p.code for p in procedure_types}
    for timepoint in timepoints:
        unknown = [code for code in timepoint.procedures if code not in known]
        if unknown:
            raise DefinitionError(
                f"{path}: timepoint '{timepoint.code}' names procedure types not in "
                f"procedure_types: {', '.join(unknown)}."
            )
    return PathwaySpec(
        code=fields.get("code", str),
        version=_version(fields),
        condition=fields.get("condition", str),
        title=fields.get("title", str),
        description=fields.get("description", str),
        status=fields.choice("status", specs.DEFINITION_STATUSES),
        governance=_governance(fields),
        timepoints=timepoints,
        reminder_days=tuple(sorted(reminder_days)),
        procedure_types=procedure_types,
        coinciding_within_days=coinciding,
        checksum=checksum,
        path=str(path),
    )


def _procedure_types(fields: _Fields) -> tuple[ProcedureType, ...]:
    """Optional ``procedure_types``: [{"code": "total-knee-replacement", "label": "..."}]."""
    types = []
    for n, entry in enumerate(fields.get("procedure_types", list, [])):
        f = _Fields(entry, f"{fields.where}: procedure type {n + 1}")
        code, label = f.get("code", str), f.get("label", str)
        if not code or not label:
            raise DefinitionError(f"{f.where}: a procedure type needs a code and a label.")
        types.append(ProcedureType(code=code, label=label))
    codes = [t.code for t in types]
    if len(set(codes)) != len(codes):
        raise DefinitionError(f"{fields.where}: procedure type codes must be unique.")
    return tuple(types)


def _timepoint(data: Any, where: str) -> Timepoint:
    f = _Fields(data, where)
    procedures = f.get("procedures", list, [])
    if procedures and not all(isinstance(code, str) and code for code in procedures):
        raise DefinitionError(f"{where}: 'procedures' lists procedure type codes.")
    if "procedures" in f.data and (not procedures or f.data.get("anchor") != "procedure"):
        raise DefinitionError(
            f"{where}: 'procedures' is a non-empty list, for a timepoint anchored on a procedure."
        )
    timepoint = Timepoint(
        code=f.get("code", str),
        label=f.get("label", str),
        anchor=f.choice("anchor", specs.TIMEPOINT_ANCHORS),
        offset_days=f.get("offset_days", int),
        opens_before_days=f.get("opens_before_days", int),
        closes_after_days=f.get("closes_after_days", int),
        instruments=tuple(f.get("instruments", list)),
        follow_up=f.get("follow_up", bool),
        procedures=tuple(procedures),
    )
    if timepoint.opens_before_days < 0 or timepoint.closes_after_days <= 0:
        raise DefinitionError(f"{where}: a window opens on or before and closes after its day.")
    if COMMON_QUESTIONNAIRE not in timepoint.instruments:
        raise DefinitionError(f"{where}: every timepoint includes '{COMMON_QUESTIONNAIRE}'.")
    return timepoint


def _check_pathway_references(
    spec: PathwaySpec,
    path: Path,
    conditions: Mapping[str, Condition],
    instruments: Mapping[tuple[str, str], InstrumentSpec],
) -> None:
    if spec.condition not in conditions:
        raise DefinitionError(f"{path}: unknown condition '{spec.condition}'.")
    known = {code for code, _ in instruments}
    for timepoint in spec.timepoints:
        for code in timepoint.instruments:
            if code not in known:
                raise DefinitionError(f"{path}: timepoint '{timepoint.code}' names '{code}'.")
