"""The embedded scheduler for a server-less local run (scripts/serve without REDIS_URL).

It does what Celery beat and a worker do in a deployment: every NOTIFICATIONS_SCHEDULER_SECONDS
it runs the dispatch tick and the outbox relay (tasks run in this process, Celery being eager).
"""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand

from notifications import tasks


class Command(BaseCommand):
    help = "Run the follow-up scheduler in the foreground (dispatch tick and outbox relay)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one tick, then exit")
        parser.add_argument(
            "--interval", type=float, default=settings.NOTIFICATIONS_SCHEDULER_SECONDS
        )

    def handle(self, *args, once=False, interval=30.0, **options):
        stop = threading.Event()
        if not once:
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
            self.stdout.write(f"Follow-up scheduler: a tick every {interval:g} s (Ctrl+C stops)")
        while not stop.is_set():
            try:
                dispatched = tasks.dispatch()
                queued = tasks.relay()
            except Exception as error:  # keep ticking: the next tick retries the same work
                self.stderr.write(f"Scheduler tick failed: {type(error).__name__}: {error}")
            else:
                if any(dispatched.values()) or queued:
                    self.stdout.write(f"Scheduler tick: {dispatched}, {queued} messages queued")
            if once:
                break
            stop.wait(interval)
