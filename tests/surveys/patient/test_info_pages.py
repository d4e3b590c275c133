"""NHS service basics: footer links to an accessibility statement, a privacy notice and contact
details on every page (each a real page, with marked placeholders for the deploying
organisation's details until settings give them), and a way in for staff from the home page."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = ("accessibility", "privacy", "contact")


@pytest.mark.parametrize("name", PAGES)
def test_each_support_page_exists_and_marks_what_the_organisation_must_fill_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert '<mark class="proms-placeholder">[' in response.content.decode()


def test_the_organisation_s_details_replace_the_placeholders(client, settings):
    settings.SERVICE_ORGANISATION = {
        "name": "Mid Notts MSK Hub",
        "phone": "01623 000 000",
        "email": "msk@example.nhs.uk",
        "address": "Kings Mill Hospital, Sutton-in-Ashfield",
        "dpo_email": "dpo@example.nhs.uk",
        "statement_date": "1 December 2026",
    }
    html = client.get(reverse("contact")).content.decode()
    assert "01623 000 000" in html and "Mid Notts MSK Hub" in html
    assert "proms-placeholder" not in html
    assert "proms-placeholder" not in client.get(reverse("accessibility")).content.decode()


def test_every_page_links_to_the_support_pages(client, confirmed):
    for url in (reverse("home"), confirmed.page(1), "/q/not-a-link/"):
        html = client.get(url).content.decode()
        for name in PAGES:
            assert f'href="{reverse(name)}"' in html, (url, name)


def test_the_home_page_has_a_staff_sign_in_link(client):
    html = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("login")}?next={reverse("staff:home")}">Staff sign in</a>' in html
