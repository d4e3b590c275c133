"""The MSK Together common questionnaire (our own instrument; rule in outcomes/scoring/domains.py
and docs/harmonisation.md): each domain is the mean of its answered items, coded 0 (worst) to
4 (best), rescaled to 0-100, and scored when at least half of its items are answered. Pure: the
definition file is parsed on its own, no database."""

import json

import pytest

from outcomes.loading import DEFINITIONS_DIR, parse_outcomes
from outcomes.scoring import score

OUTCOMES = parse_outcomes(
    json.loads((DEFINITIONS_DIR / "outcomes.json").read_text()), DEFINITIONS_DIR / "outcomes.json"
)
LIVING = [code for code, o in OUTCOMES.items() if o.group == "living-with-msk"]
CARE = [code for code, o in OUTCOMES.items() if o.group == "care-and-support"]


@pytest.fixture
def core(definition):
    return definition("mskt-core")


def answers(core, value, **overrides):
    return {item.id: overrides.get(item.id, value) for item in core.items}


def best(core, **overrides):
    return {item.id: overrides.get(item.id, item.scale()[1]) for item in core.items}


def test_every_living_with_msk_and_care_outcome_has_at_least_one_item(core):
    assert set(LIVING + CARE) <= {item.outcome for item in core.items}


def test_every_item_informs_one_of_those_outcomes(core):
    assert {item.outcome for item in core.items} <= set(LIVING + CARE)


def test_every_item_offers_five_scored_answers_from_best_to_worst(core):
    orders = {tuple(o.code for o in item.options if not o.not_applicable) for item in core.items}

    assert orders == {(4, 3, 2, 1, 0)}


def test_care_and_support_items_are_asked_at_follow_ups_only(core):
    assert {item.asked_at for item in core.items if item.outcome in CARE} == {"follow-up"}


def test_living_with_msk_items_are_asked_every_time(core):
    assert {item.asked_at for item in core.items if item.outcome in LIVING} == {"all"}


def test_best_answers_score_one_hundred_in_every_domain(core):
    assert set(score(core, best(core))["scores"].values()) == {100.0}


def test_worst_answers_score_zero_in_every_domain(core):
    assert set(score(core, answers(core, 0))["scores"].values()) == {0.0}


def test_a_domain_is_the_mean_of_its_items_rescaled(core):
    result = score(core, answers(core, 4, pain1=1, pain2=2))["scores"]

    assert result["pain"] == 37.5  # (1 + 2) / 2 / 4 x 100


def test_a_two_item_domain_with_one_answer_is_scored_from_that_answer(core):
    assert score(core, answers(core, 4, und2=None, und1=3))["scores"]["understanding"] == 75.0


def test_a_domain_with_no_answers_has_no_score(core):
    result = score(core, answers(core, 4, self1=None, self2=None))["scores"]

    assert result["self-management"] is None


def test_a_missing_domain_does_not_stop_the_others_being_scored(core):
    result = score(core, answers(core, 4, self1=None, self2=None))["scores"]

    assert result["quality-of-life"] == 100.0


def test_does_not_apply_counts_as_missing(core):
    result = score(core, answers(core, 4, team1=9, team2=1))["scores"]

    assert result["integrated-care"] == 25.0


def test_does_not_apply_to_every_item_of_a_domain_gives_no_score(core):
    assert score(core, answers(core, 4, team1=9, team2=9))["scores"]["integrated-care"] is None


def test_a_baseline_without_care_items_scores_the_living_domains(core):
    baseline = {item.id: (3 if item.asked_at == "all" else None) for item in core.items}

    scores = score(core, baseline)["scores"]

    assert [scores[o] for o in LIVING] == [75.0] * len(LIVING)


def test_a_baseline_without_care_items_has_no_care_scores(core):
    baseline = {item.id: (3 if item.asked_at == "all" else None) for item in core.items}

    scores = score(core, baseline)["scores"]

    assert [scores[o] for o in CARE] == [None] * len(CARE)


def test_harmonised_outcomes_equal_the_domain_scores(core):
    result = score(core, answers(core, 2, qol1=4, pain2=1, heard1=None))

    assert result["outcomes"] == result["scores"]


def test_each_domain_minimal_important_change_is_one_step_on_one_item(core):
    for s in core.scores:
        items = [item for item in core.items if item.outcome == s.outcome]

        assert s.mic == 100 / 4 / len(items)
