import pytest
from django.core.exceptions import ValidationError

from surveys.validators import nhs_number_normalise, postcode_normalise


@pytest.mark.parametrize("typed", ["9434765919", "943 476 5919", "943-476-5919"])
def test_a_valid_nhs_number_is_accepted_however_it_is_spaced(typed):
    # 943 476 5919 is the NHS Data Dictionary's example number.
    assert nhs_number_normalise(typed) == "9434765919"


def test_an_nhs_number_whose_check_digit_gives_eleven_must_end_in_zero():
    # 200 000 001: weighted sum 2x10 + 1x2 = 22, remainder 0, 11 - 0 = 11, read as 0.
    assert nhs_number_normalise("2000000010") == "2000000010"


@pytest.mark.parametrize("typed", ["9434765918", "943476591", "94347659199", "ABC4765919", ""])
def test_an_nhs_number_with_a_wrong_check_digit_or_length_is_refused(typed):
    with pytest.raises(ValidationError):
        nhs_number_normalise(typed)


def test_an_nhs_number_whose_check_digit_would_be_ten_is_refused():
    # 100 000 001: weighted sum 1x10 + 1x2 = 12, remainder 1, 11 - 1 = 10: never valid.
    for last in range(10):
        with pytest.raises(ValidationError):
            nhs_number_normalise(f"100000001{last}")


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("ng181aa", "NG18 1AA"),
        (" NG7 2UH ", "NG7 2UH"),
        ("sw1a1aa", "SW1A 1AA"),
        ("M11AE", "M1 1AE"),
    ],
)
def test_a_uk_postcode_is_normalised(typed, normalised):
    assert postcode_normalise(typed) == normalised


@pytest.mark.parametrize("typed", ["NG18", "12345", "NG18 1A", "not a postcode", ""])
def test_an_incomplete_or_foreign_postcode_is_refused(typed):
    with pytest.raises(ValidationError):
        postcode_normalise(typed)
