"""A short transaction run again when PostgreSQL broke a deadlock by failing it.

Two writers that each hold a row the other wants (a patient's answers and the nightly rebuild
refreshing the same episode, docs/adr/0011) wait for each other until PostgreSQL notices,
after ``deadlock_timeout`` (1 s), and fails one of them with "deadlock detected". The failed
transaction has been rolled back whole, so nothing of it is stored; the other goes on. For a
patient that would be an error page instead of "Your answers have been sent". Run again, the
transaction now waits its turn and succeeds: PostgreSQL's documentation recommends exactly
that for deadlocks and serialisation failures.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError, connection

logger = logging.getLogger(__name__)

Result = TypeVar("Result")

# SQLSTATE of the failures that a second attempt of the same transaction resolves.
DEADLOCK_DETECTED = "40P01"
SERIALIZATION_FAILURE = "40001"
RETRYABLE = frozenset({DEADLOCK_DETECTED, SERIALIZATION_FAILURE})


def failed_by_a_deadlock(error: BaseException) -> bool:
    """Whether ``error`` is PostgreSQL failing this transaction to break a deadlock (or a
    serialisation failure): the whole transaction was rolled back and may simply be rerun."""
    cause = error.__cause__
    return getattr(cause, "sqlstate", None) in RETRYABLE


def rerun_when_deadlocked(transaction: Callable[[], Result], *, attempts: int = 3) -> Result:
    """Call ``transaction`` (which opens and commits its own ``transaction.atomic()``), and
    call it again, up to ``attempts`` times in all, if PostgreSQL failed it to break a
    deadlock. Never inside an outer transaction: there the rollback was not whole."""
    for attempt in range(1, attempts + 1):
        try:
            return transaction()
        except OperationalError as error:
            if attempt == attempts or connection.in_atomic_block or not failed_by_a_deadlock(error):
                raise
            logger.warning(
                "A transaction was failed to break a deadlock; running it again (%s of %s)",
                attempt + 1,
                attempts,
            )
    raise AssertionError("unreachable")  # pragma: no cover
