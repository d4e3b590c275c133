"""Alert rules are reviewed data: the published set loads, bad rules are refused, and a published
version never changes (a change is a new version file)."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

import pytest

from outcomes.alert_rules import RULES_DIR, current_rule_set, evaluate, parse_rule_set
from outcomes.loading import DefinitionError

# sha256 of each published rule-set file. A published file must not change: add a new version.
PUBLISHED = {"1.0.0": "e8de867f934a500ae651a7a04202ab35c7456f739126c8e49610073041892601"}


def _raw() -> dict:
    return json.loads((RULES_DIR / "1.0.0.json").read_text())


def test_published_rule_sets_are_unchanged():
    for version, checksum in PUBLISHED.items():
        raw = (RULES_DIR / f"{version}.json").read_bytes()
        assert hashlib.sha256(raw).hexdigest() == checksum, f"{version} changed: add a new version"


def test_the_current_rule_set_has_urgent_and_routine_rules_for_each_condition(definitions):
    rules = current_rule_set().rules

    assert {rule.level for rule in rules} == {"urgent", "routine"}
    assert {"oks", "odi", "fiqr"} <= {rule.instrument for rule in rules}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"instrument": "no-such"}, "unknown instrument"),
        ({"score": "no-such"}, "has no score"),
        ({"level": "whenever"}, "'level' must be one of"),
        ({"compared_with": "yesterday"}, "'compared_with' must be one of"),
        ({"mics": 0}, "'mics' must be above 0"),
    ],
)
def test_a_bad_worsening_rule_is_refused(definitions, change, message):
    raw = _raw()
    raw["rules"][0].update(change)

    with pytest.raises(DefinitionError, match=message):
        parse_rule_set(raw, Path("1.0.0.json"), definitions)


def test_an_item_rule_needs_answer_codes_of_its_item(definitions):
    raw = _raw()
    rule = next(r for r in raw["rules"] if r["kind"] == "item-answer")
    rule["codes"] = [99]

    with pytest.raises(DefinitionError, match="'codes' must be answer codes"):
        parse_rule_set(raw, Path("1.0.0.json"), definitions)


def test_rule_codes_are_unique(definitions):
    raw = _raw()
    raw["rules"].append(copy.deepcopy(raw["rules"][0]))

    with pytest.raises(DefinitionError, match="unique"):
        parse_rule_set(raw, Path("1.0.0.json"), definitions)


def test_worse_means_lower_where_higher_is_better_and_higher_where_lower_is(definitions):
    rules = current_rule_set().rules
    odi = definitions.instrument("odi")  # lower is better, MIC 10

    worse = evaluate(
        rules, odi, scores={"percent": 50}, answers={}, baseline={"percent": 40}, previous=None
    )
    better = evaluate(
        rules, odi, scores={"percent": 30}, answers={}, baseline={"percent": 40}, previous=None
    )

    assert [f.rule.code for f in worse] == ["odi-worse-since-baseline"]
    assert better == []


def test_a_missing_score_raises_no_alert(definitions):
    oks = definitions.instrument("oks")

    findings = evaluate(
        current_rule_set().rules,
        oks,
        scores={"total": None},
        answers={},
        baseline={"total": 40},
        previous={"total": 40},
    )

    assert findings == []
