import pytest
from django.test import Client

from outcomes.access import api_key_hash
from outcomes.models import ApiClient
from tests.api.conftest import auth
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser():
    browser = Client()
    browser.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return browser


def test_adding_a_key_in_the_admin_shows_the_raw_key_once(admin_browser, provider_a):
    response = admin_browser.post(
        "/admin/outcomes/apiclient/add/",
        {"name": "Trust analysts", "providers": [provider_a.pk]},
        follow=True,
    )

    text = response.content.decode()
    raw_key = text.split("<code>")[1].split("</code>")[0]
    client = ApiClient.objects.get()
    assert client.key_hash == api_key_hash(raw_key)
    assert [p.ods_code for p in client.providers.all()] == ["RAA01"]
    assert (
        raw_key
        not in admin_browser.get(f"/admin/outcomes/apiclient/{client.pk}/change/").content.decode()
    )


def test_the_revoke_action_makes_the_key_401(admin_browser, key_a):
    client = ApiClient.objects.get()

    admin_browser.post(
        "/admin/outcomes/apiclient/",
        {"action": "revoke", "_selected_action": [client.pk]},
    )

    response = Client().get("/api/v1/exports/responses/", **auth(key_a))
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]
