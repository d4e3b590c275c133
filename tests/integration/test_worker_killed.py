"""A real Celery worker killed (SIGKILL) while Notify is answering its send: no second message.

Two ``celery -A proms worker`` processes in turn, on this test's own queue and the test
database (committed rows: a transactional test), sending through a local fake of GOV.UK Notify
that takes the message and then holds its answer. The first worker dies mid-send; the second
runs the outbox relay, which asks Notify for our reference and records the message as sent.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from notifications.models import Notification
from notifications.services import dispatch_due
from notifications.tasks import send_notification
from outcomes.loading import catalogue
from outcomes.services import definitions_load
from proms.celery import app
from surveys.services import episode_enrol
from tests.factories import PatientFactory, ProviderFactory, UserFactory, pathway_current
from tests.integration.broker import needs_services, private_queue, require, wait_for
from tests.notifications.fake_notify import API_KEY, FakeNotify

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SMS_TEMPLATE = "f33517ff-2a88-4f6e-b855-c550268ce08a"
STALE_SECONDS = 2


def database_url() -> str:
    """The test database (not the one DATABASE_URL names), for the worker processes."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
        f"/{db['NAME']}"
    )


class Worker:
    """``celery -A proms worker`` in its own process group, reading only ``queue``."""

    def __init__(self, queue: str, notify_url: str, log: Path):
        self.environment = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "SECRET_KEY": settings.SECRET_KEY,  # the outbox's links are sealed with it
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "NOTIFY_API_KEY": API_KEY,
            "NOTIFY_BASE_URL": notify_url,
            "NOTIFY_TEMPLATE_SMS_INVITE": SMS_TEMPLATE,
            "NOTIFICATIONS_SMS_BACKEND": "notify",
            "NOTIFICATIONS_STALE_CLAIM_SECONDS": str(STALE_SECONDS),
            "QUIET_HOURS": "off",
            "PUBLIC_BASE_URL": "https://proms.test",
        }
        self.queue, self.log, self.process = queue, log, None

    def start(self) -> Worker:
        require(importlib.util.find_spec("celery") is not None, "celery is not installed")
        command = [sys.executable, "-m", "celery", "-A", "proms", "worker", "-Q", self.queue]
        options = ["--pool", "solo", "--without-gossip", "--without-mingle", "--loglevel", "INFO"]
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [*command, *options],
                cwd=settings.BASE_DIR,
                env=self.environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def queue():
    needs_services()
    cache.set("notifications:dispatch-soon", True, timeout=60)  # this test queues by hand
    with private_queue() as name:
        yield name
    cache.delete("notifications:dispatch-soon")


@pytest.fixture
def notification(transactional_db, settings) -> Notification:
    """An invite waiting in the outbox (written here, sent by the worker processes)."""
    settings.NOTIFICATIONS_SMS_BACKEND = "notify"
    settings.QUIET_HOURS = "off"
    definitions_load(definitions=catalogue())
    staff = UserFactory()
    provider = ProviderFactory(ods_code="TST01")
    provider.staff.add(staff)
    episode_enrol(
        patient=PatientFactory(),
        pathway=pathway_current("knee-pain"),
        provider=provider,
        referred_on=dt.date.today(),
        by=staff,
    )
    dispatch_due(enqueue=False)
    return Notification.objects.get()


def test_a_worker_killed_while_notify_answers_never_sends_twice(queue, notification, tmp_path):
    log = tmp_path / "workers.log"
    with FakeNotify() as notify:
        notify.answer_delay = 60  # Notify has the message; its answer is slow to come
        first = Worker(queue, notify.url, log).start()
        second = Worker(queue, notify.url, log)
        try:
            send_notification.delay(notification.pk)
            in_flight = wait_for(lambda: len(notify.sent) == 1, timeout=30)
            assert in_flight, log.read_text()[-3000:]

            first.kill()
            notification.refresh_from_db()
            assert notification.status == Notification.Status.SENDING

            second.start()

            def relay_settled() -> bool:
                app.send_task("notifications.relay", ignore_result=False).get(timeout=20)
                notification.refresh_from_db()
                return notification.status == Notification.Status.SENT

            settled = wait_for(relay_settled, timeout=30)
        finally:
            first.stop()
            second.stop()

    assert settled, log.read_text()[-3000:]
    assert len(notify.sent) == 1
    assert notification.provider_message_id == notify.sent[0]["id"]
    assert ("GET", f"/v2/notifications?reference={notification.pk}") in notify.requests
