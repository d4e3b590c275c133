"""The Celery app. Tasks are thin wrappers around services (see CONVENTIONS.md).

Beat only queues work; workers do it. One beat per deployment (docker-compose.yml).
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proms.settings")

app = Celery("proms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Seconds between scheduler ticks; the fault tests and bench/fault.py shorten them.
DISPATCH_SECONDS = float(os.environ.get("NOTIFICATIONS_DISPATCH_SECONDS", "120"))
RELAY_SECONDS = float(os.environ.get("NOTIFICATIONS_RELAY_SECONDS", "60"))
app.conf.beat_schedule = {
    # Open invitations whose window started, queue reminders, expire closed windows.
    "notifications-dispatch": {"task": "notifications.dispatch", "schedule": DISPATCH_SECONDS},
    # The outbox relay: queue waiting messages (after quiet hours, back-off or a Redis outage)
    # and reconcile sends a stopped worker left unfinished.
    "notifications-relay": {"task": "notifications.relay", "schedule": RELAY_SECONDS},
    # Rebuild the paired results behind the outcome figures at 02:30 UK time (surveys/pairs.py).
    "surveys-rebuild-paired-results": {
        "task": "surveys.rebuild_paired_results",
        "schedule": crontab(hour=2, minute=30),
    },
    # The daily alert e-mail to clinicians who opted in (counts and a link only), 07:30 UK.
    "care-alert-digests": {
        "task": "care.send_alert_digests",
        "schedule": crontab(hour=7, minute=30),
    },
    # Every morning at 06:00 UK time; on the first working day of a month (England and Wales
    # bank holidays) it queues one board pack per condition for the month just ended.
    "reports-monthly-board-packs": {
        "task": "reports.monthly_board_packs",
        "schedule": crontab(hour=6, minute=0),
    },
}


@app.task(name="proms.ping", ignore_result=False)  # its answer is the point
def ping() -> str:
    """Answer 'pong': used by health checks to prove a worker takes tasks from the broker."""
    return "pong"
