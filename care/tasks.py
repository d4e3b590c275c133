"""Thin Celery tasks: each calls a service (CONVENTIONS.md, habit 6)."""

from celery import shared_task

from care.digest import alert_digests_send


@shared_task(name="care.send_alert_digests")
def send_alert_digests() -> int:
    """The daily alert e-mail (beat: 07:30 UK time); safe to run twice."""
    return alert_digests_send()
