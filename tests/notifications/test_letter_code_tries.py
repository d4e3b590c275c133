"""The wrong-code limit on letter short codes holds through a Redis outage or restart and counts
the real client behind the proxy, whatever X-Forwarded-For a client forges."""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from notifications import letter_codes
from notifications.models import LetterCodeTry

pytestmark = pytest.mark.django_db

WRONG = {"code": "ZZZZ-ZZZZ"}


@pytest.fixture
def redis_down(settings):
    """The cache on a Redis that does not answer (proms.cache degrades to misses)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "proms.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: nothing listens
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }


def wrong_tries(client, count: int, **headers) -> list[int]:
    return [client.post(reverse("letter:code"), WRONG, **headers).status_code for _ in range(count)]


def test_with_redis_down_the_eleventh_wrong_code_is_refused(client, redis_down):
    statuses = wrong_tries(client, letter_codes.TRIES + 2)

    assert statuses == [404] * letter_codes.TRIES + [429, 429]


def test_the_count_survives_a_redis_restart(client):
    wrong_tries(client, letter_codes.TRIES)
    cache.clear()  # what a Redis restart without persistence does to a cache-kept count

    assert client.post(reverse("letter:code"), WRONG).status_code == 429


def test_tries_older_than_an_hour_no_longer_count(client):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        wrong_tries(client, letter_codes.TRIES)
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 1, tzinfo=dt.UTC), tick=False):
        page = client.post(reverse("letter:code"), WRONG)

    assert page.status_code == 404
    assert LetterCodeTry.objects.count() == 1  # the expired tries were deleted


def test_no_client_address_is_stored(client):
    wrong_tries(client, 1, REMOTE_ADDR="198.51.100.7")

    assert "198.51.100.7" not in LetterCodeTry.objects.get().client


def test_behind_the_proxy_each_patient_is_counted_by_their_own_address(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}  # every request arrives from the proxy
    wrong_tries(client, letter_codes.TRIES, HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)

    other = client.post(reverse("letter:code"), WRONG, HTTP_X_FORWARDED_FOR="203.0.113.10", **proxy)
    same = client.post(reverse("letter:code"), WRONG, HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy)

    assert (other.status_code, same.status_code) == (404, 429)


def test_a_forged_forwarded_for_does_not_reset_the_count(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    statuses = [
        client.post(
            reverse("letter:code"),
            WRONG,
            # The client's own forged entry first; the proxy appends the address it saw.
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.9",
            REMOTE_ADDR="10.0.0.2",
        ).status_code
        for n in range(letter_codes.TRIES + 1)
    ]

    assert statuses[-1] == 429


def test_without_a_trusted_proxy_forwarded_for_is_ignored(client):
    statuses = [
        client.post(reverse("letter:code"), WRONG, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code
        for n in range(letter_codes.TRIES + 1)
    ]

    assert statuses[-1] == 429
