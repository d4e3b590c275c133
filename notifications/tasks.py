"""Thin Celery tasks: each calls one service (notifications/services.py)."""

from __future__ import annotations

from celery import shared_task

from notifications import sending, services


@shared_task(name="notifications.dispatch", acks_late=True)
def dispatch() -> dict:
    """One scheduler tick: open, remind and expire invitations (batch after batch while full)."""
    totals = {"opened": 0, "reminded": 0, "expired": 0}
    for _batch in range(20):  # bounded: whatever remains is due on the next tick
        report = services.dispatch_due()
        totals["opened"] += report.opened
        totals["reminded"] += report.reminded
        totals["expired"] += report.expired
        if not report.more:
            break
    return totals


@shared_task(name="notifications.relay", acks_late=True)
def relay() -> int:
    """Queue the outbox's waiting messages and settle sends a stopped worker left unfinished."""
    return len(sending.outbox_relay().queued)


@shared_task(name="notifications.send", acks_late=True)
def send_notification(notification_id: int) -> str:
    """Send one notification at most once. Temporary failures are retried with exponential
    back-off by the outbox (the row's ``not_before``), so a retry survives a broker restart."""
    return sending.notification_send(notification_id=notification_id)
