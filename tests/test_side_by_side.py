"""proms.side_by_side: independent reads at the same time, on PostgreSQL outside a transaction."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from proms.side_by_side import side_by_side

needs_postgresql = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="side by side is PostgreSQL's only"
)


def _server_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "SELECT 1"
        )
        return cursor.fetchone()[0]


def test_inside_a_transaction_the_calls_run_one_by_one_in_the_callers_thread(db):
    threads = side_by_side([lambda: threading.get_ident(), lambda: threading.get_ident()])

    assert threads == [threading.get_ident()] * 2


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_calls_run_at_the_same_time_each_on_its_own_connection():
    both_running = threading.Barrier(2)  # broken (an error) unless both run at once

    def meet() -> int:
        both_running.wait(timeout=10)
        return _server_pid()

    first, second = side_by_side([meet, meet])

    assert first != second


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_results_come_back_in_the_order_of_the_calls():
    assert side_by_side([lambda n=n: n * n for n in range(5)]) == [0, 1, 4, 9, 16]


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_a_call_that_raises_raises_in_the_caller():
    def fails() -> None:
        raise ValueError("no such measure")

    with pytest.raises(ValueError, match="no such measure"):
        side_by_side([lambda: 1, fails])


@needs_postgresql
@pytest.mark.django_db(transaction=True)
def test_calls_inside_calls_finish_while_every_pool_thread_is_busy():
    answers: list = []

    def outer() -> None:
        try:
            answers.append(
                side_by_side(
                    [
                        lambda: side_by_side([lambda: 1, lambda: 2]),
                        lambda: side_by_side([lambda: 3, lambda: 4]),
                    ]
                )
            )
        finally:
            connection.close()  # this thread's own

    caller = threading.Thread(target=outer)
    caller.start()
    caller.join(timeout=20)

    assert answers == [[[1, 2], [3, 4]]]
