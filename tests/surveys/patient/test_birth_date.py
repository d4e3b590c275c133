"""The date-of-birth check that opens a patient's link, its lock and the proof cookie."""

from __future__ import annotations

import datetime as dt

import pytest

from surveys.views_patient import COOKIE_NAME
from tests.surveys.patient.conftest import BIRTH_DATE, dob_form

pytestmark = pytest.mark.django_db


def test_the_link_asks_for_the_date_of_birth_first(client, link):
    response = client.get(link.url())
    assert response.status_code == 200
    html = response.content.decode()
    for part in ("dob-day", "dob-month", "dob-year"):
        assert f'name="{part}"' in html
    assert "nhsuk-date-input" in html


def test_the_right_date_of_birth_goes_to_the_first_page_and_sets_the_cookie(client, link):
    response = client.post(link.url(), dob_form(BIRTH_DATE))
    assert response.status_code == 302
    assert response["Location"] == link.page(1)
    cookie = response.cookies[COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == link.url()
    assert cookie["secure"]  # DEBUG is off in tests
    assert 0 < int(cookie["max-age"]) <= 12 * 60 * 60
    assert link.refresh().status == "opened"


def test_a_wrong_date_of_birth_shows_the_error_summary_and_counts_the_attempt(client, link):
    response = client.post(link.url(), dob_form(BIRTH_DATE + dt.timedelta(days=1)))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="nhsuk-error-summary"' in html
    assert "There is a problem" in html
    assert 'href="#dob-day"' in html
    assert "You can try 4 more times" in html
    assert COOKIE_NAME not in response.cookies
    assert link.refresh().dob_attempts == 1


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"dob-day": "", "dob-month": "", "dob-year": ""}, "Enter your date of birth"),
        ({"dob-day": "31", "dob-month": "2", "dob-year": "1950"}, "must be a real date"),
        ({"dob-day": "1", "dob-month": "1", "dob-year": "2999"}, "must be in the past"),
        ({"dob-day": "1", "dob-month": "", "dob-year": "1950"}, "must include a day"),
    ],
    ids=["empty", "not-a-date", "future", "part-missing"],
)
def test_an_unusable_date_is_an_error_that_uses_no_attempt(client, link, form, message):
    response = client.post(link.url(), form)
    assert message in response.content.decode()
    assert link.refresh().dob_attempts == 0


def test_five_wrong_dates_lock_the_link_and_say_whom_to_call(client, link):
    for day in range(1, 6):
        response = client.post(link.url(), dob_form(dt.date(1950, 1, day)))
    assert response.status_code == 403
    assert link.refresh().locked_at is not None
    html = response.content.decode()
    assert "locked" in html
    assert link.provider.contact_phone in html


def test_a_locked_link_stays_locked_even_with_the_right_date(client, link):
    for day in range(1, 6):
        client.post(link.url(), dob_form(dt.date(1950, 1, day)))
    response = client.post(link.url(), dob_form(BIRTH_DATE))
    assert response.status_code == 403
    assert link.provider.contact_phone in response.content.decode()
    assert COOKIE_NAME not in response.cookies


def test_question_pages_without_the_cookie_go_back_to_the_date_of_birth(client, link):
    response = client.get(link.page(1))
    assert response.status_code == 302
    assert response["Location"] == link.url()


def test_a_tampered_cookie_is_refused(client, confirmed):
    value = client.cookies[COOKIE_NAME].value
    client.cookies[COOKIE_NAME] = value[:-3] + ("aaa" if not value.endswith("aaa") else "bbb")
    client.cookies[COOKIE_NAME]["path"] = confirmed.url()
    response = client.get(confirmed.page(1))
    assert response.status_code == 302
    assert response["Location"] == confirmed.url()


def test_a_cookie_for_another_link_is_refused(client, confirmed):
    from tests.surveys.patient.conftest import enrol, link_for

    other = link_for(enrol().invitations.get(timepoint="baseline"))
    client.cookies[COOKIE_NAME] = client.cookies[COOKIE_NAME].value  # same proof, other link
    response = client.get(other.page(1))
    assert response.status_code == 302
    assert response["Location"] == other.url()


def test_with_the_cookie_the_link_resumes_without_asking_again(client, confirmed):
    response = client.get(confirmed.url())
    assert response.status_code == 302
    assert response["Location"] == confirmed.page(1)


def test_patient_pages_never_show_name_nhs_number_or_birth_date(client, confirmed):
    patient = confirmed.patient
    for url in (confirmed.url(), confirmed.page(1)):
        html = client.get(url, follow=True).content.decode()
        assert patient.family_name not in html
        assert patient.nhs_number not in html
        assert "1948" not in html


def test_patient_pages_are_not_cached_indexed_or_referred(client, link):
    response = client.get(link.url())
    assert response["Cache-Control"] == "no-store"
    assert "noindex" in response["X-Robots-Tag"]
    assert response["Referrer-Policy"] == "same-origin"


def test_a_form_without_its_csrf_token_gets_a_friendly_page():
    from django.test import Client

    from tests.surveys.patient.conftest import enrol, link_for

    link = link_for(enrol().invitations.get(timepoint="baseline"))
    response = Client(enforce_csrf_checks=True).post(link.url(), dob_form(BIRTH_DATE))
    assert response.status_code == 403
    assert "Sorry, we could not save that" in response.content.decode()
    assert response["Cache-Control"] == "no-store"


def test_a_staff_form_without_its_csrf_token_gets_the_friendly_page_too():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"username": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "Sorry, we could not save that" in html
    assert "your health questionnaire" not in html
