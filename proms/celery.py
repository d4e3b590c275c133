"""The Celery app. Tasks are thin wrappers around services (see CONVENTIONS.md).

The beat schedule gets its entries with the follow-up scheduler (notifications app).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proms.settings")

app = Celery("proms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.beat_schedule = {}


@app.task(name="proms.ping")
def ping() -> str:
    """Answer 'pong': used by health checks to prove a worker takes tasks from the broker."""
    return "pong"
