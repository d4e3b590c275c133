"""Episode.last_contact_at (surveys/contact.py): the referral, then every answer and event move
it on, and nothing moves it back."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from surveys import services
from surveys.contact import day_start, episode_contacted, no_contact_since
from tests.surveys.answering import answer
from tests.surveys.staff.conftest import enrol, provider_a, staff_a  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

REFERRED = dt.date(2026, 3, 2)
SOON_AFTER = dt.datetime(2026, 3, 9, 9, tzinfo=dt.UTC)


@pytest.fixture
def episode(provider_a, staff_a):  # noqa: F811
    with time_machine.travel(SOON_AFTER, tick=False):
        return enrol(provider_a, staff_a, referred_on=REFERRED)


def _last_contact(episode) -> dt.datetime:
    episode.refresh_from_db(fields=["last_contact_at"])
    return episode.last_contact_at


def test_a_new_episode_was_last_in_contact_at_the_start_of_its_referral_day(episode):
    assert _last_contact(episode) == day_start(REFERRED)
    assert timezone.localtime(episode.last_contact_at).time() == dt.time(0, 0)


def test_an_answered_questionnaire_moves_the_last_contact_to_when_it_came_in(episode):
    response = answer(episode, "baseline")

    assert _last_contact(episode) == response.submitted_at


def test_a_recorded_event_moves_the_last_contact_to_the_start_of_its_day(episode, staff_a):  # noqa: F811
    with time_machine.travel(dt.datetime(2026, 4, 20, 15, tzinfo=dt.UTC), tick=False):
        services.event_record(
            episode=episode, kind="assessment", occurred_on=dt.date(2026, 4, 14), by=staff_a
        )

    assert _last_contact(episode) == day_start(dt.date(2026, 4, 14))


def test_an_event_dated_before_a_later_contact_leaves_the_later_contact(episode, staff_a):  # noqa: F811
    response = answer(episode, "baseline")

    with time_machine.travel(response.submitted_at + dt.timedelta(days=30), tick=False):
        services.event_record(episode=episode, kind="assessment", occurred_on=REFERRED, by=staff_a)

    assert _last_contact(episode) == response.submitted_at


def test_moving_the_last_contact_is_one_statement_that_never_goes_back(
    episode, django_assert_num_queries
):
    later = day_start(REFERRED) + dt.timedelta(days=10)
    with django_assert_num_queries(1):
        assert episode_contacted(episode_ids=[episode.pk], at=later) == 1

    assert episode_contacted(episode_ids=[episode.pk], at=later - dt.timedelta(days=1)) == 0
    assert _last_contact(episode) == later


def test_no_contact_for_twelve_weeks_counts_from_the_start_of_the_day_twelve_weeks_ago():
    cutoff = no_contact_since(12, dt.date(2026, 6, 1))

    assert timezone.localtime(cutoff) == timezone.make_aware(dt.datetime(2026, 3, 9))
