"""A page's figures computed side by side, on PostgreSQL.

Each figure of a page is a few SQL statements and some arithmetic on what they return, and
the figures of a page do not depend on each other: computed one after another, the overview's
three took the sum of their times (docs/benchmarks.md). Here the page's figures are computed
at the same time, on this process's own small pool of threads, each with its own database
connection, into the request's ``computed_once`` scope (dashboard/cache.py); the page then
reads them from there as before, in its own order. A figure two of them share (the practice
series) is still computed once: ``cached`` lets one thread compute it while the other waits.

Only where it can be the same answer: on PostgreSQL (the demo's SQLite is left as it is),
outside a transaction (a connection of another thread would not see what the transaction has
not committed, so inside one, and in the test suite's transactions, the page computes its
figures itself, one by one), with ``DASHBOARD_FIGURE_THREADS`` above 1.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import suppress

from django.conf import settings
from django.db import close_old_connections, connection

from .cache import computing_once
from .filters import Filters

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def figure_threads() -> int:
    """Figures a page computes at once (``DASHBOARD_FIGURE_THREADS``, default 2: the machine
    this was measured on has two cores; 1 turns this off)."""
    return max(1, int(getattr(settings, "DASHBOARD_FIGURE_THREADS", 2) or 1))


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            # One thread fewer than the figures at once: the request's own thread is one.
            _pool = ThreadPoolExecutor(
                max_workers=figure_threads() - 1, thread_name_prefix="dashboard-figure"
            )
        return _pool


def threads_stop() -> None:
    """Close each pool thread's database connection and stop the threads (the next page
    starts them again): for tests, whose database cannot be dropped while a connection is
    open, and for anything else that must let go of the database."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is None:
        return
    workers = pool._max_workers
    everyone = threading.Barrier(workers)  # one task per thread: each waits for the others

    def close_mine() -> None:
        everyone.wait(timeout=10)
        connection.close()

    wait([pool.submit(close_mine) for _ in range(workers)])
    pool.shutdown(wait=True)


def figures_side_by_side(names: Sequence[str], *, filters: Filters) -> int:
    """Compute these figures at the same time into the request's scope, where the page reads
    them; returns the pool threads that helped (0: the page computes them itself). The
    request's thread and the helpers each take the next figure not yet taken until none is
    left, so a long figure does not hold up the short ones queued behind it. A figure that
    fails here is left out and fails again, with its message, on the page."""
    unique = list(dict.fromkeys(names))
    if (
        len(unique) < 2
        or figure_threads() < 2
        or connection.vendor != "postgresql"
        or connection.in_atomic_block
        or not computing_once()
    ):
        return 0
    waiting, taking = iter(unique), threading.Lock()

    def take_until_none_left() -> None:
        while True:
            with taking:
                name = next(waiting, None)
            if name is None:
                return
            _figure_quietly(name, filters)

    pool = _executor()
    helpers = [
        pool.submit(contextvars.copy_context().run, _in_thread, take_until_none_left)
        for _ in range(min(figure_threads() - 1, len(unique) - 1))
    ]
    take_until_none_left()
    wait(helpers)
    return len(helpers)


def _in_thread(work: Callable[[], None]) -> None:
    """In a pool thread: its own connection, closed when unusable or older than
    ``CONN_MAX_AGE``, as a request's is."""
    close_old_connections()
    try:
        work()
    finally:
        close_old_connections()


def _figure_quietly(name: str, filters: Filters) -> None:
    from .figures import figure_compute

    with suppress(Exception):  # the page computes it again and shows its error
        figure_compute(name, filters=filters)
