"""Sending: the outbox relay and the send of one notification, at most once.

``outbox_relay`` hands waiting notifications to the task queue (after quiet hours, back-off or a
Redis outage) and settles claims a stopped worker left. ``notification_send`` claims one
notification (a committed status change) before calling the channel, so it never sends twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from notifications import timing
from notifications.channels import (
    Message,
    PermanentFailure,
    TemporaryFailure,
    backend_for,
    backend_name,
)
from notifications.models import Notification, NotificationAttempt
from notifications.sealing import unseal
from notifications.services import hold_until, may_contact, uk_zone
from notifications.wording import notify_template_id, wording_files
from surveys.cohorts import cohorts_refresh
from surveys.contact import episode_contacted
from surveys.models import Invitation

logger = logging.getLogger(__name__)

# The relay re-queues a waiting message it already queued only after
# NOTIFICATIONS_REQUEUE_SECONDS (a task lost with the broker, or held unacknowledged by a killed
# worker; sending claims first, so a second copy of the task never sends twice).
# Failures after which the provider may have the message all the same (the answer was lost):
# the next attempt asks the provider for our reference before sending again.
UNCERTAIN_CODES = frozenset({"network", "smtp-network"})
UNEXPECTED_PREFIX = "error-"


# --- The outbox relay ---------------------------------------------------------------------


@dataclass
class RelayReport:
    queued: list[int] = field(default_factory=list)
    reconciled: int = 0
    broker_down: bool = False


def outbox_relay(*, now: dt.datetime | None = None, limit: int = 1000) -> RelayReport:
    """Queue a send task for each SMS or e-mail whose time has come, and settle stale claims.

    Messages wait here after quiet hours, after a temporary failure (exponential back-off in
    ``not_before``) and while Redis or the workers are down, so nothing is lost in the broker.
    """
    from notifications.tasks import send_notification

    now = now or timezone.now()
    report = RelayReport()
    report.reconciled = _reconcile_stale(now)
    waiting = list(
        Notification.objects.filter(
            Q(queued_at__isnull=True)
            | Q(queued_at__lt=now - dt.timedelta(seconds=settings.NOTIFICATIONS_REQUEUE_SECONDS)),
            status__in=Notification.WAITING,
            not_before__lte=now,
        )
        .exclude(channel=Notification.Channel.LETTER)
        .order_by("not_before")
        .values_list("pk", flat=True)[:limit]
    )
    if waiting:  # stamped first: a send that fails and backs off clears its own stamp
        Notification.objects.filter(pk__in=waiting).update(queued_at=now)
    for position, pk in enumerate(waiting):
        try:
            send_notification.delay(pk)
        except Exception:
            report.broker_down = True
            Notification.objects.filter(pk__in=waiting[position:]).update(queued_at=None)
            logger.warning(
                "Task queue unavailable: %s messages stay in the outbox", len(waiting) - position
            )
            break
        report.queued.append(pk)
    return report


def _reconcile_stale(now: dt.datetime) -> int:
    """Settle messages a stopped worker left in ``sending``: ask Notify whether it has them (by
    our reference); where the channel cannot say (SMTP), mark them failed for staff to check
    rather than risk a second copy."""
    stale = list(
        Notification.objects.filter(
            status=Notification.Status.SENDING,
            claimed_at__lt=now - dt.timedelta(seconds=settings.NOTIFICATIONS_STALE_CLAIM_SECONDS),
        )[:100]
    )
    for notification in stale:
        try:
            provider_id = backend_for(notification.channel).lookup(str(notification.pk))
        except NotImplementedError:
            _finish(notification, now, error=("unknown-outcome", "worker stopped mid-send"))
            continue
        except TemporaryFailure:
            continue  # ask again on the next run
        if provider_id:
            _finish(notification, now, provider_id=provider_id)
        elif notification.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
            _finish(notification, now, error=("worker-stopped", "gave up after the last attempt"))
        else:  # the provider never got it: safe to send
            with transaction.atomic():
                Notification.objects.filter(
                    pk=notification.pk, status=Notification.Status.SENDING
                ).update(status=Notification.Status.PENDING, queued_at=None)
                _channel_changed(notification)
                NotificationAttempt.objects.filter(
                    notification=notification, outcome=NotificationAttempt.Outcome.STARTED
                ).update(outcome=NotificationAttempt.Outcome.UNKNOWN, finished_at=now)
    return len(stale)


# --- Sending one notification -------------------------------------------------------------


def notification_send(*, notification_id: int, now: dt.datetime | None = None) -> str:
    """Send one notification at most once; returns what happened (sent, held, cancelled,
    skipped, retry or failed).

    The claim (status ``sending``, attempt row) is committed before the channel is called: a
    second run of the task, or a run after a worker died mid-send, finds it and sends nothing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("patient", "invitation__episode")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.status not in Notification.WAITING:
            return "skipped"
        if notification.channel == Notification.Channel.LETTER:
            return "skipped"  # letters go out in the printed batch
        invitation, patient = notification.invitation, notification.patient
        if (
            not may_contact(patient, invitation.episode)
            or invitation.status not in Invitation.OUTSTANDING
            or now >= timing.window_end(invitation.closes_on, uk_zone())
        ):
            notification.status = Notification.Status.CANCELLED
            notification.link_token = ""
            notification.save(update_fields=["status", "link_token", "updated_at"])
            return "cancelled"
        earliest = max(notification.not_before, hold_until(notification.channel, now))
        if earliest > now:
            notification.status = Notification.Status.HELD
            notification.not_before = earliest
            notification.queued_at = None
            notification.save(update_fields=["status", "not_before", "queued_at", "updated_at"])
            return "held"
        notification.status = Notification.Status.SENDING
        notification.attempts += 1
        notification.claimed_at = now
        notification.save(update_fields=["status", "attempts", "claimed_at", "updated_at"])
        NotificationAttempt.objects.create(
            notification=notification, number=notification.attempts, started_at=now
        )
        _channel_changed(notification)
    try:
        backend = backend_for(notification.channel)
        if _outcome_unknown(notification.error_code):
            # The last try may have reached the provider (a timeout after it accepted): ask it
            # for our reference before sending again, as the stale-claim check does.
            try:
                provider_id = _lookup(backend, notification)
            except TemporaryFailure as failure:  # still no answer: keep the doubt for next time
                doubt = TemporaryFailure(notification.error_code, f"lookup: {failure.code}")
                return _retry_or_give_up(notification, doubt)
            if provider_id:
                _finish(notification, timezone.now(), provider_id=provider_id)
                return "sent"
        message = message_build(notification)
        provider_id = backend.send(message)
    except PermanentFailure as failure:
        _finish(notification, timezone.now(), error=(failure.code, failure.message))
        return "failed"
    except Exception as error:  # whatever it was, the claim must not stay 'sending'
        failure = error if isinstance(error, TemporaryFailure) else _unexpected(error)
        return _retry_or_give_up(notification, failure)
    _finish(notification, timezone.now(), provider_id=provider_id)
    return "sent"


