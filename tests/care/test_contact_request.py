"""'Please contact me' on the patient's done page becomes an item on their provider's worklist."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from care.models import ContactRequest
from tests.surveys.patient.conftest import (  # noqa: F401 - the patient-page fixtures
    _fresh_wording,
    answer_all,
    confirmed,
    link,
)


@pytest.fixture
def answered(client, confirmed):  # noqa: F811
    answer_all(client, confirmed)
    client.post(confirmed.url("submit"))
    return confirmed


def test_the_done_page_offers_please_contact_me(client, answered):
    page = client.get(answered.url("done")).text

    assert "Please contact me" in page
    assert 'action="../contact/"' in page  # relative: the link stays out of the template


def test_pressing_please_contact_me_asks_the_care_team_once(client, answered):
    first = client.post(f"/q/{answered.token}/contact/")
    second = client.post(f"/q/{answered.token}/contact/")  # a double tap

    assert first.status_code == second.status_code == 200
    assert "We have asked your care team to contact you" in first.text
    request = ContactRequest.objects.get()
    assert (request.episode, request.provider, request.status) == (
        answered.invitation.episode,
        answered.provider,
        "open",
    )
    assert first["Cache-Control"] == "no-store"


def test_the_request_appears_on_the_providers_worklist(client, answered):
    client.post(f"/q/{answered.token}/contact/")
    staff = Client()
    user = answered.provider.staff.create(username="hub.staff")
    staff.force_login(user)

    page = staff.get(reverse("care:contact_requests")).text

    assert answered.patient.full_name in page


def test_a_browser_without_the_date_of_birth_cookie_cannot_ask(answered):
    response = Client().post(f"/q/{answered.token}/contact/")

    assert response.status_code == 404
    assert not ContactRequest.objects.exists()


def test_a_questionnaire_not_yet_submitted_cannot_ask(client, confirmed):  # noqa: F811
    response = client.post(f"/q/{confirmed.token}/contact/")

    assert response.status_code == 302
    assert not ContactRequest.objects.exists()


def test_an_unknown_link_cannot_ask(client, db):
    assert client.post("/q/not-a-real-token/contact/").status_code == 404
    assert not ContactRequest.objects.exists()
