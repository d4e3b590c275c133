"""MSK-HQ: unweighted sum of 14 items coded 4 (best) .. 0 (worst), total 0-56, higher better.

Worked examples: the range and coding of Hill JC et al. BMJ Open 2016;6:e012331
(doi:10.1136/bmjopen-2016-012331), as summarised in the shared instruments.md, section 1.
The missing-item rule is the project's strict rule (no published rule: any item missing, no total).
"""

import pytest

from outcomes.scoring import AnswerError, score


@pytest.fixture
def msk_hq(definition):
    return definition("msk-hq")


def test_msk_hq_best_answers_score_56(msk_hq):
    # Hill 2016: 14 items × 4 = 56, the best possible total.
    assert score(msk_hq, [4] * 14)["scores"] == {"total": 56}


def test_msk_hq_worst_answers_score_0(msk_hq):
    # Hill 2016: every item at 0 gives the worst possible total.
    assert score(msk_hq, [0] * 14)["scores"] == {"total": 0}


def test_msk_hq_mixed_answers_are_summed(msk_hq):
    # Hand-worked from the summing rule: 4+3+2+1+0+4+3+2+1+0+4+3+2+1 = 30.
    answers = [4, 3, 2, 1, 0, 4, 3, 2, 1, 0, 4, 3, 2, 1]

    assert score(msk_hq, answers)["scores"] == {"total": 30}


def test_msk_hq_one_missing_item_gives_no_total(msk_hq):
    # Project strict rule (instruments.md: no prorating rule in Hill 2016, Price 2019 or OUI FAQ).
    answers = [4] * 14
    answers[6] = None

    assert score(msk_hq, answers)["scores"] == {"total": None}


def test_msk_hq_answers_keyed_by_item_id_score_the_same(msk_hq):
    answers = {f"msk-hq{n:02d}": 2 for n in range(1, 15)}

    assert score(msk_hq, answers)["scores"] == {"total": 28}


def test_msk_hq_rejects_a_code_outside_0_to_4_naming_the_item(msk_hq):
    answers = [4] * 14
    answers[11] = 5

    with pytest.raises(AnswerError) as error:
        score(msk_hq, answers)

    assert error.value.errors == [
        ("msk-hq12", "Item 'msk-hq12' does not accept 5; it takes one of 0, 1, 2, 3, 4.")
    ]


def test_msk_hq_total_harmonises_to_quality_of_life(msk_hq):
    # instruments.md Harmonisation: MSK-HQ × 100/56; 42/56 = 75.0.
    answers = [3] * 14

    assert score(msk_hq, answers)["outcomes"]["quality-of-life"] == 75.0


def test_msk_hq_item_12_harmonises_to_understanding(msk_hq):
    # instruments.md Harmonisation: understanding of my condition = MSK-HQ q12 (4 = best).
    answers = [0] * 14
    answers[11] = 3

    assert score(msk_hq, answers)["outcomes"]["understanding"] == 75.0


def test_msk_hq_item_13_harmonises_to_self_management(msk_hq):
    # instruments.md Harmonisation: confidence / self-management = MSK-HQ q13 (4 = best).
    answers = [0] * 14
    answers[12] = 1

    assert score(msk_hq, answers)["outcomes"]["self-management"] == 25.0


def test_msk_hq_harmonises_no_pain_outcome(msk_hq):
    # Project decision: q1-q2 are both pain items; choosing one would be arbitrary.
    assert "pain" not in score(msk_hq, [4] * 14)["outcomes"]


def test_msk_hq_missing_item_12_leaves_understanding_empty(msk_hq):
    answers = [4] * 14
    answers[11] = None

    assert score(msk_hq, answers)["outcomes"]["understanding"] is None
