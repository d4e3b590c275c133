"""Keele STarT Back Screening Tool (9 items) scoring.

Worked examples follow Keele University, STarT Back "Using and scoring" (the scoring flowchart,
https://www.keele.ac.uk/sbst/startbacktool/usingandscoring/) and Hill JC et al. Arthritis Rheum
2008;59:632-41 (doi:10.1002/art.23563): items 1-8 Disagree 0 / Agree 1; item 9 counts only for
"Very much" (3) or "Extremely" (4); total = items 1-9 (0-9), psychosocial = items 5-9 (0-5);
total 0-3 low risk, 4-9 medium risk unless psychosocial 4-5, then high risk.
"""

import pytest

from outcomes.scoring import AnswerError, score


@pytest.fixture
def startback(definition):
    return definition("startback")


def scores(spec, answers):
    return score(spec, answers)["scores"]


def test_startback_total_of_three_is_low_risk(startback):
    assert scores(startback, [1, 1, 1, 0, 0, 0, 0, 0, 0]) == {
        "total": 3,
        "psychosocial": 0,
        "risk": "low",
    }


def test_startback_total_of_four_is_medium_risk(startback):
    assert scores(startback, [1, 1, 1, 1, 0, 0, 0, 0, 0]) == {
        "total": 4,
        "psychosocial": 0,
        "risk": "medium",
    }


def test_startback_psychosocial_three_keeps_a_high_total_at_medium_risk(startback):
    assert scores(startback, [1, 1, 1, 1, 1, 1, 1, 0, 0]) == {
        "total": 7,
        "psychosocial": 3,
        "risk": "medium",
    }


def test_startback_high_risk_needs_psychosocial_four_or_more(startback):
    assert scores(startback, [0, 0, 0, 0, 1, 1, 1, 1, 0]) == {
        "total": 4,
        "psychosocial": 4,
        "risk": "high",
    }


def test_startback_bothersomeness_moderately_is_not_counted(startback):
    assert scores(startback, [0] * 8 + [2]) == {"total": 0, "psychosocial": 0, "risk": "low"}


def test_startback_bothersomeness_very_much_is_counted(startback):
    assert scores(startback, [0] * 8 + [3]) == {"total": 1, "psychosocial": 1, "risk": "low"}


def test_startback_bothersomeness_extremely_is_counted(startback):
    assert scores(startback, [0] * 8 + [4])["psychosocial"] == 1


def test_startback_very_much_bothered_tips_psychosocial_three_into_high_risk(startback):
    # Items 5-7 agreed (3) plus "Very much" on item 9 makes psychosocial 4 and total 4.
    assert scores(startback, [0, 0, 0, 0, 1, 1, 1, 0, 3])["risk"] == "high"


def test_startback_moderately_bothered_leaves_psychosocial_three_at_low_risk(startback):
    assert scores(startback, [0, 0, 0, 0, 1, 1, 1, 0, 2]) == {
        "total": 3,
        "psychosocial": 3,
        "risk": "low",
    }


def test_startback_every_item_positive_is_nine_and_high_risk(startback):
    assert scores(startback, [1] * 8 + [4]) == {"total": 9, "psychosocial": 5, "risk": "high"}


def test_startback_answers_keyed_by_item_id_score_the_same_as_a_list(startback):
    answers = dict(zip(startback.item_ids, [1, 0, 1, 0, 1, 1, 1, 1, 3], strict=True))

    assert scores(startback, answers) == {"total": 7, "psychosocial": 5, "risk": "high"}


@pytest.mark.parametrize("missing", range(9))
def test_startback_any_missing_item_gives_no_scores(startback, missing):
    # Project decision startback-11: no published missing-item rule, so no score at all.
    answers = [1] * 8 + [4]
    answers[missing] = None

    assert scores(startback, answers) == {"total": None, "psychosocial": None, "risk": None}


def test_startback_informs_no_harmonised_outcome(startback):
    # A stratifier, not an outcome measure (instruments.md section 5; docs/harmonisation.md).
    assert score(startback, [1] * 8 + [4])["outcomes"] == {}


def test_startback_declares_no_minimal_important_change(startback):
    assert all(s.mic is None for s in startback.scores)


def test_startback_item_one_accepts_only_disagree_or_agree(startback):
    with pytest.raises(AnswerError, match="Item 'sb1' does not accept 2"):
        score(startback, [2, 0, 0, 0, 0, 0, 0, 0, 0])


def test_startback_shows_keeles_copyright_and_funding_line(startback):
    assert startback.licence.wording_licensed is False
    assert "© 2007 Keele University" in startback.licence.notice
    assert "Arthritis Research UK" in startback.licence.notice


def test_startback_ships_the_published_wording_for_every_item(startback):
    assert all(item.text.get("en") for item in startback.items)
    assert startback.item("sb9").text["en"] == (
        "Overall, how bothersome has your back pain been in the last 2 weeks?"
    )
