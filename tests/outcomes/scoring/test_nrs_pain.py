"""Numeric pain rating scale (0-10): the score is the rating, higher is worse.

Source: Farrar JT et al. Pain 2001;94:149-58 (doi:10.1016/S0304-3959(01)00349-9): an 11-point
numerical rating scale of pain intensity; a change of about 2 points (or 30%) is clinically
important.
"""

import pytest

from outcomes.harmonisation import IMPROVED, NO_CHANGE, classify_change
from outcomes.scoring import AnswerError, score


@pytest.fixture
def nrs(definition):
    return definition("nrs-pain")


def test_nrs_pain_rating_passes_through_as_the_score(nrs):
    assert score(nrs, [7])["scores"] == {"score": 7}


def test_nrs_pain_rating_is_harmonised_to_pain_reversed(nrs):
    # 100 x (10 - 7) / 10.
    assert score(nrs, [7])["outcomes"] == {"pain": 30.0}


def test_nrs_pain_of_zero_is_the_best_harmonised_pain(nrs):
    assert score(nrs, {"nrs01": 0}) == {
        "instrument": "nrs-pain",
        "version": nrs.version,
        "scores": {"score": 0},
        "outcomes": {"pain": 100.0},
    }


def test_nrs_pain_missing_rating_gives_no_score(nrs):
    result = score(nrs, [None])

    assert (result["scores"], result["outcomes"]) == ({"score": None}, {"pain": None})


def test_nrs_pain_rating_of_eleven_is_refused_naming_the_item(nrs):
    with pytest.raises(AnswerError, match="Item 'nrs01' does not accept 11") as refused:
        score(nrs, [11])

    assert refused.value.errors[0][0] == "nrs01"


def test_nrs_pain_two_point_drop_is_an_improvement(nrs):
    assert classify_change(nrs.score("score"), before=7, after=5) == IMPROVED


def test_nrs_pain_one_point_drop_is_no_change(nrs):
    assert classify_change(nrs.score("score"), before=7, after=6) == NO_CHANGE


def test_nrs_pain_question_is_our_own_wording_with_end_labels(nrs):
    item = nrs.item("nrs01")

    assert nrs.licence.wording_licensed is False
    assert "past week" in item.text["en"]
    assert dict(item.anchors) == {"min": "No pain", "max": "Worst pain you can imagine"}
