"""Numbers typed into answer boxes: digits of any script are the number they write (decision:
docs/adr/0007-typed-numbers-and-names.md); signs, underscores and decimals are not whole numbers."""

import pytest

from surveys.questionnaire import parse_page, plan_for
from surveys.validators import typed_number
from tests.surveys.patient.test_questionnaire import KNEE_BASELINE


@pytest.mark.parametrize(
    ("typed", "number"),
    [("75", 75), (" 75 ", 75), ("٧٥", 75), ("۷۵", 75), ("７５", 75), ("0", 0), ("٠", 0)],
    ids=["ascii", "spaces", "arabic-indic", "extended-arabic-indic", "full-width", "0", "٠"],
)
def test_digits_of_any_script_are_the_number_they_write(typed, number):
    assert typed_number(typed) == number


@pytest.mark.parametrize("typed", ["+7", "-0", "7_5", "7.0", "7 5", "²", "seven", "", "Ⅻ"])
def test_anything_but_decimal_digits_is_not_a_whole_number(typed):
    assert typed_number(typed) is None


def test_a_patient_typing_arabic_indic_digits_in_the_vas_box_answers_75():
    page = plan_for(KNEE_BASELINE, follow_up=False)[3]
    data = {"mo": "1", "sc": "1", "ua": "1", "pd": "1", "ad": "1", "vas": "٧٥"}

    answers = parse_page(page, data)

    assert answers.is_valid
    assert answers.values["vas"] == 75


def test_a_signed_number_in_the_vas_box_is_a_slip_with_a_message():
    page = plan_for(KNEE_BASELINE, follow_up=False)[3]
    data = {"mo": "1", "sc": "1", "ua": "1", "pd": "1", "ad": "1", "vas": "+75"}

    answers = parse_page(page, data)

    assert answers.errors == {"vas": "Enter a whole number from 0 to 100"}
