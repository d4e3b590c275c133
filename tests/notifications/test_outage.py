"""Redis stopped while patients submit and staff enrol: nothing is lost, the outbox drains.

A private redis-server on a free port is the broker here (never the machine's shared Redis on
6379, which other test runs use). The test stops it, works through the services the web pages
call, starts it again and drains the queue as a worker does: take each task message from the
broker and run it.
"""

import contextlib
import datetime as dt
import shutil
import socket
import subprocess
import time

import pytest
from django.test import Client

from notifications.models import Notification
from notifications.sending import outbox_relay
from notifications.services import invitation_resend
from proms.celery import app
from surveys.models import Invitation, Response
from surveys.services import response_submit

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server not installed"),
]


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
