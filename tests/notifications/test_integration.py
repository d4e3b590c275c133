"""End to end on the real services (the PostgreSQL + Redis pass of scripts/test, and CI):
an enrolment leads to a sent message through a real Celery worker on the Redis broker."""

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.core.cache import cache

from notifications.models import Notification
from outcomes.loading import catalogue
from outcomes.services import definitions_load
from proms.celery import app
from tests.integration.broker import needs_services, private_queue, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def queue():
    """Tasks go through the broker to a worker, on a queue no other test run reads."""
    needs_services()
    cache.delete("notifications:dispatch-soon")
    with private_queue() as name:
        yield name


@pytest.fixture
def definitions_in_db(transactional_db):
    definitions_load(definitions=catalogue())  # transactional tests start from a flushed db


@pytest.mark.django_db(transaction=True)
def test_an_enrolment_leads_to_a_sent_message_through_a_real_worker(
    queue, definitions_in_db, enrol, channels
):
    channels.QUIET_HOURS = "off"  # whatever the time of day the suite runs at
    channels.NOTIFICATIONS_EMAIL_BACKEND = "django"

    with start_worker(
        app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=[queue]
    ):
        enrol(preferred_channel="email")  # commits: queues a tick, no beat needed
        sent = wait_for(
            lambda: Notification.objects.filter(status=Notification.Status.SENT).exists(),
            timeout=45,
        )

    assert sent
    notification = Notification.objects.get()
    assert notification.kind == "invite" and notification.attempts == 1
    assert len(mail.outbox) == 1 and "https://proms.test/q/" in mail.outbox[0].body


@pytest.mark.django_db(transaction=True)
def test_the_task_beat_queues_reaches_a_worker_on_the_private_queue(queue, definitions_in_db):
    with start_worker(
        app, pool="solo", perform_ping_check=False, shutdown_timeout=10, queues=[queue]
    ):
        result = app.send_task("notifications.dispatch", ignore_result=False)  # as beat queues it

        assert result.get(timeout=30) == {"opened": 0, "reminded": 0, "expired": 0}
