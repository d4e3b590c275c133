"""Every dashboard figure and page, uncached, on a loaded PostgreSQL database.

    createdb -h 127.0.0.1 -U postgres -T proms_bench_1m proms_bench_mine
    .venv/bin/python bench/dashboard_uncached.py \
        --database-url postgres://postgres@127.0.0.1:5432/proms_bench_mine [--requests 7]
    # only some: --figure outcome_spc --figure equity_gap, --page condition, --no-pages

What it measures, with ``DASHBOARD_CACHE_SECONDS=0`` and ``OUTCOME_SUMMARY_CACHE_SECONDS=0``
(every request runs its SQL):
- each figure function (``dashboard.figures.figure_compute``) for knee pain, default filters;
- each dashboard page (Django test client, as a superuser: the widest view, and the
  between-services page also lists the patient-level drill-down), with ``?condition=knee-pain``
  where the page takes it, plus every value-area tab of the condition page;
- the statements each page runs (count and SQL milliseconds of the slowest page request).

p50 and p95 of ``--requests`` timed runs after one warm-up. It never writes except the
migrations of this branch and the bench user (run it on a copy of the 1M database).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(timings: list[float], share: float) -> float:
    ordered = sorted(timings)
    return ordered[max(0, round(share * len(ordered)) - 1)]


def timed(call, count: int) -> tuple[float, float]:
    call()  # warm-up
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), percentile(timings, 0.95)


def page_cases() -> list[tuple[str, str]]:
    from django.urls import reverse

    from dashboard import views
    from surveys.models import Practice

    practice = Practice.objects.order_by("ods_code").values_list("ods_code", flat=True).first()
    knee = reverse("dashboard:condition", args=["knee-pain"])
    cases = [
        ("overview", reverse("dashboard:overview") + "?condition=knee-pain"),
        ("conditions", reverse("dashboard:conditions")),
        ("condition (knee pain)", knee),
    ]
    for area in views.VALUE_AREAS[1:]:
        if not hasattr(area, "slug"):  # before the condition page had one area per address
            break
        cases.append((f"condition (knee pain) ?area={area.slug}", f"{knee}?area={area.slug}"))
    cases += [
        ("providers", reverse("dashboard:providers") + "?condition=knee-pain"),
        ("practices", reverse("dashboard:practices") + "?condition=knee-pain"),
        (
            f"practice {practice}",
            reverse("dashboard:practice", args=[practice]) + "?condition=knee-pain",
        ),
        ("between services", reverse("dashboard:between") + "?condition=knee-pain"),
        ("methods", reverse("dashboard:methods") + "?condition=knee-pain"),
    ]
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=7)
    parser.add_argument("--figure", action="append", default=[], help="only these figures")
    parser.add_argument("--page", action="append", default=[], help="only pages containing")
    parser.add_argument("--no-figures", action="store_true")
    parser.add_argument("--no-pages", action="store_true")
    parser.add_argument("--no-migrate", action="store_true")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proms.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings, setup_test_environment

    from dashboard.figures import FIGURES, figure_compute
    from dashboard.filters import Filters

    if connection.vendor != "postgresql":
        sys.exit("This benchmark needs PostgreSQL (--database-url postgres://...).")
    settings.ALLOWED_HOSTS = ["testserver"]
    setup_test_environment()
    override_settings(
        DASHBOARD_CACHE_SECONDS=0,
        OUTCOME_SUMMARY_CACHE_SECONDS=0,
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ).enable()
    if not args.no_migrate:
        call_command("migrate", verbosity=0)

    from surveys.models import Response

    print(f"{Response.objects.count():,} responses; {args.requests} timed runs after a warm-up")
    if not args.no_figures:
        print("\n| figure (knee pain, uncached) | p50 ms | p95 ms |\n|---|---:|---:|")
        for name in args.figure or list(FIGURES):
            p50, p95 = timed(lambda n=name: figure_compute(n, filters=Filters()), args.requests)
            print(f"| {name} | {p50:,.0f} | {p95:,.0f} |", flush=True)
    if args.no_pages:
        return
    user, _ = get_user_model().objects.get_or_create(
        username="bench-dashboard-superuser", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    # Past the second factor, as after the code page (a backup-code device of the bench user).
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    device, _ = StaticDevice.objects.get_or_create(user=user, name="Bench backup codes")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    print("\n| page (uncached) | p50 ms | p95 ms | statements | SQL ms |")
    print("|---|---:|---:|---:|---:|")
    for label, url in page_cases():
        if args.page and not any(p in label for p in args.page):
            continue

        def get(url=url):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        p50, p95 = timed(get, args.requests)
        with CaptureQueriesContext(connection) as captured:
            get()
        sql_ms = sum(float(q["time"]) for q in captured.captured_queries) * 1000
        print(
            f"| {label} | {p50:,.0f} | {p95:,.0f} | {len(captured.captured_queries)} "
            f"| {sql_ms:,.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
