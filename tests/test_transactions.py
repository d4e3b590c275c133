"""A transaction PostgreSQL failed to break a deadlock is run again; nothing else is."""

from __future__ import annotations

import pytest
from django.db import OperationalError, transaction

from proms.transactions import DEADLOCK_DETECTED, rerun_when_deadlocked


class DriverError(Exception):
    """What psycopg raises beneath Django's ``OperationalError``: it carries the SQLSTATE."""

    def __init__(self, sqlstate: str):
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def failing(times: int, sqlstate: str = DEADLOCK_DETECTED):
    calls: list[int] = []

    def transaction_body() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise OperationalError("deadlock detected") from DriverError(sqlstate)
        return "stored"

    return transaction_body, calls


def test_a_transaction_failed_by_a_deadlock_is_run_again_and_its_result_returned():
    body, calls = failing(1)
    assert rerun_when_deadlocked(body) == "stored"
    assert len(calls) == 2


def test_a_serialisation_failure_is_run_again_too():
    body, calls = failing(1, sqlstate="40001")
    assert rerun_when_deadlocked(body) == "stored"
    assert len(calls) == 2


def test_a_transaction_that_keeps_deadlocking_fails_after_its_attempts():
    body, calls = failing(5)
    with pytest.raises(OperationalError):
        rerun_when_deadlocked(body, attempts=3)
    assert len(calls) == 3


def test_other_database_errors_are_not_run_again():
    body, calls = failing(1, sqlstate="08006")  # the connection was lost
    with pytest.raises(OperationalError):
        rerun_when_deadlocked(body)
    assert len(calls) == 1


@pytest.mark.django_db
def test_inside_an_outer_transaction_nothing_is_run_again():
    body, calls = failing(1)
    with pytest.raises(OperationalError), transaction.atomic():
        rerun_when_deadlocked(body)  # only the outer transaction could roll it all back
    assert len(calls) == 1
