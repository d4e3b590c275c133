"""Score alert rules: reviewed, versioned data (``definitions/alert-rules/<version>.json``).

A rule names an instrument and says when a stored answer should be brought to a clinician: a
score that worsened by at least a multiple of the instrument's minimal important change (MIC)
since the baseline or the previous answer, or a given answer to a key item. Each rule has a
level, ``urgent`` or ``routine``. The rules live in their own file rather than in each
instrument file so that tuning an alert (after measuring how many it raises, docs/alerts.md) is
a new rule-set version, not a new instrument version that would split the outcome figures.
A published rule-set version is immutable; every alert records the version that raised it.

Pure: parsing and evaluation need no database (CONVENTIONS.md, habit 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from outcomes.loading import DEFINITIONS_DIR, Catalogue, DefinitionError, _Fields, _read
from outcomes.specs import InstrumentSpec, version_key

RULES_DIR = DEFINITIONS_DIR / "alert-rules"
LEVELS = ("urgent", "routine")
KINDS = ("score-worsened", "item-answer")
COMPARED_WITH = ("baseline", "previous")


@dataclass(frozen=True)
class AlertRule:
    code: str
    instrument: str
    kind: str  # "score-worsened" or "item-answer"
    level: str  # "urgent" or "routine"
    title: str  # what staff read, e.g. "Oxford Knee Score worse since baseline"
    score: str = ""  # score-worsened: the score's name
    compared_with: str = ""  # score-worsened: "baseline" or "previous"
    mics: float = 1.0  # score-worsened: how many MICs of worsening raise the alert
    item: str = ""  # item-answer: the item id
    codes: tuple[int, ...] = ()  # item-answer: the answer codes that raise the alert


@dataclass(frozen=True)
class AlertRuleSet:
    version: str
    status: str
    description: str
    rules: tuple[AlertRule, ...]
    checksum: str = ""

    def for_instrument(self, code: str) -> tuple[AlertRule, ...]:
        return tuple(rule for rule in self.rules if rule.instrument == code)


@dataclass(frozen=True)
class Finding:
    """A rule that fired for one answer set, with the figures behind it (no identifiers)."""

    rule: AlertRule
    summary: str
    before: float | None = None
    after: float | None = None


def parse_rule_set(
    data: Any, path: Path, definitions: Catalogue, checksum: str = ""
) -> AlertRuleSet:
    fields = _Fields(data, str(path))
    version = fields.get("version", str)
    try:
        version_key(version)
    except ValueError:
        raise DefinitionError(f"{path}: version '{version}' is not like 1.0.0.") from None
    if path.stem != version:
        raise DefinitionError(f"{path}: the version must match the file name.")
    status = fields.choice("status", ("draft", "published"))
    fields.get("governance", dict)
    rules = []
    for n, entry in enumerate(fields.get("rules", list)):
        rules.append(_rule(_Fields(entry, f"{path}: rule {n + 1}"), definitions))
    codes = [rule.code for rule in rules]
    if len(set(codes)) != len(codes):
        raise DefinitionError(f"{path}: rule codes must be unique.")
    return AlertRuleSet(
        version=version,
        status=status,
        description=fields.get("description", str),
        rules=tuple(rules),
        checksum=checksum,
    )


def _rule(f: _Fields, definitions: Catalogue) -> AlertRule:
    kind = f.choice("kind", KINDS)
    code = f.get("instrument", str)
    try:
        spec = definitions.instrument(code)
    except KeyError:
        raise DefinitionError(f"{f.where}: unknown instrument '{code}'.") from None
    rule = AlertRule(
        code=f.get("code", str),
        instrument=code,
        kind=kind,
        level=f.choice("level", LEVELS),
        title=f.get("title", str),
        score=f.get("score", str, ""),
        compared_with=f.choice("compared_with", COMPARED_WITH, "") if kind != "item-answer" else "",
        mics=f.get("mics", (int, float), 1.0),
        item=f.get("item", str, ""),
        codes=tuple(f.get("codes", list, [])),
    )
    if kind == "score-worsened":
        try:
            score = spec.score(rule.score)
        except KeyError:
            raise DefinitionError(f"{f.where}: {code} has no score '{rule.score}'.") from None
        if score.kind != "number" or score.mic is None or score.higher_is_better is None:
            raise DefinitionError(
                f"{f.where}: score '{rule.score}' needs a number with a MIC and a direction."
            )
        if rule.mics <= 0:
            raise DefinitionError(f"{f.where}: 'mics' must be above 0.")
    else:
        try:
            item = spec.item(rule.item)
        except KeyError:
            raise DefinitionError(f"{f.where}: {code} has no item '{rule.item}'.") from None
        if not rule.codes or not set(rule.codes) <= item.allowed_codes():
            raise DefinitionError(f"{f.where}: 'codes' must be answer codes of '{rule.item}'.")
    return rule


def load_rule_sets(
    root: Path = RULES_DIR, definitions: Catalogue | None = None
) -> dict[str, AlertRuleSet]:
    from outcomes.loading import catalogue

    definitions = definitions or catalogue()
    sets = {}
    for path in sorted(root.glob("*.json")):
        data, checksum = _read(path)
        rule_set = parse_rule_set(data, path, definitions, checksum)
        sets[rule_set.version] = rule_set
    return sets


@lru_cache(maxsize=1)
def current_rule_set() -> AlertRuleSet:
    """The highest published rule-set version: the one new answers are checked against."""
    published = [s for s in load_rule_sets().values() if s.status == "published"]
    if not published:
        raise DefinitionError(f"{RULES_DIR}: no published alert rule set.")
    return max(published, key=lambda s: version_key(s.version))


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _shown(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}" if decimals else f"{round(value):d}"


def evaluate(
    rules: tuple[AlertRule, ...],
    spec: InstrumentSpec,
    *,
    scores: Mapping[str, Any],
    answers: Mapping[str, Any],
    baseline: Mapping[str, Any] | None,
    previous: Mapping[str, Any] | None,
) -> list[Finding]:
    """The rules for ``spec`` that fire on one stored answer set.

    ``baseline`` and ``previous`` are the scores of the episode's baseline answer and of its
    latest earlier answer to the same instrument (None when there is none): with no reference,
    a worsening rule cannot fire. Worse means lower where higher is better, and vice versa.
    """
    findings = []
    for rule in rules:
        if rule.instrument != spec.code:
            continue
        if rule.kind == "item-answer":
            answer = answers.get(rule.item)
            if answer is not None and answer in rule.codes:
                item = spec.item(rule.item)
                label = next((o.label for o in item.options if o.code == answer), str(answer))
                findings.append(
                    Finding(rule, f"{item.label}: {label}", before=None, after=float(answer))
                )
            continue
        reference = baseline if rule.compared_with == "baseline" else previous
        if reference is None:
            continue
        score = spec.score(rule.score)
        after, before = _number(scores.get(rule.score)), _number(reference.get(rule.score))
        if after is None or before is None:
            continue
        worsening = (before - after) if score.higher_is_better else (after - before)
        if worsening + 1e-9 >= rule.mics * score.mic:
            mic_decimals = max(score.decimals, 1) if score.mic % 1 else 0
            name = score.label
            if (spec.short_title or spec.title) not in name:  # "FIQR Total", not "Total"
                name = f"{spec.short_title or spec.title} {name.lower()}"
            summary = (
                f"{name}: "
                f"{_shown(before, score.decimals)} → {_shown(after, score.decimals)} "
                f"(worse by {_shown(worsening, score.decimals)}; "
                f"minimal important change {_shown(score.mic, mic_decimals)})"
            )
            findings.append(Finding(rule, summary, before=before, after=after))
    return findings
