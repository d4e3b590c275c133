"""GOV.UK Notify through its real client, against a local server that follows Notify's API."""

import datetime as dt
from unittest import mock

import pytest

from notifications.channels import NotifyBackend, TemporaryFailure
from notifications.models import Notification
from notifications.sealing import unseal
from notifications.sending import notification_send, outbox_relay
from notifications.services import dispatch_due
from tests.notifications.fake_notify import API_KEY, FakeNotify

pytestmark = pytest.mark.django_db

SMS_TEMPLATE = "f33517ff-2a88-4f6e-b855-c550268ce08a"
EMAIL_TEMPLATE = "a7cc6b36-0b2b-4a4f-9b7c-fa24f1c2d0b6"


@pytest.fixture
def notify(channels):
    with FakeNotify() as fake:
        channels.NOTIFY_API_KEY = API_KEY
        channels.NOTIFY_BASE_URL = fake.url
        channels.NOTIFICATIONS_SMS_BACKEND = "notify"
        channels.NOTIFICATIONS_EMAIL_BACKEND = "notify"
        channels.NOTIFY_TEMPLATES = {
            "sms:invite": SMS_TEMPLATE,
            "sms:reminder": SMS_TEMPLATE,
            "email:invite": EMAIL_TEMPLATE,
        }
        yield fake


def queued(enrol, **patient) -> Notification:
    enrol(**patient)
    dispatch_due(enqueue=False)
    return Notification.objects.get()


def test_an_sms_goes_to_notify_with_only_the_first_name_and_link(daytime, enrol, notify):
    notification = queued(enrol)

    assert notification_send(notification_id=notification.pk) == "sent"

    [sent] = notify.sent
    notification.refresh_from_db()
    assert sent["type"] == "sms" and sent["template_id"] == SMS_TEMPLATE
    assert sent["phone_number"] == "+447700900123"
    assert sent["reference"] == str(notification.pk)
    assert sent["personalisation"] == {
        "first_name": "Alex",
        "link": f"https://proms.test/q/{unseal(notification.link_token)}/",
    }
    assert notification.provider_message_id == sent["id"]
    assert notification.template == SMS_TEMPLATE


def test_an_email_goes_to_notify_with_its_template(daytime, enrol, notify):
    notification = queued(enrol, preferred_channel="email")

    notification_send(notification_id=notification.pk)

    assert notify.sent[0]["type"] == "email"
    assert notify.sent[0]["email_address"] == "alex.tester@example.com"


def test_the_fake_refuses_a_client_with_the_wrong_key(notify):
    backend = NotifyBackend(api_key=API_KEY[:-4] + "0000", base_url=notify.url)
    from notifications.channels import Message, PermanentFailure

    with pytest.raises(PermanentFailure) as refused:
        backend.send(Message("1", "sms", "+447700900123", "", "", SMS_TEMPLATE, {}))
    assert refused.value.code == "notify-403-AuthError"


@pytest.mark.parametrize("status", [429, 500])
def test_a_temporary_failure_is_retried_with_back_off(daytime, enrol, notify, status):
    notification = queued(enrol)
    notify.failures = [status]

    assert notification_send(notification_id=notification.pk) == "retry"
    notification.refresh_from_db()
    assert notification.status == Notification.Status.PENDING
    assert notification.not_before == dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60)
    assert outbox_relay().queued == []  # not before the back-off has passed

    daytime.shift(dt.timedelta(seconds=61))
    outbox_relay()  # eager: the task runs now

    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert len(notify.sent) == 1
    assert [a.outcome for a in notification.attempt_rows.all()] == [
        "temporary-failure",
        "accepted",
    ]
    assert notification.attempt_rows.first().error_code.startswith(f"notify-{status}")


