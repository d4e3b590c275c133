"""When ticks run: beat's schedule, and a tick queued as soon as an enrolment commits."""

import contextlib
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import transaction

from notifications import tasks
from notifications.services import DISPATCH_SOON_SECONDS
from proms.celery import app
from surveys.models import EpisodeEvent
from surveys.services import event_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_mode():
    """Tasks go to a broker (as with REDIS_URL); the tick's queueing is watched, not run."""
    app.conf.task_always_eager = False  # the package's eager_tasks fixture restores it
    cache.delete("notifications:dispatch-soon")
    with mock.patch.object(tasks.dispatch, "apply_async") as queued:
        yield queued
    cache.delete("notifications:dispatch-soon")


def test_an_enrolment_queues_a_tick_when_it_commits(
    daytime, enrol, broker_mode, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enrol()

    broker_mode.assert_called_once_with(countdown=DISPATCH_SOON_SECONDS)


def test_enrolments_in_a_burst_share_one_queued_tick(
    daytime, enrol, broker_mode, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            enrol()

    assert broker_mode.call_count == 1


def test_an_enrolment_that_rolls_back_queues_no_tick(
    daytime, enrol, broker_mode, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        contextlib.suppress(RuntimeError),
        transaction.atomic(),
    ):
        enrol()
        raise RuntimeError("the enrolment's transaction rolls back")

    broker_mode.assert_not_called()


def test_a_procedure_queues_a_tick_for_the_timepoints_it_starts(
    daytime, enrol, staff, broker_mode, django_capture_on_commit_callbacks
):
    episode = enrol()
    cache.delete("notifications:dispatch-soon")

    with django_capture_on_commit_callbacks(execute=True):
        event_record(
            episode=episode,
            kind=EpisodeEvent.Kind.PROCEDURE,
            occurred_on=episode.referred_on,
            procedure="total-knee-replacement",
            by=staff,
        )

    broker_mode.assert_called_once()


def test_with_the_broker_down_an_enrolment_still_commits_and_beat_catches_up(
    daytime, enrol, broker_mode, django_capture_on_commit_callbacks
):
    broker_mode.side_effect = ConnectionError("broker down")

    with django_capture_on_commit_callbacks(execute=True):
        episode = enrol()

    assert episode.invitations.exists()
    assert cache.get("notifications:dispatch-soon") is None  # the next enrolment tries again


def test_without_a_broker_no_tick_runs_inside_the_request(
    daytime, enrol, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(tasks.dispatch, "apply_async") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        enrol()  # eager: the embedded scheduler ticks every 30 s instead

    queued.assert_not_called()


def test_beat_runs_the_dispatch_tick_at_least_every_two_minutes():
    entry = app.conf.beat_schedule["notifications-dispatch"]

    assert entry["task"] == tasks.dispatch.name
    assert 0 < entry["schedule"] <= 120


def test_beat_runs_the_outbox_relay_every_minute():
    entry = app.conf.beat_schedule["notifications-relay"]

    assert entry["task"] == tasks.relay.name
    assert 0 < entry["schedule"] <= 60


def test_every_beat_entry_names_a_registered_task():
    app.loader.import_default_modules()  # every app's tasks, as a worker imports them
    names = {entry["task"] for entry in app.conf.beat_schedule.values()}

    assert names <= set(app.tasks)
