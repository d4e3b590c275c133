"""Repeated wrong passwords lock log-in for the account and for the address (django-axes,
counted in the database, so the count survives a Redis outage), with a polite 429 and an
audit record; the right password during a lock-out does not get in."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client

from outcomes.models import AuditEvent
from tests.factories import UserFactory

PASSWORD = "a-long-test-password"


@pytest.fixture
def staff(db):
    return UserFactory(username="hub.user", is_staff=True)


def attempt(client: Client, username: str, password: str, **headers):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, headers=headers
    )


def test_twelve_wrong_passwords_then_the_right_one_is_refused(staff, settings):
    client = Client()
    statuses = [attempt(client, "hub.user", f"wrong-{n}").status_code for n in range(12)]

    last = attempt(client, "hub.user", PASSWORD)

    limit = settings.AXES_FAILURE_LIMIT
    assert statuses[: limit - 1] == [200] * (limit - 1)
    assert set(statuses[limit - 1 :]) == {429}
    assert last.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "Too many attempts to log in" in last.content.decode()
    assert "Try again in 15 minutes" in last.content.decode()


def test_the_account_is_locked_from_any_address(staff, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(Client(REMOTE_ADDR=f"203.0.113.{n}"), "hub.user", "wrong")

    response = attempt(Client(REMOTE_ADDR="198.51.100.7"), "hub.user", PASSWORD)

    assert response.status_code == 429


def test_an_address_is_locked_across_accounts(db, settings):
    UserFactory(username="other.user")
    client = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, f"guess{n}", "wrong")

    response = attempt(client, "other.user", PASSWORD)

    assert response.status_code == 429


def test_a_success_before_the_limit_resets_the_count(staff, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "hub.user", "wrong")
    assert attempt(client, "hub.user", PASSWORD).status_code == 302
    client.post("/accounts/logout/")

    response = attempt(client, "hub.user", "wrong")

    assert response.status_code == 200


def test_failures_and_the_lock_out_are_audited_without_the_password_or_the_name(staff, settings):
    client = Client(REMOTE_ADDR="203.0.113.5")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "hub.user", "hunter2-wrong")

    failed = AuditEvent.objects.filter(action="login_failed", object_id=str(staff.pk))
    locked = AuditEvent.objects.filter(action="login_locked_out", object_id=str(staff.pk))
    assert failed.count() == settings.AXES_FAILURE_LIMIT
    assert locked.count() == 1
    assert locked.get().details == {"address": "203.0.113.5"}
    assert "hunter2" not in str(list(AuditEvent.objects.values("details")))


def test_the_count_is_kept_in_the_database_and_holds_with_the_cache_down(staff, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "proms.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.1, "socket_timeout": 0.1},
        }
    }
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "hub.user", "wrong")

    assert AccessAttempt.objects.filter(username="hub.user").exists()
    assert attempt(client, "hub.user", PASSWORD).status_code == 429


def test_behind_the_proxy_each_client_address_is_counted_apart(db, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(username="other.user")
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(Client(**proxy), f"guess{n}", "wrong", x_forwarded_for="203.0.113.9")

    locked = attempt(Client(**proxy), "other.user", PASSWORD, x_forwarded_for="203.0.113.9")
    # A forged left-hand entry does not dodge the limit: the proxy appended the real address.
    forged = attempt(
        Client(**proxy), "other.user", PASSWORD, x_forwarded_for="1.2.3.4, 203.0.113.9"
    )
    other_client = attempt(Client(**proxy), "other.user", PASSWORD, x_forwarded_for="198.51.100.20")

    assert locked.status_code == 429
    assert forged.status_code == 429
    assert other_client.status_code == 302