def test_back_off_doubles_and_gives_up_after_the_last_attempt(daytime, enrol, notify, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    notification = queued(enrol)
    notify.failures = [500, 500, 500]
    waits = []
    for _ in range(3):
        notification_send(notification_id=notification.pk)
        notification.refresh_from_db()
        waits.append((notification.not_before - dt.datetime.now(dt.UTC)).total_seconds())
        daytime.shift(dt.timedelta(hours=1))

    assert waits[:2] == [60, 120]
    assert notification.status == Notification.Status.FAILED
    assert notification.attempts == 3


@pytest.mark.parametrize("status", [400, 403])
def test_a_permanent_failure_gives_up_and_is_recorded(daytime, enrol, notify, status):
    notification = queued(enrol)
    notify.failures = [status]

    assert notification_send(notification_id=notification.pk) == "failed"

    notification.refresh_from_db()
    attempt = notification.attempt_rows.get()
    assert notification.status == Notification.Status.FAILED
    assert notification.error_code.startswith(f"notify-{status}")
    assert attempt.outcome == "permanent-failure" and attempt.error_message
    assert notification.link_token == ""
    daytime.shift(dt.timedelta(hours=2))
    assert outbox_relay().queued == []


def test_a_worker_killed_after_notify_accepted_never_sends_twice(daytime, enrol, notify):
    notification = queued(enrol)
    real_send = NotifyBackend.send

    def send_then_die(self, message):
        real_send(self, message)
        raise SystemExit("worker killed")  # before the result is recorded

    with mock.patch.object(NotifyBackend, "send", send_then_die), pytest.raises(SystemExit):
        notification_send(notification_id=notification.pk)

    # The broker redelivers the task (acks late): the claim stops a second send.
    assert notification_send(notification_id=notification.pk) == "skipped"
    daytime.shift(dt.timedelta(minutes=20))
    outbox_relay()  # settles the stale claim by asking Notify for our reference

    notification.refresh_from_db()
    assert len(notify.sent) == 1
    assert notification.status == Notification.Status.SENT
    assert notification.provider_message_id == notify.sent[0]["id"]
    assert ("GET", f"/v2/notifications?reference={notification.pk}") in notify.requests


def test_a_worker_killed_before_notify_got_it_sends_after_reconciling(daytime, enrol, notify):
    notification = queued(enrol)
    with (
        mock.patch.object(NotifyBackend, "send", side_effect=SystemExit("killed")),
        pytest.raises(SystemExit),
    ):
        notification_send(notification_id=notification.pk)
    daytime.shift(dt.timedelta(minutes=20))

    outbox_relay()  # Notify has no such reference: back to the outbox
    outbox_relay()

    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert len(notify.sent) == 1


def test_after_a_failed_retry_the_relay_tries_again_when_the_back_off_passes(
    daytime, enrol, notify
):
    queued(enrol)
    notify.failures = [500, 500]
    outbox_relay()  # eager: first attempt fails, back-off 60 s
    daytime.shift(dt.timedelta(seconds=61))
    outbox_relay()  # second attempt fails, back-off 120 s
    daytime.shift(dt.timedelta(seconds=121))

    outbox_relay()

    notification = Notification.objects.get()
    assert notification.status == Notification.Status.SENT
    assert notification.attempts == 3


def test_after_a_lost_answer_notify_is_asked_for_the_reference_before_sending_again(
    daytime, enrol, notify
):
    notification = queued(enrol)
    notify.lost_answers = 1  # Notify takes the message; the connection drops before the answer

    assert notification_send(notification_id=notification.pk) == "retry"
    daytime.shift(dt.timedelta(seconds=61))
    assert notification_send(notification_id=notification.pk) == "sent"

    notification.refresh_from_db()
    assert len(notify.sent) == 1
    assert notification.provider_message_id == notify.sent[0]["id"]
    assert ("GET", f"/v2/notifications?reference={notification.pk}") in notify.requests


def test_after_a_lost_request_the_lookup_finds_nothing_and_the_message_is_sent(
    daytime, enrol, notify
):
    notification = queued(enrol)
    with mock.patch.object(
        NotifyBackend, "send", side_effect=TemporaryFailure("network", "ConnectionError")
    ):
        assert notification_send(notification_id=notification.pk) == "retry"
    daytime.shift(dt.timedelta(seconds=61))

    assert notification_send(notification_id=notification.pk) == "sent"
    assert len(notify.sent) == 1
