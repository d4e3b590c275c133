"""Helpers for tests of two writers at once, which need PostgreSQL's row locks."""

from __future__ import annotations

import os
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
