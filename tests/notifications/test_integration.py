"""End to end on the real services (the PostgreSQL + Redis pass of scripts/test, and CI):
an enrolment leads to a sent message through a real Celery worker on the Redis broker."""

import os
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail

from notifications.models import Notification
from outcomes.loading import catalogue
from outcomes.services import definitions_load
from proms.celery import app

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL")
        or not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="needs REDIS_URL and a PostgreSQL DATABASE_URL",
    ),
]


@pytest.fixture
def eager_tasks():
    """Here tasks go through the broker to a worker (overrides the package's eager default)."""
    app.conf.task_always_eager = False
    yield


@pytest.fixture
def definitions_in_db(transactional_db):
    definitions_load(definitions=catalogue())  # transactional tests start from a flushed db


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True)
def test_an_enrolment_leads_to_a_sent_message_through_a_real_worker(
    definitions_in_db, enrol, channels
):
    channels.QUIET_HOURS = "off"  # whatever the time of day the suite runs at
    channels.NOTIFICATIONS_EMAIL_BACKEND = "django"
    enrol(preferred_channel="email")

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        app.send_task("notifications.dispatch").get(timeout=30)  # what beat queues
        sent = wait_for(
            lambda: Notification.objects.filter(status=Notification.Status.SENT).exists()
        )

    assert sent
    notification = Notification.objects.get()
    assert notification.kind == "invite" and notification.attempts == 1
    assert len(mail.outbox) == 1 and "https://proms.test/q/" in mail.outbox[0].body
