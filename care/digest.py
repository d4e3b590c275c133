"""The daily alert e-mail to clinicians who opted in: counts and a link, never patient details.

Staff e-mail addresses are staff data, so this uses Django's e-mail (SMTP) directly rather than
the patient outbox (notifications), whose every row belongs to a patient's invitation.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from care import worklists
from care.models import AlertEmailSubscription

logger = logging.getLogger(__name__)


def digest_counts(user) -> dict[str, int]:
    """What the e-mail says: numbers only, from the same selectors as the staff home."""
    return worklists.counts(user, fresh=True)


def alert_digests_send(*, today: dt.date | None = None) -> int:
    """Send today's e-mail to each subscriber not yet sent one today. Returns how many were sent.

    Idempotent per day (``last_sent_on`` is claimed in the same transaction as the send), so beat
    running twice, or a retry, sends one e-mail per clinician per day. A clinician with nothing
    open gets no e-mail.
    """
    today = today or timezone.localdate()
    sent = 0
    link = settings.PUBLIC_BASE_URL.rstrip("/") + reverse("care:home")
    due = AlertEmailSubscription.objects.filter(enabled=True, user__is_active=True).exclude(
        last_sent_on=today
    )
    for subscription_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            subscription = (
                AlertEmailSubscription.objects.select_for_update(skip_locked=True)
                .select_related("user")
                .filter(pk=subscription_id)
                .exclude(last_sent_on=today)
                .first()
            )
            if subscription is None or not subscription.user.email:
                continue
            counts = digest_counts(subscription.user)
            subscription.last_sent_on = today
            subscription.save(update_fields=["last_sent_on"])
            if not any(counts.values()):
                continue
            body = render_to_string("care/email/digest.txt", {"counts": counts, "link": link})
            subject, _, text = body.partition("\n")
            send_mail(subject.strip(), text.lstrip(), None, [subscription.user.email])
            sent += 1
            logger.info("Alert e-mail sent to user %s", subscription.user_id)
    return sent
