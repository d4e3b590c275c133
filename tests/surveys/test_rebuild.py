"""The nightly rebuild beside live writes: a response stored while it works keeps its rows."""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection, transaction

from outcomes.loading import catalogue
from outcomes.services import definitions_load
from proms.transactions import DEADLOCK_DETECTED
from surveys import cohorts, pairs, rebuild, reconcile, services
from surveys.models import RefreshedEpisode
from tests.row_locks import holder_then_waiter, needs_row_locks
from tests.surveys.test_cohorts import cohort_rows
from tests.surveys.test_pairs import _answers, _rows, _submit, knee_pain_episode
from tests.test_transactions import DriverError

pytestmark = pytest.mark.django_db


@pytest.fixture
def episode(loaded_definitions):
    return knee_pain_episode()


FRESH_SELECTS = {
    "surveys_pairedresult": lambda: pairs._pairs_select("1 = 1"),
    "surveys_episodecohort": lambda: cohorts._episodes_select(None),
    "surveys_invitationcohort": lambda: (cohorts._invitations_select(None), []),
}


@pytest.fixture
def rebuild_reading_before(monkeypatch):
    """Work out the rebuild's fresh rows now, and have the next rebuild write those: as if
    it had read the tables now and wrote after whatever the test does next."""

    def read_now() -> None:
        with connection.cursor() as cursor:
            for table, select in FRESH_SELECTS.items():
                sql, params = select()
                cursor.execute(f"CREATE TEMPORARY TABLE read_before_{table} AS {sql}", params)

    original = reconcile.rows_reconcile

    def reconcile_what_was_read(**kwargs):
        return original(
            **kwargs | {"select": f"SELECT * FROM read_before_{kwargs['table']}", "params": []}  # noqa: S608
        )

    monkeypatch.setattr(pairs, "rows_reconcile", reconcile_what_was_read)
    monkeypatch.setattr(cohorts, "rows_reconcile", reconcile_what_was_read)
    return read_now


def test_a_response_stored_while_the_rebuild_works_keeps_its_pairs(episode, rebuild_reading_before):
    _submit(episode, "baseline", 0)
    rebuild_reading_before()
    _submit(episode, "6-weeks", 1)
    stored = _rows()
    assert stored

    rebuild.read_models_rebuild()

    assert _rows() == stored


def test_a_response_stored_while_the_rebuild_works_keeps_its_cohort_rows_and_counts(
    episode, rebuild_reading_before
):
    _submit(episode, "baseline", 0)
    rebuild_reading_before()
    _submit(episode, "6-weeks", 1)
    stored = cohort_rows()

    rebuild.read_models_rebuild()

    assert cohort_rows() == stored


def test_the_rebuild_forgets_the_episodes_it_refreshed_again(episode):
    _submit(episode, "baseline", 0)
    assert set(RefreshedEpisode.objects.values_list("episode_id", flat=True)) == {episode.pk}

    rebuilt = rebuild.read_models_rebuild()

    assert rebuilt.refreshed_again == 1
    assert not RefreshedEpisode.objects.exists()


def test_a_rebuild_with_nothing_written_meanwhile_changes_nothing(episode):
    _submit(episode, "baseline", 0)
    _submit(episode, "6-weeks", 1)
    rebuild.read_models_rebuild()
    pairs_before, cohorts_before = _rows(), cohort_rows()

    rebuilt = rebuild.read_models_rebuild()

    assert rebuilt.refreshed_again == 0
    assert (_rows(), cohort_rows()) == (pairs_before, cohorts_before)


def test_a_bulk_load_notes_no_episode_for_the_night(episode):
    RefreshedEpisode.objects.all().delete()

    pairs.paired_results_refresh(episode_ids=[episode.pk], in_order=True)
    cohorts.cohorts_refresh(episode_ids=[episode.pk], live=False)

    assert not RefreshedEpisode.objects.exists()


# --- at the same moment, on PostgreSQL ---------------------------------------------------------


@needs_row_locks
@pytest.mark.django_db(transaction=True)
def test_a_response_stored_while_the_night_moves_the_days_pairs_is_stored():
    definitions_load(definitions=catalogue())  # transactional tests start from a flushed db
    episode = knee_pain_episode()
    _submit(episode, "baseline", 0)
    _submit(episode, "6-weeks", 1)  # pairs not yet in order
    later = episode.invitations.get(timepoint="6-months")
    answers = _answers(later, 2)
    moved, release = threading.Event(), threading.Event()
    outcomes: list = []

    def order():
        try:
            with transaction.atomic():
                pairs.paired_results_order()
                moved.set()
                release.wait(timeout=10)  # hold the moved pairs until the submission waits
        finally:
            connection.close()

    def submit():
        try:
            services.response_submit(invitation=later, answers=answers, mode="self")
            outcomes.append("stored")
        except Exception as error:  # reported by the assertion below
            outcomes.append(error)
        finally:
            connection.close()  # each thread has its own connection

    assert holder_then_waiter(holder=order, holding=moved, waiter=submit, waiting=release)
    assert outcomes == ["stored"]
    stored = _rows()
    pairs.paired_results_rebuild()
    assert _rows() == stored


@pytest.mark.django_db(transaction=True)
def test_a_rebuild_failed_to_break_a_deadlock_is_run_again_whole(monkeypatch):
    definitions_load(definitions=catalogue())  # transactional tests start from a flushed db
    episode = knee_pain_episode()
    _submit(episode, "baseline", 0)
    reconcile_pairs = rebuild.paired_results_reconcile
    attempts: list[int] = []

    def deadlocked_once():  # as PostgreSQL fails the rebuild when a live write waits on it
        attempts.append(1)
        if len(attempts) == 1:
            raise OperationalError("deadlock detected") from DriverError(DEADLOCK_DETECTED)
        return reconcile_pairs()

    monkeypatch.setattr(rebuild, "paired_results_reconcile", deadlocked_once)

    rebuilt = rebuild.read_models_rebuild()

    assert len(attempts) == 2
    assert rebuilt.refreshed_again == 1  # the first attempt's forgetting was rolled back
    assert not RefreshedEpisode.objects.exists()
