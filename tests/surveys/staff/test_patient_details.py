"""The patient details page, finding patients by name and date of birth, NHS number display and
the order of recent enrolments."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from outcomes.models import AuditEvent
from surveys.models import Patient
from tests.factories import PatientFactory
from tests.surveys.staff.conftest import enrol

pytestmark = pytest.mark.django_db


def details(patient, **overrides) -> dict:
    data = {
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "date_of_birth_0": str(patient.date_of_birth.day),
        "date_of_birth_1": str(patient.date_of_birth.month),
        "date_of_birth_2": str(patient.date_of_birth.year),
        "sex": patient.sex,
        "address_line_1": patient.address_line_1,
        "address_line_2": "",
        "town": "",
        "postcode": patient.postcode,
        "practice": "",
        "mobile": patient.mobile,
        "email": patient.email,
        "preferred_channel": patient.preferred_channel,
        "preferred_language": "en",
        "contact_consent": "on" if patient.contact_consent else "",
    }
    data.update(overrides)
    return data


def test_staff_change_contact_details_and_the_audit_names_the_fields_not_the_values(
    client_a, episode_a, staff_a
):
    patient = episode_a.patient
    url = reverse("staff:patient_edit", args=[patient.pk])

    response = client_a.post(
        url,
        details(
            patient,
            mobile="07700 900456",
            email="new@example.com",
            preferred_channel="email",
            address_line_1="2 New Road",
            town="Mansfield",
        ),
    )

    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.mobile, patient.email, patient.preferred_channel) == (
        "+447700900456",
        "new@example.com",
        "email",
    )
    assert (patient.address_line_1, patient.town) == ("2 New Road", "Mansfield")
    audit = AuditEvent.objects.get(action="patient.updated")
    assert audit.actor == staff_a
    assert set(audit.details["fields"]) == {
        "mobile",
        "email",
        "preferred_channel",
        "address_line_1",
        "town",
    }
    assert "900456" not in str(audit.details)


def test_the_details_page_shows_the_current_details_and_never_offers_the_nhs_number(
    client_a, episode_a
):
    page = client_a.get(reverse("staff:patient_edit", args=[episode_a.patient.pk])).text

    assert f'value="{episode_a.patient.family_name}"' in page
    assert 'name="nhs_number"' not in page


def test_bad_details_are_refused_with_an_error_and_nothing_is_saved(client_a, episode_a):
    patient = episode_a.patient
    response = client_a.post(
        reverse("staff:patient_edit", args=[patient.pk]),
        details(patient, mobile="", preferred_channel="sms", given_name="Changed"),
    )

    assert response.status_code == 200
    assert "Enter a mobile number to send links by text message" in response.text
    patient.refresh_from_db()
    assert patient.given_name != "Changed"
    assert not AuditEvent.objects.filter(action="patient.updated").exists()


def test_consent_given_later_on_the_details_page_wakes_the_waiting_questionnaire(
    client_a, provider_a, staff_a
):
    patient = PatientFactory(contact_consent=False)
    episode = enrol(provider_a, staff_a, patient=patient)
    baseline = episode.invitations.get(timepoint="baseline")
    # As the dispatch tick leaves it for a patient nobody may message: parked to the window end.
    baseline.next_action_at = timezone.now() + dt.timedelta(days=20)
    baseline.save()

    client_a.post(
        reverse("staff:patient_edit", args=[patient.pk]), details(patient, contact_consent="on")
    )

    baseline.refresh_from_db()
    assert baseline.next_action_at <= timezone.now()


def test_staff_of_another_provider_can_neither_see_nor_change_the_details(
    client, episode_b, staff_a
):
    client.force_login(staff_a)
    patient = episode_b.patient
    url = reverse("staff:patient_edit", args=[patient.pk])

    assert client.get(url).status_code == 404
    assert client.post(url, details(patient, given_name="Changed")).status_code == 404
    assert Patient.objects.get(pk=patient.pk).given_name != "Changed"


def _name_search(client, family_name, born, given_name=""):
    return client.post(
        reverse("staff:patient_search"),
        {
            "family_name": family_name,
            "given_name": given_name,
            "date_of_birth_0": str(born.day),
            "date_of_birth_1": str(born.month),
            "date_of_birth_2": str(born.year),
        },
    )


def test_a_patient_is_found_by_last_name_and_date_of_birth(client_a, episode_a):
    patient = episode_a.patient

    response = _name_search(client_a, patient.family_name.upper(), patient.date_of_birth)

    assert response.status_code == 302
    assert response["Location"] == reverse("staff:patient_detail", args=[patient.pk])


def test_two_patients_with_the_same_name_and_birthday_are_both_listed(
    client_a, provider_a, staff_a
):
    born = dt.date(1950, 6, 1)
    for given in ("Ann", "Anna"):
        enrol(
            provider_a,
            staff_a,
            patient=PatientFactory(given_name=given, family_name="Same", date_of_birth=born),
        )

    page = _name_search(client_a, "Same", born).text

    assert "Ann Same" in page and "Anna Same" in page


def test_a_name_search_never_finds_another_providers_patient(client_a, episode_b):
    patient = episode_b.patient

    response = _name_search(client_a, patient.family_name, patient.date_of_birth)

    assert response.status_code == 200
    assert "No patient at your services has this name" in response.text
    assert patient.full_name not in response.text


def test_a_name_search_without_a_date_of_birth_explains_what_is_missing(client_a):
    response = client_a.post(reverse("staff:patient_search"), {"family_name": "Same"})

    assert response.status_code == 400
    assert "Enter the patient&#x27;s date of birth" in response.text


def test_nhs_numbers_are_shown_in_three_three_four_groups(client_a, episode_a):
    patient = episode_a.patient
    number = patient.nhs_number
    spaced = f"{number[:3]} {number[3:6]} {number[6:]}"

    for url in (
        reverse("staff:home"),
        reverse("staff:patient_detail", args=[patient.pk]),
        reverse("staff:episode_detail", args=[episode_a.pk]),
    ):
        page = client_a.get(url).text
        assert spaced in page and number not in page


def test_recent_enrolments_are_listed_newest_referral_first(client_a, provider_a, staff_a):
    today = timezone.localdate()
    # Enrolled in this order, referred in another: the list follows the referral dates.
    for days_ago, name in ((30, "Middle"), (2, "Newest"), (90, "Oldest")):
        enrol(
            provider_a,
            staff_a,
            referred_on=today - dt.timedelta(days=days_ago),
            patient=PatientFactory(family_name=name),
        )

    page = client_a.get(reverse("staff:home")).text

    assert page.index("Newest") < page.index("Middle") < page.index("Oldest")


@pytest.mark.parametrize("name", ["staff:home", "staff:patient_find"])
def test_the_find_pages_offer_the_search_by_name_and_date_of_birth(client_a, name):
    page = client_a.get(reverse(name)).text

    assert f'action="{reverse("staff:patient_search")}"' in page
    assert 'name="family_name"' in page and 'name="date_of_birth_0"' in page