def _channel_changed(notification: Notification) -> None:
    """An invite message was handed to its channel, or went back to waiting: the channel its
    invitation counts under in the response rates may have changed (surveys/cohorts.py)."""
    if notification.kind == Notification.Kind.INVITE:
        cohorts_refresh(episode_ids=[notification.invitation.episode_id])


def _unexpected(error: Exception) -> TemporaryFailure:
    """An error no channel anticipated (a missing template, a bug): retried like a temporary
    failure up to the attempt cap. Only the class is kept: its text may carry patient details."""
    return TemporaryFailure(f"{UNEXPECTED_PREFIX}{type(error).__name__}", type(error).__name__)


def _outcome_unknown(error_code: str) -> bool:
    """Whether the last attempt may have reached the provider even though it failed for us."""
    return error_code in UNCERTAIN_CODES or error_code.startswith(UNEXPECTED_PREFIX)


def _lookup(backend, notification: Notification) -> str | None:
    """The provider's id for our reference, or None when it has none or cannot say."""
    try:
        return backend.lookup(str(notification.pk))
    except NotImplementedError:
        return None


def _retry_or_give_up(notification: Notification, failure: TemporaryFailure) -> str:
    """Back off and put the message back in the outbox, or give up after the last attempt."""
    finished = timezone.now()
    if notification.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
        _finish(notification, finished, error=(failure.code, failure.message))
        return "failed"
    delay = timing.retry_delay(notification.attempts, settings.NOTIFICATIONS_RETRY_BASE_SECONDS)
    with transaction.atomic():
        Notification.objects.filter(pk=notification.pk, status=Notification.Status.SENDING).update(
            status=Notification.Status.PENDING,
            not_before=finished + delay,
            queued_at=None,
            error_code=failure.code,
            updated_at=finished,
        )
        _attempt_close(
            notification, finished, NotificationAttempt.Outcome.TEMPORARY_FAILURE, failure
        )
        _channel_changed(notification)
    logger.warning(
        "Notification %s: temporary failure %s, retry in %ss",
        notification.pk,
        failure.code,
        int(delay.total_seconds()),
    )
    return "retry"


