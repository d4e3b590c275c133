"""Independent database reads run at the same time, on PostgreSQL.

A dashboard page's figures, and the few aggregate queries inside one figure, do not depend on
each other; one after another they cost the sum of their times, most of it PostgreSQL working
in its own process while Python waits. ``side_by_side`` runs them at once: the caller and a
small pool of threads (one per process, each thread with its own database connection) each
take the next call not yet taken until none is left, then the caller waits only for the calls
the others took. So a call made from inside another (a figure's queries inside a page's
figures) never waits for a pool thread that is itself busy: the caller does the work.

Only where it gives the same answer: on PostgreSQL (the demo's SQLite is left alone), outside
a transaction (another connection would not see what the transaction has not committed, so
inside one, and in the test suite's transactions, the calls run one by one), with
``FIGURE_THREADS`` above 1. docs/adr/0012.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection

_pool: ThreadPoolExecutor | None = None
_pool_size = 0  # its threads, fixed when it starts
_pool_lock = threading.Lock()


def figure_threads() -> int:
    """Calls run at once (``FIGURE_THREADS``, default 2: the machine this was measured on has
    two cores, and a third thread gained nothing; 1 turns this off)."""
    return max(1, int(getattr(settings, "FIGURE_THREADS", 2) or 1))


def sharing_possible() -> bool:
    """Whether ``side_by_side`` would use other threads here."""
    return (
        figure_threads() > 1
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
    )


def side_by_side(calls: Sequence[Callable[[], Any]]) -> list[Any]:
    """Each call's result, in order, the calls run at the same time where possible (else one
    by one, here). The first call to raise has its exception raised here, after every call
    has finished."""
    if len(calls) < 2 or not sharing_possible():
        return [call() for call in calls]
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException | None] = [None] * len(calls)
    finished = [threading.Event() for _ in calls]
    waiting, taking = iter(range(len(calls))), threading.Lock()

    def take_until_none_left() -> None:
        while True:
            with taking:
                index = next(waiting, None)
            if index is None:
                return
            try:
                results[index] = calls[index]()
            except BaseException as error:
                errors[index] = error
            finally:
                finished[index].set()

    pool = _executor()
    for _ in range(min(figure_threads() - 1, len(calls) - 1)):
        # Each its own copy of the caller's context: the request's computed_once scope, its
        # language and disclosure policy.
        pool.submit(contextvars.copy_context().run, _in_pool_thread, take_until_none_left)
    take_until_none_left()
    for event in finished:  # only the calls another thread took can still be running
        event.wait()
    for error in errors:
        if error is not None:
            raise error
    return results


def _in_pool_thread(work: Callable[[], None]) -> None:
    """A pool thread's own connection is closed when unusable or older than
    ``CONN_MAX_AGE``, as a request's is."""
    close_old_connections()
    try:
        work()
    finally:
        close_old_connections()


def _executor() -> ThreadPoolExecutor:
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None:
            _pool_size = figure_threads()
            # A call takes FIGURE_THREADS - 1 helpers (its own thread is one), but the pool
            # has one more: when a page's second figure waits for a series the first is
            # computing (cached's lock), the series' own reads still find a free thread.
            _pool = ThreadPoolExecutor(max_workers=_pool_size, thread_name_prefix="side-by-side")
        return _pool


def threads_stop() -> None:
    """Close each pool thread's database connection and stop the threads (the next call
    starts them again): for tests, whose database cannot be dropped while a connection is
    open, and for anything else that must let go of the database."""
    global _pool
    with _pool_lock:
        pool, workers, _pool = _pool, _pool_size, None
    if pool is None:
        return
    everyone = threading.Barrier(workers)  # one task per thread: each waits for the others

    def close_mine() -> None:
        everyone.wait(timeout=10)
        connection.close()

    wait([pool.submit(close_mine) for _ in range(workers)])
    pool.shutdown(wait=True)
