"""Revised Fibromyalgia Impact Questionnaire (FIQR) scoring.

Worked examples follow fiqr.info "Scoring the FIQR and SIQR" and Bennett RM et al. Arthritis Res
Ther 2009;11:R120 (doi:10.1186/ar2783): function = sum(items 1-9) / 3, overall = sum(items 10-11),
symptoms = sum(items 12-21) / 2, total = the three added (0-100, higher worse). A missing domain
item is weighted by (items in domain) / (items answered), but the questionnaire is invalid with two
or more function items, or any overall or symptom item, missing: net, only one missing function
item is prorated (x 9/8). Scores are reported to one decimal (project choice).
"""

import pytest

from outcomes.scoring import score

FUNCTION = [2, 5, 4, 6, 7, 3, 6, 4, 5]  # sum 42 -> 14.0
OVERALL = [6, 8]  # sum 14 -> 14
SYMPTOMS = [7, 6, 5, 8, 4, 3, 5, 7, 2, 4]  # sum 51 -> 25.5
ANSWERS = FUNCTION + OVERALL + SYMPTOMS  # total 53.5


@pytest.fixture
def fiqr(definition):
    return definition("fiqr")


def scores(spec, answers):
    return score(spec, answers)["scores"]


def test_fiqr_worked_example_scores_each_domain_and_the_total(fiqr):
    assert scores(fiqr, ANSWERS) == {
        "total": 53.5,
        "function": 14.0,
        "overall": 14.0,
        "symptoms": 25.5,
    }


def test_fiqr_function_sum_not_divisible_by_three_is_reported_to_one_decimal(fiqr):
    # Function items sum 43 -> 14.333 -> 14.3; total 14.333 + 14 + 25.5 = 53.833 -> 53.8.
    answers = [3, *FUNCTION[1:], *OVERALL, *SYMPTOMS]

    result = scores(fiqr, answers)

    assert (result["function"], result["total"]) == (14.3, 53.8)


def test_fiqr_best_answers_give_a_total_of_zero(fiqr):
    assert scores(fiqr, [0] * 21)["total"] == 0


def test_fiqr_worst_answers_give_a_total_of_one_hundred(fiqr):
    assert scores(fiqr, [10] * 21) == {
        "total": 100.0,
        "function": 30.0,
        "overall": 20.0,
        "symptoms": 50.0,
    }


def test_fiqr_one_missing_function_item_is_prorated_by_nine_eighths(fiqr):
    # Item 1 (2) missing: the other eight sum 40 -> 40 x 9/8 = 45 -> function 15.0;
    # total 15.0 + 14 + 25.5 = 54.5.
    answers = [None, *FUNCTION[1:], *OVERALL, *SYMPTOMS]

    result = scores(fiqr, answers)

    assert (result["function"], result["total"]) == (15.0, 54.5)


def test_fiqr_prorated_function_is_rounded_to_one_decimal(fiqr):
    # Eight answered items sum 7 -> 7 x 9/8 / 3 = 2.625, reported to one decimal as 2.6.
    answers = [None, 1, 1, 1, 1, 1, 1, 1, 0] + [0] * 12

    assert scores(fiqr, answers)["function"] == 2.6


def test_fiqr_two_missing_function_items_give_no_function_and_no_total(fiqr):
    answers = [None, None, *FUNCTION[2:], *OVERALL, *SYMPTOMS]

    assert scores(fiqr, answers) == {
        "total": None,
        "function": None,
        "overall": 14.0,
        "symptoms": 25.5,
    }


def test_fiqr_a_missing_overall_item_gives_no_overall_and_no_total(fiqr):
    answers = [*FUNCTION, 6, None, *SYMPTOMS]

    result = scores(fiqr, answers)

    assert (result["overall"], result["total"]) == (None, None)


def test_fiqr_a_missing_symptom_item_gives_no_symptoms_and_no_total(fiqr):
    answers = FUNCTION + OVERALL + [*SYMPTOMS[:9], None]

    result = scores(fiqr, answers)

    assert (result["symptoms"], result["total"]) == (None, None)


def test_fiqr_harmonises_total_to_quality_of_life_and_item_twelve_to_pain(fiqr):
    # Both reversed (higher worse): 100 - 53.5 = 46.5; pain item 12 = 7 -> 100 x (10 - 7) / 10.
    assert score(fiqr, ANSWERS)["outcomes"] == {"quality-of-life": 46.5, "pain": 30.0}


def test_fiqr_total_borrows_the_fiq_minimal_important_change_of_fourteen(fiqr):
    total = fiqr.score("total")

    assert total.mic == 14
    assert "FIQ" in total.mic_source and "J Rheumatol 2009" in total.mic_source


def test_fiqr_items_carry_no_text(fiqr):
    # The authors' copyright: wording is imported by the licensee, never committed.
    assert fiqr.licence.wording_licensed is True
    assert all(not item.text for item in fiqr.items)


def test_fiqr_function_labels_follow_the_published_item_order(fiqr):
    # Bennett 2009 (Table 1): hair, walking, meal, floors, carrying, stairs, bed, sitting, shopping.
    topics = [fiqr.item(f"fiqr0{n}").label.removeprefix("Function: ") for n in range(1, 10)]

    assert topics == [
        "personal care",
        "walking",
        "preparing a meal",
        "cleaning floors",
        "lifting and carrying",
        "stairs",
        "making the bed",
        "sitting",
        "shopping",
    ]


def test_fiqr_asks_one_question_per_page(fiqr):
    assert fiqr.paging == "item"