def _attempt_close(notification, finished, outcome, failure=None) -> None:
    NotificationAttempt.objects.filter(
        notification=notification, number=notification.attempts
    ).update(
        outcome=outcome,
        finished_at=finished,
        error_code=failure.code if failure else "",
        error_message=(failure.message if failure else "")[:500],
    )


@transaction.atomic
def _finish(notification: Notification, finished, *, provider_id="", error=None) -> None:
    """Record the end of a send: accepted by the provider, or given up.

    Only a notification still ``sending`` changes status: a delivery receipt can arrive before
    the provider's answer is recorded, and "delivered" must not be overwritten by "sent".
    """
    claimed = Notification.objects.filter(pk=notification.pk, status=Notification.Status.SENDING)
    if error is None:
        if not claimed.update(
            status=Notification.Status.SENT,
            provider_message_id=provider_id,
            sent_at=finished,
            error_code="",
            updated_at=finished,
        ):  # a receipt came first: keep its status, note when the provider took it
            Notification.objects.filter(pk=notification.pk, sent_at__isnull=True).update(
                sent_at=finished, updated_at=finished
            )
        # A message sent is contact with the patient (surveys/contact.py: the no-contact lists).
        episode_contacted(episode_ids=[notification.invitation.episode_id], at=finished)
        _attempt_close(notification, finished, NotificationAttempt.Outcome.ACCEPTED)
        logger.info("Notification %s sent by %s", notification.pk, notification.channel)
        return
    code, text = error
    claimed.update(
        status=Notification.Status.FAILED,
        error_code=code,
        link_token="",
        updated_at=finished,
    )
    outcome = (
        NotificationAttempt.Outcome.UNKNOWN
        if code == "unknown-outcome"
        else NotificationAttempt.Outcome.PERMANENT_FAILURE
    )
    _attempt_close(notification, finished, outcome, PermanentFailure(code, text))
    logger.warning("Notification %s failed: %s (not retried)", notification.pk, code)


def patient_link(token: str) -> str:
    """The patient's questionnaire link (``patient:start`` under ``q/``, fixed by the URL
    contract) on the public address."""
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}/q/{token}/"


def message_text(notification: Notification, token: str) -> tuple[str, str]:
    """(subject, body) from ``templates/notifications/messages/<language>/<kind>.txt``; the first
    line of the file, ``Subject: ...``, is the e-mail subject."""
    text = render_to_string(
        wording_files(notification.language, notification.kind),
        {"first_name": notification.patient.given_name, "link": patient_link(token)},
    ).strip()
    subject, _sep, body = text.partition("\n")
    return subject.removeprefix("Subject:").strip(), body.strip()


def message_build(notification: Notification) -> Message:
    token = unseal(notification.link_token)
    if token is None:
        raise PermanentFailure("no-link", "the link could not be read (secret key changed?)")
    patient = notification.patient
    subject, body = message_text(notification, token)
    template_id = ""
    if backend_name(notification.channel) == "notify":
        template_id = notification.template or notify_template_id(
            notification.channel, notification.kind, notification.language
        )
        if not template_id:
            raise PermanentFailure("no-template", "no Notify template id configured")
    return Message(
        reference=str(notification.pk),
        channel=notification.channel,
        to=patient.mobile if notification.channel == "sms" else patient.email,
        subject=subject,
        body=body,
        template_id=template_id,
        personalisation={"first_name": patient.given_name, "link": patient_link(token)},
    )
