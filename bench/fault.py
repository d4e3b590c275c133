"""Fault bench: the whole stack on this machine, Redis stopped for 30 s and a worker killed
mid-send during a bounded load of patient submissions and enrolments.

    .venv/bin/python bench/fault.py                      # defaults below
    .venv/bin/python bench/fault.py --database-url postgres://postgres@127.0.0.1:5432/proms_fault \\
        --patients 40 --enrolments 60 --outage 30

What runs, each as docker-compose.yml starts it (tests/integration/processes.py):
gunicorn with proms/gunicorn_conf.py, a Celery worker (prefork, 2 processes), Celery beat, a
redis-server of its own (append-only file, as compose's), the PostgreSQL database named (dropped
and created afresh) and a fake GOV.UK Notify (tests/notifications/fake_notify.py) that takes a
second to answer each send, so sends are in flight when the faults strike.

The load: ``--patients`` patients are enrolled first (their invites go out); then, at once,
each answers their baseline questionnaire through gunicorn over HTTP (date of birth, every
page, submit; one patient a second) while ``--enrolments`` more patients are enrolled (the
staff service, one a second). Ten seconds in, Redis is stopped for ``--outage`` seconds. When
it is back and a send is in flight, the worker is killed (SIGKILL to its process group) and a
new one started, as compose's ``restart: unless-stopped`` does. Nothing else is done by hand:
beat's relay queues what waited and settles the killed worker's send by asking Notify for its
reference.

It prints: submissions made, responses stored, messages due, messages sent, sent twice, lost.
Expected: 0 lost, 0 twice, every due message sent. It stops everything it started.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import io
import os
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.integration.processes import (  # noqa: E402
    PrivateRedis,
    Service,
    free_port,
    static_manifest,
)

SECRET_KEY = "fault-bench-throwaway-key-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105
SMS_TEMPLATE = "f33517ff-2a88-4f6e-b855-c550268ce08a"
BIRTH_DATE = dt.date(1948, 3, 14)


def fresh_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[a-z0-9_]+", name) or name == "proms":
        raise SystemExit(f"Refusing database name {name!r}: give a scratch database of your own.")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {name}")


class Browser:
    """A patient's phone: cookies kept by hand (the service's are Secure, and this is plain HTTP
    on loopback), the CSRF token sent back as a form field."""

    def __init__(self, base: str):
        import requests

        self.base = base
        self.session = requests.Session()
        self.cookies: dict[str, str] = {}

    def _send(self, method: str, path: str, data: dict | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if data is not None:
            data = {**data, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
        response = self.session.request(
            method, self.base + path, data=data, headers=headers, allow_redirects=False, timeout=30
        )
        for name, value in response.cookies.items():
            self.cookies[name] = value
        return response

    def get(self, path: str):
        return self._send("GET", path)

    def post(self, path: str, data: dict):
        return self._send("POST", path, data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/proms_fault")
    parser.add_argument("--patients", type=int, default=40, help="patients who answer")
    parser.add_argument("--enrolments", type=int, default=60, help="enrolments during the load")
    parser.add_argument("--outage", type=float, default=30.0, help="seconds Redis is down")
    parser.add_argument("--port", type=int, default=0, help="gunicorn's port (default: free)")
    parser.add_argument("--settle", type=float, default=300.0, help="seconds to wait to drain")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="proms-fault-"))
    log = work / "stack.log"
    redis = PrivateRedis(work / "redis").start()
    started: list = [redis]
    fresh_database(args.database_url)

    from tests.notifications.fake_notify import API_KEY, FakeNotify

    notify = FakeNotify().__enter__()
    notify.answer_delay = 1.0
    port = args.port or free_port()
    environment = {
        "DEBUG": "false",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": args.database_url,
        "REDIS_URL": redis.url,
        "ALLOWED_HOSTS": "127.0.0.1",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "STATIC_ROOT": str(work / "static"),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "NOTIFY_API_KEY": API_KEY,
        "NOTIFY_BASE_URL": notify.url,
        "NOTIFY_TEMPLATE_SMS_INVITE": SMS_TEMPLATE,
        "NOTIFICATIONS_SMS_BACKEND": "notify",
        "NOTIFICATIONS_RELAY_SECONDS": "5",
        "NOTIFICATIONS_DISPATCH_SECONDS": "5",
        "NOTIFICATIONS_STALE_CLAIM_SECONDS": "10",
        "NOTIFICATIONS_REQUEUE_SECONDS": "30",
        "QUIET_HOURS": "off",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(environment)
    os.environ["DJANGO_SETTINGS_MODULE"] = "proms.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    call_command("load_definitions", verbosity=0, stdout=io.StringIO())
    static_manifest(work / "static")

    from django.db.models import Count
    from django.urls import reverse

    from notifications.models import Notification
    from surveys import services
    from surveys.models import Response
    from surveys.questionnaire import page_plan
    from tests.factories import PatientFactory, ProviderFactory, UserFactory, pathway_current
    from tests.integration.broker import wait_for
    from tests.surveys.patient.conftest import dob_form, first_answers

    staff = UserFactory()
    provider = ProviderFactory(ods_code="FLT01")
    provider.staff.add(staff)
    pathway = pathway_current("knee-pain")

    def enrol():
        return services.episode_enrol(
            patient=PatientFactory(date_of_birth=BIRTH_DATE),
            pathway=pathway,
            provider=provider,
            referred_on=dt.date.today(),
            by=staff,
        )

    web = Service("web", environment, log)
    worker = Service("worker", environment, log)
    beat = Service("beat", environment, log, ["--schedule", str(work / "beat")])
    try:
        for service in (web, worker, beat):
            started.append(service.start())
        base = f"http://127.0.0.1:{port}"
        if not wait_for(lambda: _healthy(base), timeout=60):
            raise SystemExit("gunicorn did not answer /healthz:\n" + log.read_text()[-3000:])

        answering = [enrol() for _ in range(args.patients)]
        links = []
        for episode in answering:
            invitation = episode.invitations.get(timepoint="baseline")
            links.append((services.invitation_link_issue(invitation=invitation), invitation))
        print(
            f"stack up: gunicorn :{port}, worker, beat, redis :{redis.port}, {args.patients} "
            "patients enrolled",
            flush=True,
        )

        counts = collections.Counter()
        errors: list[str] = []

        def submit_all():
            for token, invitation in links:
                try:
                    browser = Browser(base)
                    browser.get(reverse("patient:start", args=[token]))
                    steps = [
                        browser.post(reverse("patient:start", args=[token]), dob_form(BIRTH_DATE))
                    ]
                    for page in page_plan(invitation):
                        path = reverse("patient:page", args=[token, page.number])
                        steps.append(browser.post(path, first_answers(page)))
                    steps.append(browser.post(reverse("patient:submit", args=[token]), {}))
                    if all(step.status_code == 302 for step in steps):
                        counts["submissions"] += 1
                    else:
                        errors.append(f"submission answered {[s.status_code for s in steps]}")
                except Exception as error:
                    errors.append(f"submission: {error!r}")
                time.sleep(1.0)

        def enrol_all():
            for _ in range(args.enrolments):
                try:
                    enrol()
                    counts["enrolments"] += 1
                except Exception as error:
                    errors.append(f"enrolment: {error!r}")
                time.sleep(1.0)

        from django.db import connections

        def in_thread(target):
            def run():
                try:
                    target()
                finally:
                    connections.close_all()

            return threading.Thread(target=run)

        load = [in_thread(submit_all), in_thread(enrol_all)]
        load_started = time.monotonic()
        for thread in load:
            thread.start()
        time.sleep(10)
        redis.stop()
        print(f"t={time.monotonic() - load_started:.0f}s Redis stopped", flush=True)
        time.sleep(args.outage)
        redis.start()
        print(f"t={time.monotonic() - load_started:.0f}s Redis started again", flush=True)

        sending = Notification.Status.SENDING
        before = len(notify.sent)
        in_flight = wait_for(
            lambda: (
                len(notify.sent) > before and Notification.objects.filter(status=sending).exists()
            ),
            timeout=120,
        )
        worker.kill()
        print(
            f"t={time.monotonic() - load_started:.0f}s worker killed "
            f"({'mid-send' if in_flight else 'no send was in flight'}); restarted as compose would",
            flush=True,
        )
        worker = Service("worker", environment, log)
        started.append(worker.start())
        for thread in load:
            thread.join()
        print(f"t={time.monotonic() - load_started:.0f}s load finished", flush=True)

        unsettled = [
            *Notification.WAITING,
            Notification.Status.SENDING,
        ]

        def drained() -> bool:
            due = Notification.objects.exclude(channel=Notification.Channel.LETTER)
            return not due.filter(status__in=unsettled).exists()

        settled = wait_for(drained, timeout=args.settle)
        print(
            f"t={time.monotonic() - load_started:.0f}s outbox "
            f"{'drained' if settled else 'NOT drained'}",
            flush=True,
        )

        messages = Notification.objects.exclude(channel=Notification.Channel.LETTER)
        cancelled = messages.filter(status=Notification.Status.CANCELLED).count()
        due = messages.exclude(status=Notification.Status.CANCELLED)
        sent = due.filter(status__in=[Notification.Status.SENT, Notification.Status.DELIVERED])
        references = collections.Counter(message.get("reference") for message in notify.sent)
        twice = sum(1 for count in references.values() if count > 1)
        statuses = dict(due.values_list("status").annotate(n=Count("pk")).order_by())
        print()
        print(
            f"submissions made   {counts['submissions']}  (of {args.patients}; enrolments "
            f"made {counts['enrolments']} of {args.enrolments})"
        )
        print(f"responses stored   {Response.objects.count()}")
        print(f"messages due       {due.count()}  ({cancelled} more cancelled: answered first)")
        print(f"messages sent      {sent.count()}")
        print(f"sent twice         {twice}")
        print(f"lost               {due.count() - sent.count()}  (by status: {statuses})")
        print(
            f"worker alive       {worker.running()}, beat alive {beat.running()}, "
            f"first worker killed mid-send {in_flight}"
        )
        if errors:
            print(f"load errors        {len(errors)}: {errors[:5]}")
        print(f"logs               {log}")
    finally:
        for process in reversed(started):
            process.stop()
        notify.__exit__(None, None, None)


def _healthy(base: str) -> bool:
    import requests

    try:
        return requests.get(base + "/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


if __name__ == "__main__":
    main()
