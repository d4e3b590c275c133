"""A message sent (by SMS or e-mail, or a letter printed) moves its episode's last contact on
(surveys/contact.py); a message that never went does not."""

import datetime as dt

import pytest
from django.utils import timezone

from notifications import letters
from notifications.models import Notification
from notifications.sending import notification_send
from notifications.services import dispatch_due
from surveys.contact import day_start

pytestmark = pytest.mark.django_db


def _last_contact(episode) -> dt.datetime:
    episode.refresh_from_db(fields=["last_contact_at"])
    return episode.last_contact_at


def test_a_message_sent_moves_the_last_contact_to_when_it_went(daytime, enrol):
    episode = enrol()
    dispatch_due(enqueue=False)
    daytime.shift(dt.timedelta(hours=1))

    assert notification_send(notification_id=Notification.objects.get().pk) == "sent"

    assert _last_contact(episode) == timezone.now()


def test_a_message_that_failed_leaves_the_last_contact_at_the_referral(
    daytime, enrol, settings, monkeypatch
):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 1
    episode = enrol()
    dispatch_due(enqueue=False)

    def broken(*args, **kwargs):
        raise RuntimeError("wording missing")

    monkeypatch.setattr("notifications.sending.render_to_string", broken)

    assert notification_send(notification_id=Notification.objects.get().pk) == "failed"

    assert _last_contact(episode) == day_start(episode.referred_on)


def test_a_printed_letter_moves_the_last_contact_to_when_it_was_printed(daytime, enrol, staff):
    episode = enrol(mobile="", email="", address_line_1="1 Test Street", town="Mansfield")
    dispatch_due(enqueue=False)
    daytime.shift(dt.timedelta(hours=2))

    assert letters.letters_print(by=staff) is not None

    assert _last_contact(episode) == timezone.now()
