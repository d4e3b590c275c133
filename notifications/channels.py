"""Channels that carry a message to a patient, behind one small interface.

- ``notify``: GOV.UK Notify (SMS and e-mail) through ``notifications-python-client``; templates
  live in Notify and are referenced by id; personalisation is the first name and the link only.
- ``django``: e-mail through Django's EMAIL_BACKEND (SMTP in production, console locally).
- ``console``: SMS written to standard output for local use; the body is the message itself.

A backend returns the provider's message id, or raises :class:`TemporaryFailure` (worth another
try later: rate limit, server error, network) or :class:`PermanentFailure` (the request itself is
wrong: trying again cannot help). Nothing here logs a link, a name or an address.
"""

from __future__ import annotations

import smtplib
import sys
import threading
import uuid
from dataclasses import dataclass, field
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMessage, get_connection


@dataclass(frozen=True)
class Message:
    reference: str  # our notification id: Notify's "reference", for reconciling retries
    channel: str  # "sms" or "email"
    to: str
    subject: str
    body: str
    template_id: str = ""
    personalisation: dict = field(default_factory=dict)


class ChannelError(Exception):
    def __init__(self, code: str, message: str = ""):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


class TemporaryFailure(ChannelError):
    """Try again later (HTTP 429/5xx, a network error, SMTP 4xx)."""


class PermanentFailure(ChannelError):
    """Never retry (HTTP 400/403, a refused recipient)."""


class NotifyBackend:
    """GOV.UK Notify: POST /v2/notifications/sms and /email, authenticated with a JWT."""

    TEMPORARY_STATUSES = frozenset({429, 500, 502, 503, 504})

    def __init__(self, api_key: str | None = None, base_url: str | None = None):
        from notifications_python_client.notifications import NotificationsAPIClient

        self.client = NotificationsAPIClient(
            api_key or settings.NOTIFY_API_KEY,
            base_url=base_url or settings.NOTIFY_BASE_URL,
            timeout=20,
        )

    def send(self, message: Message) -> str:
        if message.channel == "sms":
            call = self.client.send_sms_notification
            kwargs = {"phone_number": message.to}
        else:
            call = self.client.send_email_notification
            kwargs = {"email_address": message.to}
        try:
            answer = call(
                template_id=message.template_id,
                personalisation=message.personalisation,
                reference=message.reference,
                **kwargs,
            )
        except Exception as error:
            raise self._failure(error) from None  # the client's error may echo the request
        return answer["id"]

    def lookup(self, reference: str) -> str | None:
        """The Notify id of the message sent with our ``reference``, or None if Notify has none."""
        try:
            answer = self.client.get_all_notifications(reference=reference)
        except Exception as error:
            raise self._failure(error) from None
        found = answer.get("notifications") or []
        return found[0]["id"] if found else None

    def _failure(self, error: Exception) -> ChannelError:
        from notifications_python_client.errors import APIError

        if not isinstance(error, APIError):
            return TemporaryFailure("network", type(error).__name__)
        if error.response is None:  # the client's wrapping of a timeout or dropped connection
            return TemporaryFailure("network", type(error.__cause__ or error).__name__)
        status = error.status_code
        detail = error.message
        if isinstance(detail, list) and detail:
            name = detail[0].get("error", "")
            text = detail[0].get("message", "")
        else:
            name, text = "", str(detail)
        code = f"notify-{status}" + (f"-{name}" if name else "")
        if status in self.TEMPORARY_STATUSES:
            return TemporaryFailure(code, text[:200])
        return PermanentFailure(code, text[:200])


class DjangoEmailBackend:
    """E-mail through Django's configured EMAIL_BACKEND (SMTP in production)."""

    def send(self, message: Message) -> str:
        message_id = make_msgid(domain="proms")
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={"Message-ID": message_id, "X-Proms-Reference": message.reference},
            connection=get_connection(fail_silently=False),
        )
        try:
            email.send()
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as error:
            raise PermanentFailure("smtp-refused", type(error).__name__) from None
        except smtplib.SMTPResponseException as error:
            failure = TemporaryFailure if 400 <= error.smtp_code < 500 else PermanentFailure
            raise failure(f"smtp-{error.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as error:
            raise TemporaryFailure("smtp-network", type(error).__name__) from None
        return message_id.strip("<>")

    def lookup(self, reference: str) -> str | None:
        raise NotImplementedError("SMTP cannot say whether a message was sent")


class ConsoleBackend:
    """Local use: write the text message to standard output, as Django's console e-mail does."""

    _lock = threading.Lock()

    def __init__(self, stream=None):
        self.stream = stream

    def send(self, message: Message) -> str:
        stream = self.stream or sys.stdout
        masked = message.to[:-4].translate(str.maketrans("0123456789", "*" * 10)) + message.to[-4:]
        with self._lock:
            stream.write(
                f"---------- {message.channel.upper()} to {masked} "
                f"(notification {message.reference})\n{message.body}\n{'-' * 40}\n"
            )
            stream.flush()
        return f"console-{uuid.uuid4()}"

    def lookup(self, reference: str) -> str | None:
        raise NotImplementedError("the console keeps no record")


BACKENDS = {"notify": NotifyBackend, "django": DjangoEmailBackend, "console": ConsoleBackend}


def backend_name(channel: str) -> str:
    if channel == "sms":
        return settings.NOTIFICATIONS_SMS_BACKEND
    return settings.NOTIFICATIONS_EMAIL_BACKEND


def backend_for(channel: str):
    """The backend configured for ``channel`` ("sms" or "email")."""
    return BACKENDS[backend_name(channel)]()
