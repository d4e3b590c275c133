"""Reads about follow-up messages: for staff pages, and the outbox figures operators watch."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, Min, Q

from notifications.models import Notification


def episode_notifications(episode):
    """Every message for an episode, newest first, with its invitation's timepoint."""
    return (
        Notification.objects.filter(invitation__episode=episode)
        .select_related("invitation")
        .prefetch_related("attempt_rows")
        .order_by("-created_at", "-pk")
    )


def outbox_health(*, now: dt.datetime) -> dict[str, int | float | None]:
    """What an operator watches in the outbox (docs/operations.md): one aggregate query.

    ``due``: text messages and e-mails whose time has come and that no worker has sent yet;
    ``oldest_due_seconds``: how long the oldest of them has waited (a stuck worker or broker
    shows here first); ``stale_sending``: claims older than the stale limit (a worker died
    mid-send; the relay settles them); ``letters_due``: letters waiting to be printed by staff.
    """
    stale_before = now - dt.timedelta(seconds=settings.NOTIFICATIONS_STALE_CLAIM_SECONDS)
    electronic = Q(channel__in=[Notification.Channel.SMS, Notification.Channel.EMAIL])
    due = Q(status__in=Notification.WAITING, not_before__lte=now)
    found = Notification.objects.aggregate(
        due=Count("pk", filter=due & electronic),
        oldest=Min("not_before", filter=due & electronic),
        stale_sending=Count(
            "pk", filter=Q(status=Notification.Status.SENDING, claimed_at__lt=stale_before)
        ),
        letters_due=Count("pk", filter=due & Q(channel=Notification.Channel.LETTER)),
    )
    oldest = found.pop("oldest")
    found["oldest_due_seconds"] = (
        round((now - oldest).total_seconds(), 1) if oldest is not None else None
    )
    return found
