"""Helpers for tests of two writers at once, which need PostgreSQL's row locks."""

from __future__ import annotations

import os
import threading
import time

import pytest
from django.db import connection

needs_row_locks = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="SQLite has no row locks: the race needs PostgreSQL",
)


def until_a_query_waits_for_a_lock(deadline_seconds: float = 10.0) -> bool:
    """Poll PostgreSQL's own view of who is blocked (no sleeping, a bounded wait)."""
    deadline = time.monotonic() + deadline_seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            if cursor.fetchone()[0]:
                return True
    return False


def holder_then_waiter(
    *, holder, holding: threading.Event, waiter, waiting: threading.Event
) -> bool:
    """Run ``holder`` in a thread until it sets ``holding`` (its row locks taken), then
    ``waiter`` in another; once a query waits for a lock, set ``waiting`` and let both finish.
    Each function closes its own connection. Returns whether a query waited for a lock."""
    holding_thread = threading.Thread(target=holder)
    holding_thread.start()
    assert holding.wait(timeout=10)
    waiting_thread = threading.Thread(target=waiter)
    waiting_thread.start()
    waited = until_a_query_waits_for_a_lock()
    waiting.set()
    holding_thread.join(timeout=30)
    waiting_thread.join(timeout=30)
    return waited
