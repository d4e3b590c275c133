"""Friendly pages for addresses that match nothing and for server errors (DEBUG off)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path

from proms.urls import urlpatterns as site_urlpatterns

pytestmark = pytest.mark.django_db


def _boom(request):
    raise RuntimeError("a bug")


urlpatterns = [*site_urlpatterns, path("boom/", _boom)]  # this module is a test URLconf


@pytest.fixture(autouse=True)
def debug_off(settings):
    settings.DEBUG = False


def test_a_page_number_that_is_not_a_number_shows_the_link_problem_page(client, link):
    response = client.get(f"/q/{link.token}/page/abc/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "This link is not working" in body
    assert "contact the service that sent you the link" in body


def test_a_broken_patient_address_is_not_cached_or_indexed(client, link):
    response = client.get(f"/q/{link.token}/nowhere/")
    assert response["Cache-Control"] == "no-store"
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_a_broken_patient_address_never_logs_its_link(client, link, caplog):
    with caplog.at_level("DEBUG"):
        client.get(f"/q/{link.token}/page/abc/")
    assert link.token not in caplog.text


def test_a_broken_patient_address_says_the_same_for_a_real_and_a_made_up_link(client, link):
    real = client.get(f"/q/{link.token}/page/abc/").content
    made_up = client.get("/q/not-a-real-link-0000000000000000/page/abc/").content
    assert real == made_up


def test_an_unknown_staff_address_shows_the_page_not_found_page(client):
    response = client.get("/staff/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in body
    assert "nhsuk-header" in body  # the site's layout, not Django's plain page


def test_a_server_error_shows_the_sorry_page_in_the_site_layout(settings):
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    body = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in body
    assert "nhsuk-header" in body
    assert "a bug" not in body and "Traceback" not in body


def test_the_server_error_page_needs_no_database(rf, django_assert_num_queries):
    from django.views.defaults import server_error

    with django_assert_num_queries(0):
        response = server_error(rf.get("/"))
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.content.decode()
