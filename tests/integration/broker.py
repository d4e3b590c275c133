"""Helpers for tests that use the real Redis broker and real workers.

The machine's Redis is shared by concurrent test runs: each run routes its tasks to a queue of
its own, so another run's worker never takes them (and ours never takes theirs).
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Callable, Iterator

import kombu.pools
import pytest

from proms.celery import app

_AMQP_CACHES = ("queues", "default_queue", "router")


def in_ci() -> bool:
    return os.environ.get("CI") == "true"


def require(condition: bool, reason: str) -> None:
    """Skip when a real service or tool is missing, but fail in CI, where it must be there."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


def services_configured() -> bool:
    return bool(os.environ.get("REDIS_URL")) and os.environ.get("DATABASE_URL", "").startswith(
        "postgres"
    )


def needs_services() -> None:
    """Run only on the PostgreSQL + Redis pass (scripts/test's second pass, which CI always
    runs and which fails there if the services do not answer); skip on the SQLite pass."""
    if not services_configured():
        pytest.skip("needs REDIS_URL and a PostgreSQL DATABASE_URL (the services pass)")


@contextlib.contextmanager
def private_queue() -> Iterator[str]:
    """Route every task to a queue unique to this test and run tasks through the broker (not
    eagerly); restore the app's routing and eagerness afterwards."""
    name = f"proms-test-{uuid.uuid4().hex[:12]}"
    saved = {key: app.conf[key] for key in ("task_routes", "task_always_eager")}
    app.conf.task_routes = {"*": {"queue": name}}
    app.conf.task_always_eager = False
    _routing_reset()
    try:
        yield name
    finally:
        app.conf.update(saved)
        _routing_reset()
        with contextlib.suppress(Exception), app.connection_for_write() as connection:
            connection.default_channel.queue_delete(name)
        _connections_close()


def _connections_close() -> None:
    """Close the broker pool's and the result backend's sockets now, not at garbage collection
    (an unclosed socket is a ResourceWarning, and warnings fail the suite)."""
    kombu.pools.reset()  # closes every pooled broker connection and forgets the pools
    app._pool = None  # a closed pool refuses connections: the next use builds a new one
    app.amqp._producer_pool = None
    client = getattr(app.backend, "client", None)
    if client is not None:
        client.connection_pool.disconnect()


def _routing_reset() -> None:
    app.amqp.flush_routes()
    for cached in _AMQP_CACHES:
        app.amqp.__dict__.pop(cached, None)


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    """Poll a real process's progress (a worker, a server): there is no event to wait on."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False
