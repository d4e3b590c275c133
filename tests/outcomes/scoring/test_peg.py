"""PEG (Pain, Enjoyment of life, General activity): the mean of three 0-10 items, higher worse.

Source: Krebs EE et al. J Gen Intern Med 2009;24:733-8 (doi:10.1007/s11606-009-0981-1): the PEG
score is the average of the three item scores. Reported to two decimals (instruments.md section 8);
no published missing-item rule, so project decision peg-07: any item missing gives no score.
MIC 1.0: Reed DE et al. J Pain 2024;25:142-52, lower bound of the anchor-based range.
"""

import pytest

from outcomes.harmonisation import IMPROVED, NO_CHANGE, classify_change
from outcomes.scoring import AnswerError, score


@pytest.fixture
def peg(definition):
    return definition("peg")


def test_peg_score_is_the_mean_of_the_three_items(peg):
    assert score(peg, [7, 5, 6])["scores"] == {"score": 6.0}


def test_peg_score_is_reported_to_two_decimals(peg):
    # (7 + 6 + 6) / 3 = 6.333... -> 6.33.
    assert score(peg, [7, 6, 6])["scores"] == {"score": 6.33}


def test_peg_score_two_thirds_rounds_up_at_two_decimals(peg):
    # (7 + 7 + 6) / 3 = 6.666... -> 6.67.
    assert score(peg, [7, 7, 6])["scores"] == {"score": 6.67}


def test_peg_answers_keyed_by_item_id_score_the_same_as_a_list(peg):
    assert score(peg, {"peg1": 7, "peg2": 6, "peg3": 6})["scores"] == {"score": 6.33}


def test_peg_score_is_harmonised_to_pain_reversed(peg):
    # 100 x (10 - 6.33) / 10 = 36.7.
    assert score(peg, [7, 6, 6])["outcomes"] == {"pain": 36.7}


@pytest.mark.parametrize("missing", range(3))
def test_peg_one_missing_item_gives_no_score(peg, missing):
    answers = [7, 5, 6]
    answers[missing] = None

    result = score(peg, answers)

    assert (result["scores"], result["outcomes"]) == ({"score": None}, {"pain": None})


def test_peg_item_above_ten_is_refused_naming_the_item(peg):
    with pytest.raises(AnswerError, match="Item 'peg2' does not accept 11"):
        score(peg, [7, 11, 6])


def test_peg_one_point_drop_is_an_improvement(peg):
    assert classify_change(peg.score("score"), before=6.33, after=5.33) == IMPROVED


def test_peg_two_thirds_of_a_point_drop_is_no_change(peg):
    assert classify_change(peg.score("score"), before=6.33, after=5.67) == NO_CHANGE


def test_peg_items_carry_our_plain_english_wording_for_the_past_week(peg):
    assert peg.licence.wording_licensed is False
    assert all("past week" in item.text["en"] for item in peg.items)
