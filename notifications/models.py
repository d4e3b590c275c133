"""The notification outbox: one row per message owed to a patient, and one per attempt to send it.

A notification is written in the same transaction as the change that causes it (an invitation
opening, a reminder falling due, a staff resend); a Celery task then sends it. The idempotency
key makes the same message impossible to create twice, and the status transition to ``sending``
is committed before the provider is called, so a retried or duplicated task never sends twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from surveys.models import Invitation, Patient


class LetterBatch(models.Model):
    """One printing of letters: which letters it held, so staff can download it again."""

    printed_at = models.DateTimeField()
    printed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    letters = models.PositiveIntegerField()
    pages = models.PositiveIntegerField()

    class Meta:
        ordering = ["-printed_at", "-pk"]

    def __str__(self) -> str:
        return f"Letter batch {self.pk} ({self.letters} letters)"


class Notification(models.Model):
    class Channel(models.TextChoices):
        SMS = "sms", _("Text message")
        EMAIL = "email", _("Email")
        LETTER = "letter", _("Letter")

    class Kind(models.TextChoices):
        INVITE = "invite", _("Invitation")
        REMINDER = "reminder", _("Reminder")
        RESEND = "resend", _("New link")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to send")
        HELD = "held", _("Held (quiet hours)")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        PERMANENT_FAILURE = "permanent-failure", _("Not delivered (number or address wrong)")
        CANCELLED = "cancelled", _("Cancelled")

    WAITING = (Status.PENDING, Status.HELD)

    invitation = models.ForeignKey(
        Invitation, on_delete=models.CASCADE, related_name="notifications"
    )
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="notifications")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    template = models.CharField(
        max_length=64, help_text=_("Message template: GOV.UK Notify id or repository template")
    )
    language = models.CharField(max_length=10, default="en")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    idempotency_key = models.CharField(
        max_length=100, unique=True, help_text=_("invitation:kind:sequence — never sent twice")
    )
    # The link token, encrypted with a key derived from SECRET_KEY (notifications/secrets.py):
    # the database alone never reveals a working link. Erased once the message cannot be sent.
    link_token = models.TextField(blank=True, editable=False)
    not_before = models.DateTimeField(help_text=_("Not sent before this time (quiet hours)"))
    attempts = models.PositiveSmallIntegerField(default=0)
    provider_message_id = models.CharField(max_length=100, blank=True)
    error_code = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Last handed to the task queue by the outbox relay")
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Letters: the batch that printed it, and its short code (notifications/letter_codes.py),
    # kept as a keyed hash to find it and sealed like the link to print it again.
    letter_batch = models.ForeignKey(
        LetterBatch,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    short_code_hash = models.CharField(max_length=64, blank=True, editable=False)
    short_code = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["short_code_hash"],
                condition=~Q(short_code_hash=""),
                name="notification_short_code_once",
            )
        ]
        indexes = [
            # The outbox relay reads only messages still waiting, oldest due first.
            models.Index(
                fields=["not_before"],
                name="notification_waiting",
                condition=Q(status__in=["pending", "held"]),
            ),
            # Stale claims (a worker stopped mid-send) are found without scanning sent rows.
            models.Index(
                fields=["claimed_at"],
                name="notification_sending",
                condition=Q(status="sending"),
            ),
            models.Index(fields=["provider_message_id"], name="notification_provider_id"),
            # Worklists (care/worklists.py): messages that failed, and whether any message went
            # to an episode's patient since a date (no contact for N weeks).
            models.Index(
                fields=["invitation"],
                name="notification_failed",
                condition=Q(status__in=["failed", "permanent-failure"]),
            ),
            models.Index(fields=["invitation", "sent_at"], name="notification_sent"),
        ]

    def __str__(self) -> str:
        return f"Notification {self.pk} ({self.kind} by {self.channel})"


class NotificationAttempt(models.Model):
    """One try at handing a notification to its channel, with what came back."""

    class Outcome(models.TextChoices):
        STARTED = "started", _("Started")
        ACCEPTED = "accepted", _("Accepted by the provider")
        TEMPORARY_FAILURE = "temporary-failure", _("Temporary failure (will retry)")
        PERMANENT_FAILURE = "permanent-failure", _("Permanent failure (gave up)")
        UNKNOWN = "unknown", _("Unknown (worker stopped mid-send)")

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="attempt_rows"
    )
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.STARTED)
    error_code = models.CharField(max_length=100, blank=True)
    error_message = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["notification", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "number"], name="attempt_once_per_number"
            )
        ]

    def __str__(self) -> str:
        return f"Attempt {self.number} of notification {self.notification_id}"


class LetterCodeTry(models.Model):
    """A wrong letter short code typed by one client (notifications/letter_codes.py).

    The guessing limit counts these rows, so it holds through a Redis outage or restart (a
    cache-kept count lapsed with Redis). The client is a keyed hash of its address, never the
    address itself; rows older than the window are deleted whenever a new one is written.
    """

    client = models.CharField(max_length=64)
    tried_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["client", "tried_at"], name="letter_code_try_client")]

    def __str__(self) -> str:
        return f"wrong letter code at {self.tried_at:%Y-%m-%d %H:%M}"
