"""The shared cache never takes a request down: with Redis unreachable it behaves as a miss."""

import logging
import socket

import pytest

from proms.cache import ResilientRedisCache


@pytest.fixture
def unreachable_cache():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return ResilientRedisCache(
        f"redis://127.0.0.1:{port}/0",
        {"OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}},
    )


def test_get_returns_the_default_when_redis_is_unreachable(unreachable_cache):
    assert unreachable_cache.get("wording-version", 0) == 0


def test_set_and_delete_do_not_raise_when_redis_is_unreachable(unreachable_cache):
    unreachable_cache.set("key", "value", 30)
    assert unreachable_cache.delete("key") is False


def test_add_reports_nothing_stored_when_redis_is_unreachable(unreachable_cache):
    assert unreachable_cache.add("key", "value") is False


def test_incr_does_not_raise_when_redis_is_unreachable(unreachable_cache):
    assert unreachable_cache.incr("counter") == 1


def test_get_many_is_empty_when_redis_is_unreachable(unreachable_cache):
    assert unreachable_cache.get_many(["a", "b"]) == {}


def test_an_outage_is_logged_without_keys_or_values(unreachable_cache, caplog, monkeypatch):
    # A Celery worker started by an earlier test may have reconfigured logging.
    monkeypatch.setattr(logging.getLogger("proms.cache"), "disabled", False)
    ResilientRedisCache._last_warning = 0.0
    with caplog.at_level(logging.WARNING, logger="proms.cache"):
        unreachable_cache.get("proms:secret-key")
    assert "Cache unreachable during get" in caplog.text
    assert "secret-key" not in caplog.text
