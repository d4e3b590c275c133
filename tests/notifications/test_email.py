"""E-mail through Django's SMTP backend, against a local SMTP server (aiosmtpd) on 127.0.0.1."""

import socket

import pytest
from aiosmtpd.controller import Controller

from notifications.models import Notification
from notifications.sending import notification_send
from notifications.services import dispatch_due

pytestmark = pytest.mark.django_db


class Mailbox:
    """Collects messages; answers a chosen SMTP code instead when told to."""

    def __init__(self):
        self.messages = []
        self.refuse_recipients = set()
        self.data_reply = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_recipients:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        self.messages.append(envelope.content.decode())
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(channels):
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    channels.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    channels.EMAIL_HOST = "127.0.0.1"
    channels.EMAIL_PORT = controller.port
    channels.NOTIFICATIONS_EMAIL_BACKEND = "django"
    yield mailbox
    controller.stop()


def queued(enrol) -> Notification:
    enrol(preferred_channel="email")
    dispatch_due(enqueue=False)
    return Notification.objects.get()


def test_an_email_reaches_the_smtp_server_with_its_link(daytime, enrol, smtp):
    notification = queued(enrol)

    assert notification_send(notification_id=notification.pk) == "sent"

    [message] = smtp.messages
    notification.refresh_from_db()
    assert "Subject: Tell us how you are getting on" in message
    assert "https://proms.test/q/" in message
    assert f"X-Proms-Reference: {notification.pk}" in message
    assert notification.provider_message_id in message


def test_a_temporary_smtp_refusal_is_retried(daytime, enrol, smtp):
    notification = queued(enrol)
    smtp.data_reply = "451 4.3.0 Try again later"

    assert notification_send(notification_id=notification.pk) == "retry"
    assert Notification.objects.get().error_code == "smtp-451"


def test_a_refused_recipient_is_a_permanent_failure(daytime, enrol, smtp):
    notification = queued(enrol)
    smtp.refuse_recipients.add("alex.tester@example.com")

    assert notification_send(notification_id=notification.pk) == "failed"
    assert Notification.objects.get().error_code == "smtp-refused"


def test_an_smtp_server_that_is_down_is_a_temporary_failure(daytime, enrol, channels):
    channels.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    channels.EMAIL_HOST, channels.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    notification = queued(enrol)

    assert notification_send(notification_id=notification.pk) == "retry"
    assert Notification.objects.get().error_code == "smtp-network"
