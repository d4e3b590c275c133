"""One rule for a person's name everywhere it is entered: the staff form, the CSV upload, the
patient service and the model (admin). Names reach SMS, letters and spreadsheets, so markup,
formulas, digits and invisible direction overrides are refused; every script's letters pass."""

import pytest
from django.core.exceptions import ValidationError

from surveys.forms import PatientForm
from surveys.models import Patient
from surveys.services import patient_create
from surveys.validators import name_normalise
from tests.factories import PatientFactory, UserFactory
from tests.surveys.staff.test_bulk import referral, rejected_reasons, upload
from tests.surveys.staff.test_bulk import user as user
from tests.surveys.staff.test_patients import form_data

HOSTILE = {
    "markup": "<script>alert(1)</script>",
    "formula": '=HYPERLINK("https://example.com","Click")',
    "plus-formula": "+Alex",
    "at-formula": "@SUM(A1)",
    "right-to-left-override": "Alex\u202eXela",
    "zero-width-space": "Al\u200bex",
    "digits": "Alex2",
    "only-punctuation": "--",
}
RULE = "can only have letters, spaces, hyphens and apostrophes"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("O'Brien", "O'Brien"),
        ("O’Brien", "O’Brien"),
        ("Smith-Jones", "Smith-Jones"),
        ("Mary  Ann", "Mary Ann"),
        ("St. John", "St. John"),
        ("Siobha\u0301n", "Siobhán"),  # decomposed á, stored composed (NFC)
        ("निखिल", "निखिल"),  # Devanagari vowel signs are combining marks
        ("محمد", "محمد"),
        ("Nguyễn", "Nguyễn"),
    ],
)
def test_names_of_every_script_pass_and_are_stored_composed(typed, stored):
    assert name_normalise(typed) == stored


@pytest.mark.parametrize("name", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_rule_refuses_markup_formulas_digits_and_direction_overrides(name):
    with pytest.raises(ValidationError, match=RULE):
        name_normalise(name)


@pytest.mark.django_db
@pytest.mark.parametrize("name", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_staff_form_refuses_what_the_csv_upload_refuses(name):
    form = PatientForm(form_data(given_name=name))

    assert not form.is_valid()
    assert RULE in form.errors["given_name"][0]


@pytest.mark.django_db
@pytest.mark.parametrize("name", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_csv_upload_refuses_the_same_names(name, user):
    result = upload([referral(family_name=name)], user)

    assert RULE in rejected_reasons(result)


@pytest.mark.django_db
def test_the_patient_service_refuses_a_name_no_form_would_pass():
    fields = {
        key: value
        for key, value in PatientFactory.build().__dict__.items()
        if key in {f.name for f in Patient._meta.concrete_fields} and key not in ("id", "area_id")
    }
    fields.pop("created_by_id", None)
    fields.update(given_name='=HYPERLINK("x")', nhs_number="9434765919")

    with pytest.raises(ValidationError, match=RULE):
        patient_create(by=UserFactory(), **fields)
    assert not Patient.objects.exists()


@pytest.mark.django_db
def test_the_model_validates_names_for_the_admin():
    patient = PatientFactory.build(family_name="Alex\u202eXela")

    with pytest.raises(ValidationError) as error:
        patient.full_clean(
            exclude=[f.name for f in Patient._meta.fields if f.name != "family_name"]
        )
    assert RULE in str(error.value)


@pytest.mark.django_db
def test_the_staff_form_stores_the_name_normalised(client):
    form = PatientForm(form_data(given_name="  Siobha\u0301n  "))

    assert form.is_valid(), form.errors
    assert form.cleaned_data["given_name"] == "Siobhán"
