import pytest
from django.core.exceptions import ValidationError

from surveys.validators import email_normalise, mobile_normalise


@pytest.mark.parametrize(
    "typed",
    [
        "07700900123",
        "07700 900123",
        "07700-900-123",
        "+447700900123",
        "+44 7700 900123",
        "0044 7700 900123",
        "+44 (0)7700 900123",
    ],
)
def test_a_uk_mobile_number_is_normalised_to_e164_however_it_is_typed(typed):
    assert mobile_normalise(typed) == "+447700900123"


@pytest.mark.parametrize(
    "typed",
    ["", "01623 000000", "0770090012", "077009001234", "+33 6 12 34 56 78", "7700900123", "mobile"],
)
def test_a_landline_foreign_or_malformed_number_is_refused(typed):
    with pytest.raises(ValidationError, match="UK mobile number"):
        mobile_normalise(typed)


def test_an_email_address_is_stripped_and_its_domain_lower_cased():
    assert email_normalise("  Alex.Tester@Example.COM ") == "Alex.Tester@example.com"


@pytest.mark.parametrize("typed", ["", "alex", "alex@", "@example.com", "alex@@example.com"])
def test_a_malformed_email_address_is_refused_politely(typed):
    with pytest.raises(ValidationError, match="correct format"):
        email_normalise(typed)
