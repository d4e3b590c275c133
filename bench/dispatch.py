"""Benchmark: one follow-up dispatch tick over 100,000 active episodes on PostgreSQL.

    .venv/bin/python bench/dispatch.py                       # builds proms_bench once, then times
    .venv/bin/python bench/dispatch.py --due 500 5000 --runs 3

Builds (once) 100,000 patients each with one active knee-pain episode and four invitations
(400,000 rows; only what is due is touched), then for each "due" figure marks that many
invitations due -- 70% to open, 20% owing a reminder, 10% past their window -- and times one
``dispatch_due`` tick and counts its SQL queries. Nothing is sent: ``enqueue=False`` stops the
tick from queueing the relay, so this times exactly the scheduler's transaction. The database is
a scratch one (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/proms_bench), created
if missing. Figures go in docs/benchmarks.md ("Dispatch tick").
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/proms_bench"
EPISODES = 100_000
BATCH = 10_000


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def build(episodes: int) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from outcomes.models import Pathway
    from surveys.models import Episode, Invitation, Patient, Provider

    call_command("migrate", verbosity=0)
    call_command("load_definitions", verbosity=0)
    if Episode.objects.count() >= episodes:
        return
    print(f"Building {episodes:,} episodes with 4 invitations each (once)...", flush=True)
    started = time.perf_counter()
    pathway = Pathway.objects.filter(code="knee-pain").order_by("-version").first()
    providers = [
        Provider.objects.get_or_create(
            ods_code=f"BEN{n}", defaults={"name": f"Bench provider {n}", "kind": "msk-hub"}
        )[0]
        for n in range(5)
    ]
    today = timezone.localdate()
    later = timezone.now() + dt.timedelta(days=30)
    instruments = [["mskt-core", "1.0.0"], ["oks", "1.0.0"]]
    for start in range(0, episodes, BATCH):
        stop = min(start + BATCH, episodes)
        patients = Patient.objects.bulk_create(
            Patient(
                nhs_number=f"8{n:09d}",
                given_name="Bench",
                family_name=f"Patient{n}",
                date_of_birth=dt.date(1950, 1, 1) + dt.timedelta(days=n % 15000),
                sex="female" if n % 2 else "male",
                address_line_1=f"{n} Bench Street",
                town="Mansfield",
                postcode="NG18 1AA",
                mobile=f"+4477009{n % 100000:05d}" if n % 10 else "",
                email=f"bench{n}@example.com" if n % 3 == 0 else "",
                preferred_channel="sms" if n % 10 else "letter",
                contact_consent=True,
            )
            for n in range(start, stop)
        )
        created = Episode.objects.bulk_create(
            Episode(
                patient=patient,
                pathway=pathway,
                provider=providers[patient.pk % 5],
                referred_on=today - dt.timedelta(days=7),
                last_contact_at=timezone.now() - dt.timedelta(days=7),
            )
            for patient in patients
        )
        Invitation.objects.bulk_create(
            Invitation(
                episode=episode,
                timepoint=timepoint,
                due_on=today + dt.timedelta(days=offset),
                opens_on=today + dt.timedelta(days=offset - 7),
                closes_on=today + dt.timedelta(days=offset + 21),
                follow_up=True,
                instruments=instruments,
                next_action_at=later + dt.timedelta(days=offset),
            )
            for episode in created
            for timepoint, offset in (
                ("6-weeks", 35),
                ("3-months", 84),
                ("6-months", 175),
                ("12-months", 358),
            )
        )
        print(f"  {stop:,} episodes ({time.perf_counter() - started:.0f} s)", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def prepare(due: int, now: dt.datetime) -> None:
    """Make exactly ``due`` invitations due: 70% to open, 20% reminders, 10% expired."""
    from django.db import connection

    from notifications.models import Notification
    from surveys.models import Invitation

    today = now.date()
    opening, reminding = int(due * 0.7), int(due * 0.2)
    expiring = due - opening - reminding
    Notification.objects.all().delete()
    later = now + dt.timedelta(days=30)
    with connection.cursor() as cursor:
        # Put back whatever the previous run changed, then pick the due rows.
        cursor.execute(
            "UPDATE surveys_invitation SET status = 'scheduled', sent_at = NULL,"
            " token_hash = NULL, next_action_at = %s, opens_on = %s, closes_on = %s"
            " WHERE timepoint = '6-weeks' AND (next_action_at IS NULL OR next_action_at < %s"
            " OR status <> 'scheduled')",
            [later, today + dt.timedelta(days=28), today + dt.timedelta(days=56), later],
        )
        ids = list(
            Invitation.objects.filter(timepoint="6-weeks")
            .order_by("?")
            .values_list("pk", flat=True)[:due]
        )
        groups = {
            "open": ids[:opening],
            "remind": ids[opening : opening + reminding],
            "expire": ids[opening + reminding : opening + reminding + expiring],
        }
        cursor.execute(
            "UPDATE surveys_invitation SET next_action_at = %s, opens_on = %s, closes_on = %s"
            " WHERE id = ANY(%s)",
            [now - dt.timedelta(minutes=1), today, today + dt.timedelta(days=21), groups["open"]],
        )
        cursor.execute(
            "UPDATE surveys_invitation SET status = 'sent', sent_at = %s, next_action_at = %s,"
            " opens_on = %s, closes_on = %s, token_hash = md5(id::text) WHERE id = ANY(%s)",
            [
                now - dt.timedelta(days=3, minutes=5),
                now - dt.timedelta(minutes=5),
                today - dt.timedelta(days=4),
                today + dt.timedelta(days=17),
                groups["remind"],
            ],
        )
        cursor.execute(
            "UPDATE surveys_invitation SET status = 'sent', next_action_at = %s,"
            " opens_on = %s, closes_on = %s WHERE id = ANY(%s)",
            [
                now - dt.timedelta(minutes=1),
                today - dt.timedelta(days=30),
                today - dt.timedelta(days=1),
                groups["expire"],
            ],
        )
        cursor.execute("ANALYZE surveys_invitation")


def explain_due_query(now: dt.datetime) -> str:
    from django.db import connection

    from surveys.models import Invitation

    query = (
        Invitation.objects.filter(status__in=Invitation.OUTSTANDING, next_action_at__lte=now)
        .order_by("next_action_at")
        .values("pk")[:10_000]
    )
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def tick(due: int, now: dt.datetime) -> tuple[float, int, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from notifications.services import dispatch_due

    prepare(due, now)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        report = dispatch_due(now=now, limit=10_000, enqueue=False)
        elapsed = time.perf_counter() - started
    return elapsed, len(queries.captured_queries), report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--due", type=int, nargs="+", default=[500, 5000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--episodes", type=int, default=EPISODES)
    args = parser.parse_args()

    url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        sys.exit("bench/dispatch.py needs a PostgreSQL DATABASE_URL (a scratch database).")
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proms.settings")
    # Settings refuse the public development key outside DEBUG; a bench signs nothing real.
    os.environ.setdefault("SECRET_KEY", "bench-only-throwaway-key-not-a-secret-0123456789")
    # The demo definitions: licensed wording is never in the repository, so placeholder labels
    # stand in (in production the scheduler would hold these invitations, issue 14).
    os.environ.setdefault("ALLOW_PLACEHOLDER_WORDING", "true")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    ensure_database(url)

    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    build(args.episodes)
    # A weekday at 10:00 UK time: outside quiet hours, so no message is held.
    now = timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time(10, 0)))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM surveys_invitation")
        invitations = cursor.fetchone()[0]
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    print(f"PostgreSQL {version}; {args.episodes:,} active episodes; {invitations:,} invitations")
    print("| due | opened | reminded | expired | queries | tick (median of runs) | all runs |")
    print("|---:|---:|---:|---:|---:|---:|---|")
    for due in args.due:
        results = [tick(due, now) for _ in range(args.runs)]
        times = [elapsed for elapsed, _, _ in results]
        _, queries, report = results[-1]
        print(
            f"| {due:,} | {report.opened:,} | {report.reminded:,} | {report.expired:,} "
            f"| {queries} | {statistics.median(times):.2f} s "
            f"| {', '.join(f'{t:.2f}' for t in times)} |",
            flush=True,
        )
    print("\nPlan of the due-work query (partial index invitation_due):")
    prepare(max(args.due), now)
    print(explain_due_query(now))


if __name__ == "__main__":
    main()
