import pytest
from django.test import Client

from outcomes.access import api_key_hash
from outcomes.models import ApiClient, AuditEvent
from tests.api.conftest import auth
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser():
    browser = Client()
    browser.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return browser


def add_key(browser, providers) -> tuple[object, str]:
    response = browser.post(
        "/admin/outcomes/apiclient/add/",
        {"name": "Trust analysts", "providers": [p.pk for p in providers]},
    )
    raw_key = response.content.decode().split('<code id="raw-key">')[1].split("</code>")[0]
    return response, raw_key


def test_adding_a_key_in_the_admin_shows_the_raw_key_once(admin_browser, provider_a):
    response, raw_key = add_key(admin_browser, [provider_a])

    assert response.status_code == 200
    client = ApiClient.objects.get()
    assert client.key_hash == api_key_hash(raw_key)
    assert [p.ods_code for p in client.providers.all()] == ["RAA01"]
    assert (
        raw_key
        not in admin_browser.get(f"/admin/outcomes/apiclient/{client.pk}/change/").content.decode()
    )


def test_the_raw_key_is_in_no_cookie_and_the_page_is_not_stored(admin_browser, provider_a):
    response, raw_key = add_key(admin_browser, [provider_a])

    assert all(raw_key not in morsel.value for morsel in response.cookies.values())
    assert all(raw_key not in morsel.value for morsel in admin_browser.cookies.values())
    assert "no-store" in response["Cache-Control"]


def test_issuing_a_key_audits_its_providers_without_key_material(admin_browser, provider_a):
    _, raw_key = add_key(admin_browser, [provider_a])

    event = AuditEvent.objects.get(action="api_key.providers_changed")
    assert event.details["added"] == ["RAA01"]
    assert event.details["removed"] == []
    assert raw_key not in str(event.details)
    assert raw_key[len("proms_") + 8 :] not in str(event.details)


def test_changing_a_keys_providers_is_audited_with_what_was_added_and_removed(
    admin_browser, provider_a, provider_b
):
    add_key(admin_browser, [provider_a])
    client = ApiClient.objects.get()

    admin_browser.post(
        f"/admin/outcomes/apiclient/{client.pk}/change/",
        {"name": "Trust analysts", "providers": [provider_b.pk]},
    )

    assert [p.ods_code for p in client.providers.all()] == [provider_b.ods_code]
    event = AuditEvent.objects.filter(action="api_key.providers_changed").latest("pk")
    assert event.details["added"] == [provider_b.ods_code]
    assert event.details["removed"] == ["RAA01"]
    assert event.actor.username == "root"


def test_saving_a_key_unchanged_writes_no_scope_record(admin_browser, provider_a):
    add_key(admin_browser, [provider_a])
    client = ApiClient.objects.get()

    admin_browser.post(
        f"/admin/outcomes/apiclient/{client.pk}/change/",
        {"name": "Renamed", "providers": [provider_a.pk]},
    )

    assert AuditEvent.objects.filter(action="api_key.providers_changed").count() == 1


def test_the_revoke_action_makes_the_key_401(admin_browser, key_a):
    client = ApiClient.objects.get()

    admin_browser.post(
        "/admin/outcomes/apiclient/",
        {"action": "revoke", "_selected_action": [client.pk]},
    )

    response = Client().get("/api/v1/exports/responses/", **auth(key_a))
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]
