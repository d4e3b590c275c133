"""Redis stopped under a real worker and beat: both ride it out and what waited is sent.

The worker and beat run with docker-compose.yml's own commands (prefork pool, two processes,
gossip and mingle on) against a private redis-server and the test database, sending through a
local fake of GOV.UK Notify that is slow to answer, so sends are in flight when Redis stops.
Patients enrolled during the outage wait in the outbox. When Redis is back the same worker and
beat, never restarted, send every message exactly once.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from django.core.cache import cache
from django.db import connection

from notifications.models import Notification
from notifications.services import dispatch_due
from outcomes.loading import catalogue
from outcomes.services import definitions_load
from surveys.services import episode_enrol
from tests.factories import PatientFactory, ProviderFactory, UserFactory, pathway_current
from tests.integration.broker import needs_services, require, wait_for
from tests.integration.processes import PrivateRedis, Service, database_url
from tests.notifications.fake_notify import API_KEY, FakeNotify

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SMS_TEMPLATE = "f33517ff-2a88-4f6e-b855-c550268ce08a"
# Longer than Celery's Redis result consumer retries (20 x 1 s) before it asks for a restart,
# and than the worker's first broker reconnection attempts (2, 4, 6, 8 s...).
OUTAGE_SECONDS = 25
SECRET_KEY = "outage-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def redis(tmp_path):
    needs_services()
    require(bool(shutil.which("redis-server")), "redis-server not installed")
    server = PrivateRedis(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture
def enrol(settings):
    """Enrol a patient as staff do; their invite waits in the outbox for the worker to send."""
    settings.SECRET_KEY = SECRET_KEY  # the processes unseal the links with it
    settings.NOTIFICATIONS_SMS_BACKEND = "notify"
    settings.QUIET_HOURS = "off"
    cache.set("notifications:dispatch-soon", True, timeout=300)  # beat dispatches, not us
    definitions_load(definitions=catalogue())  # a transactional test may follow a flush
    staff = UserFactory()
    provider = ProviderFactory(ods_code="OUT01")
    provider.staff.add(staff)

    def enrol_one() -> None:
        episode_enrol(
            patient=PatientFactory(),
            pathway=pathway_current("knee-pain"),
            provider=provider,
            referred_on=dt.date.today(),
            by=staff,
        )
        dispatch_due(enqueue=False)

    yield enrol_one
    cache.delete("notifications:dispatch-soon")


def stack_environment(redis: PrivateRedis, notify: FakeNotify) -> dict[str, str]:
    return {
        "DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": redis.url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_TASK_DEFAULT_QUEUE": "celery",
        "NOTIFY_API_KEY": API_KEY,
        "NOTIFY_BASE_URL": notify.url,
        "NOTIFY_TEMPLATE_SMS_INVITE": SMS_TEMPLATE,
        "NOTIFICATIONS_SMS_BACKEND": "notify",
        "NOTIFICATIONS_RELAY_SECONDS": "2",
        "NOTIFICATIONS_DISPATCH_SECONDS": "2",
        "QUIET_HOURS": "off",
        "PUBLIC_BASE_URL": "https://proms.test",
    }


def test_worker_and_beat_ride_out_a_redis_outage_and_send_every_waiting_message_once(
    redis, enrol, tmp_path
):
    for _ in range(4):
        enrol()
    log = tmp_path / "stack.log"
    with FakeNotify() as notify:
        notify.answer_delay = 3  # sends are still in flight when Redis stops
        environment = stack_environment(redis, notify)
        worker = Service("worker", environment, log).start()
        beat = Service("beat", environment, log, ["--schedule", str(tmp_path / "beat")]).start()
        try:
            in_flight = wait_for(lambda: len(notify.sent) >= 1, timeout=60)
            assert in_flight, log.read_text()[-3000:]
            redis.stop()
            for _ in range(3):  # staff keep enrolling while Redis is down
                enrol()
            wait_for(lambda: not worker.running(), timeout=OUTAGE_SECONDS)
            redis.start()

            def all_sent() -> bool:
                return Notification.objects.exclude(status=Notification.Status.SENT).count() == 0

            settled = wait_for(all_sent, timeout=120)
            alive = worker.running(), beat.running()
        finally:
            worker.stop()
            beat.stop()

    output = log.read_text()
    assert alive == (True, True), output[-4000:]
    assert "must be restarted" not in output
    assert "Unrecoverable error" not in output
    assert settled, log.read_text()[-4000:]
    assert Notification.objects.count() == 7
    references = [message["reference"] for message in notify.sent]
    assert sorted(references) == sorted(
        str(pk) for pk in Notification.objects.values_list("pk", flat=True)
    )
