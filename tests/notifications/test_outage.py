"""Redis stopped while patients submit and staff enrol: nothing is lost, the outbox drains.

A private redis-server on a free port is the broker here (never the machine's shared Redis on
6379, which other test runs use), and in the page test the cache too. The tests stop it, work
through the services and through the staff and patient pages (Django's test client), start it
again and drain the queue as a worker does: take each task message from the broker and run it.
In CI (CI=true) a missing redis-server fails the tests instead of skipping them.
"""

import contextlib
import datetime as dt
import shutil
import socket
import subprocess
import time

import pytest
from django.test import Client
from django.urls import reverse

from notifications.models import Notification
from notifications.sending import outbox_relay
from notifications.services import invitation_resend
from proms.celery import app
from surveys.models import Episode, Invitation, Response
from surveys.services import response_submit
from tests.factories import PatientFactory, UserFactory, pathway_current
from tests.integration.broker import require
from tests.surveys.patient.conftest import BIRTH_DATE, answer_all, dob_form, link_for

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    def __init__(self):
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        require(bool(shutil.which("redis-server")), "redis-server not installed")
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn,
            ):
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def broker():
    """Celery publishing to a private Redis (not eager), restored afterwards."""
    redis = PrivateRedis()
    redis.start()
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=redis.url, task_always_eager=False)
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield redis
    finally:
        redis.stop()
        app.conf.update(saved)
        app._pool = None
        app.amqp._producer_pool = None


def drain(limit: int = 100) -> list[str]:
    """Do what a worker does: take task messages from the broker and run them."""
    done = []
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue("celery")
        try:
            while len(done) < limit:
                try:
                    message = queue.get(timeout=1)
                except queue.Empty:
                    break
                args, kwargs, _embed = message.decode()
                name = message.headers["task"]
                app.tasks[name](*args, **kwargs)
                message.ack()
                done.append(name)
        finally:
            queue.close()
    return done


def test_with_redis_down_the_web_keeps_working_and_the_outbox_drains_after_restart(
    daytime, enrol, staff, broker, capsys, django_capture_on_commit_callbacks
):
    first = enrol()
    invitation = first.invitations.get(timepoint="baseline")
    broker.stop()

    # Redis is down: staff enrol, staff resend a link, a patient submits, pages answer.
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        second = enrol()
        third = enrol()
        resend = invitation_resend(invitation=invitation, by=staff)
    answers = {code: {} for code, _version in invitation.instruments}
    other = second.invitations.get(timepoint="baseline")
    submitted = response_submit(invitation=other, answers=answers, mode="self")
    health = Client().get("/healthz")
    assert time.monotonic() - started < 15  # no web request hangs on the broker
    assert health.status_code == 200
    assert submitted.created and Response.objects.count() == 1
    assert Notification.objects.get(pk=resend.pk).status == Notification.Status.PENDING
    assert outbox_relay().broker_down  # the relay cannot queue either: rows stay put
    assert capsys.readouterr().out.count("Hello Alex") == 0

    broker.start()
    daytime.shift(dt.timedelta(minutes=1))
    app.send_task("notifications.dispatch")  # what beat queues every few minutes
    app.send_task("notifications.relay")
    ran = drain()
    ran += drain()  # the sends the relay queued

    assert ran.count("notifications.send") >= 1
    assert Notification.objects.get(pk=resend.pk).status == Notification.Status.SENT
    assert Invitation.objects.get(pk=other.pk).status == Invitation.Status.COMPLETED
    assert not Notification.objects.filter(invitation=other).exists()  # answered: no message
    assert Notification.objects.get(invitation__episode=third).status == "sent"
    assert capsys.readouterr().out.count("Hello Alex") == 2


@pytest.fixture
def cache_on_broker(broker, settings):
    """The cache on the same private Redis, as in a deployment (proms.cache degrades to misses)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "proms.cache.ResilientRedisCache",
            "LOCATION": broker.url,
            "KEY_PREFIX": "proms-test",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    return broker


def date_parts(name, day) -> dict:
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


def test_with_redis_down_staff_enrol_and_a_patient_submits_through_the_pages_then_it_drains(
    daytime, enrol, cache_on_broker, capsys
):
    answering = enrol(date_of_birth=BIRTH_DATE)  # enrolled before the outage, link in hand
    link = link_for(answering.invitations.get(timepoint="baseline"))
    newcomer = PatientFactory(nhs_number="9434765919", date_of_birth=BIRTH_DATE)
    admin = UserFactory(is_staff=True)
    answering.provider.staff.add(admin)
    staff, patient = Client(), Client()
    staff.force_login(admin)
    cache_on_broker.stop()

    # Redis (broker and cache) is down: an administrator enrols, a patient answers and submits.
    started = time.monotonic()
    enrol_url = reverse("staff:episode_new", args=[newcomer.pk])
    pages = [staff.post(reverse("staff:patient_find"), {"nhs_number": newcomer.nhs_number})]
    pages.append(staff.get(enrol_url))
    pages.append(
        staff.post(
            enrol_url,
            {
                "pathway": pathway_current("knee-pain").pk,
                "provider": answering.provider.pk,
                **date_parts("referred_on", answering.referred_on),
            },
        )
    )
    pages.append(staff.get(pages[-1]["Location"]))
    pages.append(patient.post(link.url(), dob_form(BIRTH_DATE)))
    answer_all(patient, link)
    pages.append(patient.post(link.url("submit")))
    pages.append(patient.get(link.url("done")))
    elapsed = time.monotonic() - started

    assert [page.status_code for page in pages] == [302, 200, 302, 200, 302, 302, 200]
    assert elapsed < 20  # no page hangs on the broker or the cache
    enrolled = Episode.objects.get(patient=newcomer)
    assert Response.objects.filter(invitation=link.invitation).count() == 1
    assert capsys.readouterr().out.count("Hello") == 0

    cache_on_broker.start()
    daytime.shift(dt.timedelta(minutes=1))
    app.send_task("notifications.dispatch")  # what beat queues every few minutes
    app.send_task("notifications.relay")  # and every minute
    drain()
    drain()  # the sends the relay queued
    app.send_task("notifications.relay")  # a second relay finds nothing left to send
    drain()

    sent = Notification.objects.filter(status=Notification.Status.SENT)
    assert list(sent.values_list("invitation__episode", "kind")) == [(enrolled.pk, "invite")]
    assert not Notification.objects.filter(invitation=link.invitation).exists()  # answered
    assert capsys.readouterr().out.count("Hello") == 1
