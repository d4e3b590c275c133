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
app.conf.beat_schedule = {
    # Open invitations whose window started, queue reminders, expire closed windows.
    "notifications-dispatch": {"task": "notifications.dispatch", "schedule": 120.0},
    # The outbox relay: queue waiting messages (after quiet hours, back-off or a Redis outage)
    # and reconcile sends a stopped worker left unfinished.
    "notifications-relay": {"task": "notifications.relay", "schedule": 60.0},
    # Rebuild the paired results behind the outcome figures at 02:30 UK time (surveys/pairs.py).
    "surveys-rebuild-paired-results": {
        "task": "surveys.rebuild_paired_results",
        "schedule": crontab(hour=2, minute=30),
    },
    # Every morning at 06:00 UK time; on the first working day of a month (England and Wales
    # bank holidays) it queues one board pack per condition for the month just ended.
    "reports-monthly-board-packs": {
        "task": "reports.monthly_board_packs",
        "schedule": crontab(hour=6, minute=0),
    },
}


@app.task(name="proms.ping")
def ping() -> str:
    """Answer 'pong': used by health checks to prove a worker takes tasks from the broker."""
    return "pong"
