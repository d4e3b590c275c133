"""Reads for staff pages about follow-up messages."""

from __future__ import annotations

from notifications.models import Notification


def episode_notifications(episode):
    """Every message for an episode, newest first, with its invitation's timepoint."""
    return (
        Notification.objects.filter(invitation__episode=episode)
        .select_related("invitation")
        .prefetch_related("attempt_rows")
        .order_by("-created_at", "-pk")
    )
