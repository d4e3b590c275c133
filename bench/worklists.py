"""Benchmark the worklists and score alerts on 100,000 synthetic episodes in PostgreSQL.

    .venv/bin/python bench/worklists.py --database-url postgres://postgres@127.0.0.1:5432/proms_bench_worklists
    .venv/bin/python bench/worklists.py --database-url ... --skip-load   # already loaded

Loads ``--patients`` synthetic patients (one episode each; ``manage.py generate_population``,
COPY on PostgreSQL), writes their history as the demo does (care/demo.py: the messages that
carried their links, two locked links and two bounced messages per provider, alerts older than
30 days already dealt with), asks 1 in 200 active episodes' patients to want a call, then:

1. **alert volume**: every stored response evaluated with the current alert rules
   (outcomes/definitions/alert-rules/), printed per rule, per level, per 1,000 answered
   follow-ups and per provider per week over the last year;
2. **page times**: the staff home (six worklist counts), each worklist's first page and the
   alerts list, through Django's test client (middleware, session, template) for a user of the
   largest provider, after two warm-up requests; beside them the "Find a patient" page as the
   baseline (compare ratios: the machine is shared). p50 and p95 in ms, and SQL queries.

Use a scratch database: the data are synthetic and the load replaces them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = [
    ("Find a patient (baseline)", "staff:patient_find", {}),
    ("staff home: six worklist counts (uncached)", "staff:home", {"_cache": 0}),
    ("staff home: six worklist counts (cached 60 s)", "staff:home", {"_cache": 60}),
    ("worklists home", "care:home", {}),
    ("score alerts (new and seen)", "care:alerts", {}),
    ("score alerts (closed)", "care:alerts", {"state": "closed"}),
    ("questionnaires overdue", "care:overdue", {}),
    ("locked links", "care:locked", {}),
    ("messages not delivered", "care:failed_messages", {}),
    ("no contact for 12 weeks", "care:no_contact", {}),
    ("no contact for 4 weeks", "care:no_contact", {"weeks": "4"}),
    ("asked to be contacted", "care:contact_requests", {}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/proms_bench_worklists"
    )
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument(
        "--rebuild-alerts", action="store_true", help="Raise the alerts again (after a rule change)"
    )
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proms.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse
    from django.utils import timezone

    from care.demo import alerts_history_write, demo_history_write
    from care.models import Alert, ContactRequest
    from notifications.models import Notification
    from outcomes.alert_rules import current_rule_set
    from surveys.models import Episode, Provider, Response

    if connection.vendor != "postgresql":
        sys.exit("This benchmark needs PostgreSQL (--database-url postgres://...).")
    settings.ALLOWED_HOSTS = ["testserver"]
    # Pages reference static files; without collectstatic's manifest, serve them plainly.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    setup_test_environment()
    call_command("migrate", verbosity=0)
    if not args.skip_load:
        started = time.perf_counter()
        call_command("generate_population", patients=args.patients, seed=args.seed, reset=True)
        print(f"Population loaded in {time.perf_counter() - started:,.0f} s", flush=True)
    if not Notification.objects.filter(template="demo").exists():
        started = time.perf_counter()
        Alert.objects.all().delete()
        ContactRequest.objects.all().delete()
        history = demo_history_write()
        active = Episode.objects.filter(status=Episode.Status.ACTIVE).order_by("pk")
        ContactRequest.objects.bulk_create(
            (
                ContactRequest(episode_id=pk, provider_id=provider, requested_at=timezone.now())
                for pk, provider in active.values_list("pk", "provider_id")[::200]
            ),
            ignore_conflicts=True,  # the demo history already asked for a few
        )
        print(f"History written in {time.perf_counter() - started:,.0f} s: {history}", flush=True)
    if args.skip_load and args.rebuild_alerts:
        started = time.perf_counter()
        Alert.objects.all().delete()
        alerts_history_write(Episode.objects.all(), timezone.now())
        print(f"Alerts raised again in {time.perf_counter() - started:,.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")

    episodes = Episode.objects.count()
    responses = Response.objects.count()
    follow_ups = Response.objects.filter(invitation__follow_up=True).count()
    print(f"{episodes:,} episodes, {responses:,} responses ({follow_ups:,} follow-ups)")

    # --- 1. Alert volume ----------------------------------------------------------------------
    rule_set = current_rule_set()
    by_rule = Counter(dict(Alert.objects.values_list("rule").annotate(n=Count("pk"))))
    total = sum(by_rule.values())
    responses_alerting = Alert.objects.values("response").distinct().count()
    year_ago = timezone.now() - dt.timedelta(days=365)
    last_year = Alert.objects.filter(raised_at__gte=year_ago)
    providers = Provider.objects.filter(episodes__isnull=False).distinct().count()
    per_week = last_year.count() / 52 / max(providers, 1)
    urgent_week = last_year.filter(level="urgent").count() / 52 / max(providers, 1)
    print()
    print(f"Alert rules {rule_set.version}: {total:,} alerts on {responses:,} responses")
    print()
    print("| rule | level | alerts | per 1,000 follow-ups |")
    print("|---|---|---:|---:|")
    for rule in rule_set.rules:
        n = by_rule.get(rule.code, 0)
        print(f"| {rule.code} | {rule.level} | {n:,} | {1000 * n / max(follow_ups, 1):.1f} |")
    urgent = sum(by_rule.get(r.code, 0) for r in rule_set.rules if r.level == "urgent")
    print(
        f"| all | urgent {urgent:,}, routine {total - urgent:,} | {total:,} "
        f"| {1000 * total / max(follow_ups, 1):.1f} |"
    )
    print()
    print(
        f"Responses raising at least one alert: {responses_alerting:,} of {responses:,} "
        f"({100 * responses_alerting / max(responses, 1):.1f}%). Last 12 months: "
        f"{per_week:.1f} alerts per provider per week ({urgent_week:.1f} urgent), "
        f"{providers} providers."
    )

    # --- 2. Page times ------------------------------------------------------------------------
    provider = (
        Provider.objects.annotate(n=Count("episodes")).order_by("-n").values_list("pk", "name", "n")
    ).first()
    user, _ = get_user_model().objects.get_or_create(username="bench-clinician")
    Provider.objects.get(pk=provider[0]).staff.set([user])
    client = Client()
    client.force_login(user)
    # Staff pages need the second factor (accounts/): verified by a backup-code device, as
    # tests/conftest.py verified_session does after a real code page.
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    device, _ = StaticDevice.objects.get_or_create(user=user, name="Bench backup codes")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    print()
    print(f"Pages for a user of {provider[1]} ({provider[2]:,} episodes), {args.requests} requests")
    print()
    print("| page | p50 (ms) | p95 (ms) | ratio to baseline (p50) | SQL queries |")
    print("|---|---:|---:|---:|---:|")
    baseline = None
    for label, name, params in PAGES:
        params = dict(params)
        settings.WORKLIST_COUNTS_CACHE_SECONDS = params.pop("_cache", 0)
        url = reverse(name)
        for _ in range(2):
            warm = client.get(url, params)
            assert warm.status_code == 200, (label, warm.status_code)
        timings = []
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.get(url, params)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        with CaptureQueriesContext(connection) as queries:
            client.get(url, params)
        timings.sort()
        p50 = statistics.median(timings)
        p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
        baseline = baseline or p50
        print(
            f"| {label} | {p50:.0f} | {p95:.0f} | {p50 / baseline:.1f} | {len(queries)} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
