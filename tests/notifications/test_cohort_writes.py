"""The outbox's writes leave the cohort rows a rebuild would write: an invitation's status
(sent, expired) and the channel its first invite message was handed to."""

import datetime as dt

import pytest

from notifications import letters
from notifications.models import Notification
from notifications.sending import notification_send, outbox_relay
from notifications.services import dispatch_due
from surveys.models import InvitationCohort
from tests.surveys.test_cohorts import assert_cohorts_match_a_rebuild

pytestmark = pytest.mark.django_db


def _baseline(episode) -> InvitationCohort:
    return InvitationCohort.objects.get(pk=episode.invitations.get(timepoint="baseline").pk)


def test_a_tick_marks_the_invitations_it_sends(daytime, enrol):
    episode = enrol()

    dispatch_due(enqueue=False)

    row = _baseline(episode)
    assert (row.status, row.channel) == ("sent", "none")  # the message is still waiting
    assert_cohorts_match_a_rebuild()


def test_a_tick_marks_the_invitations_it_expires(daytime, enrol):
    episode = enrol()
    daytime.shift(dt.timedelta(days=120))

    dispatch_due(enqueue=False)

    assert _baseline(episode).status == "expired"
    assert_cohorts_match_a_rebuild()


def test_a_sent_invite_gives_the_invitation_its_channel(daytime, enrol):
    episode = enrol()
    dispatch_due(enqueue=False)

    assert notification_send(notification_id=Notification.objects.get().pk) == "sent"

    assert _baseline(episode).channel == "sms"
    assert_cohorts_match_a_rebuild()


def test_a_send_put_back_to_wait_takes_the_channel_back(daytime, enrol, monkeypatch):
    episode = enrol()
    dispatch_due(enqueue=False)

    def broken(*args, **kwargs):
        raise RuntimeError("a wording file that no longer renders")

    monkeypatch.setattr("notifications.sending.render_to_string", broken)

    assert notification_send(notification_id=Notification.objects.get().pk) == "retry"

    assert _baseline(episode).channel == "none"
    assert_cohorts_match_a_rebuild()


def test_a_claim_a_stopped_worker_left_is_put_back_without_a_channel(daytime, enrol, monkeypatch):
    episode = enrol()
    dispatch_due(enqueue=False)
    notification = Notification.objects.get()
    monkeypatch.setattr(
        "notifications.sending.backend_for",
        lambda channel: type("Backend", (), {"lookup": lambda self, ref: None})(),
    )
    Notification.objects.update(
        status=Notification.Status.SENDING, claimed_at=dt.datetime.now(dt.UTC), attempts=1
    )
    from surveys.cohorts import cohorts_refresh

    cohorts_refresh(episode_ids=[episode.pk])  # as the claim left it
    assert _baseline(episode).channel == "sms"
    daytime.shift(dt.timedelta(minutes=20))

    outbox_relay()

    notification.refresh_from_db()
    assert notification.status == Notification.Status.PENDING
    assert _baseline(episode).channel == "none"
    assert_cohorts_match_a_rebuild()


def test_printed_invitation_letters_count_as_invited_by_letter(daytime, enrol, staff):
    episode = enrol(mobile="", email="", address_line_1="1 Test Street", town="Mansfield")
    dispatch_due(enqueue=False)

    letters.letters_print(by=staff)

    assert _baseline(episode).channel == "letter"
    assert_cohorts_match_a_rebuild()


def test_the_demo_history_gives_the_invitations_their_channels(daytime, enrol):
    from care.demo import demo_history_write

    episode = enrol()
    dispatch_due(enqueue=False)
    Notification.objects.all().delete()

    demo_history_write(episode_ids=[episode.pk])

    assert _baseline(episode).channel == "sms"
    assert_cohorts_match_a_rebuild()
