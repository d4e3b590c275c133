"""Benchmark the dashboard pages, the aggregate API and the board pack at 1,000,000 responses.

    # load (generate_population, COPY) and measure, as loaded and after the nightly rebuild:
    .venv/bin/python bench/dashboard.py \
        --database-url postgres://postgres@127.0.0.1:5432/proms_bench_dashboard --responses 1000000
    # measure an already loaded database, with the query plans of the slowest answers:
    .venv/bin/python bench/dashboard.py --database-url ... --skip-load --explain
    # as loaded only (skip the long nightly rebuild), or after the rebuild only:
    .venv/bin/python bench/dashboard.py --database-url ... --skip-load --phase loaded
    .venv/bin/python bench/dashboard.py --database-url ... --skip-load --phase rebuilt

What is measured (each through Django's test client: middleware, authentication, validation,
SQL, statistics, disclosure control, rendering):
- every page under the ``dashboard`` URL namespace that takes no path argument (discovered from
  the URLconf, so pages added later are measured without editing this file), with
  ``?condition=knee-pain``; the condition page of each active condition; the practice page of
  the practice with the most referrals; ``--url`` adds more;
- one chart image (SVG) of each figure the overview, condition and providers pages draw
  (found in their HTML), and ``/api/v1/dashboard/<figure>/`` for the same figures;
- the aggregate API: summary, equity and practices for knee pain;
- the staff reports page; and the time to build one board pack (figures, charts and PDF).

Pages, charts and API answers: p50 and p95 uncached and cached, after two warm-up requests
each. Uncached means nothing is kept between requests: the dashboard's figure and chart cache
(``DASHBOARD_CACHE_SECONDS=0``, dashboard/cache.py) and the aggregate API's answer cache
(``OUTCOME_SUMMARY_CACHE_SECONDS=0``) are off and the cache is emptied first, so every request
runs its SQL and draws its charts. Cached: the dashboard's default (300 s, keyed by the data
version) and the API answer cache on (300 s, as a deployment may set it). The board pack is
timed uncached (the figures computed and the charts drawn for it) and after the dashboard's
pages have filled the cache.

The service's default settings apply, the throttle included: the bench signs in as an analyst
with an API key for the API and as staff for the pages, and keeps to the documented rate
(``API_AGGREGATE_RATE`` per key or user): it waits before a request that would exceed it, and
never counts a wait in a timing. It measures the tables as a running service has them: first as
loaded (autovacuum left to itself, as after a bulk load), then after the nightly job
(``surveys.rebuild_paired_results``, as Celery beat runs it at 02:30).
Use a scratch database: the data are synthetic and loading deletes any generated population.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

API_CASES = [
    ("API summary, knee pain by provider", "/api/v1/outcomes/summary/", {}),
    ("API summary, knee pain, 12 months", "/api/v1/outcomes/summary/", {"period": "12m"}),
    ("API equity, knee pain", "/api/v1/outcomes/equity/", {}),
    ("API practices, knee pain", "/api/v1/outcomes/practices/", {}),
]


class RatePacer:
    """Keep to ``count`` requests per ``seconds``, as DRF's throttle counts them (sliding)."""

    def __init__(self, rate: str):
        from rest_framework.throttling import SimpleRateThrottle

        self.count, self.seconds = SimpleRateThrottle.parse_rate(None, rate)  # self unused
        self.sent: collections.deque[float] = collections.deque()

    def wait(self) -> None:
        now = time.monotonic()
        while self.sent and self.sent[0] <= now - self.seconds:
            self.sent.popleft()
        if len(self.sent) >= self.count:
            time.sleep(self.sent[0] + self.seconds - now + 0.01)
        self.sent.append(time.monotonic())


def dashboard_urls() -> list[tuple[str, str, dict]]:
    """Pages under the ``dashboard`` namespace that need no path argument."""
    from django.urls import URLPattern, URLResolver, get_resolver, reverse

    found = get_resolver().namespace_dict.get("dashboard")
    if found is None:
        return []
    _prefix, resolver = found
    cases = []

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}:{pattern.namespace}" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif (
                isinstance(pattern, URLPattern) and pattern.name and not pattern.pattern.converters
            ):
                if getattr(pattern.pattern, "regex", None) and pattern.pattern.regex.groups:
                    continue
                url = reverse(f"{namespace}:{pattern.name}")
                cases.append((f"dashboard {pattern.name}", url, {"condition": "knee-pain"}))

    walk(resolver.url_patterns, "dashboard")
    return cases


def second_factor_passed(client, user) -> None:
    """Mark the bench's staff session as past the second factor (a backup-code device), as
    after a real log-in: staff pages otherwise redirect to the code page."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_static.models import StaticDevice

    device, _ = StaticDevice.objects.get_or_create(user=user, name="Benchmark backup codes")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


PHASES = (("loaded", "as loaded"), ("rebuilt", "after the nightly rebuild"))


def caches_set(settings, values: dict[str, int]) -> None:
    """Set the cache lifetimes and empty the cache, so a mode starts from nothing."""
    from django.core.cache import cache

    for name, seconds in values.items():
        setattr(settings, name, seconds)
    cache.clear()


def detail_pages() -> list[tuple[str, str, dict]]:
    """The pages that take a path argument: each active condition's page (its first value
    area, the default tab) and, for knee pain, each of its other value areas' tabs; and the
    practice page of the practice with the most referrals (the practice lead's view)."""
    from django.db.models import Count
    from django.urls import NoReverseMatch, reverse

    from outcomes.loading import catalogue
    from surveys.models import Practice

    cases = []
    try:
        for condition in catalogue().conditions.values():
            if condition.active:
                url = reverse("dashboard:condition", args=[condition.code])
                cases.append((f"dashboard condition {condition.code}", url, {}))
        try:
            from dashboard.layout import VALUE_AREAS

            url = reverse("dashboard:condition", args=["knee-pain"])
            cases += [
                (f"dashboard condition knee-pain, {area.slug}", url, {"area": area.slug})
                for area in VALUE_AREAS[1:]
            ]
        except ImportError:  # a branch without the value-area tabs
            pass
        busiest = (
            Practice.objects.annotate(referred=Count("patients__episodes"))
            .order_by("-referred", "ods_code")
            .values_list("ods_code", flat=True)
            .first()
        )
        if busiest:
            url = reverse("dashboard:practice", args=[busiest])
            cases.append((f"dashboard practice {busiest}", url, {"condition": "knee-pain"}))
    except NoReverseMatch:  # a branch without these pages
        pass
    return cases


CHART_SRC = re.compile(r'<img[^>]+src="(/[^"]*/charts/([\w-]+)\.svg[^"]*)"')
CHARTED_PAGES = ("dashboard overview", "dashboard condition knee-pain", "dashboard providers")


def chart_cases(client, pages) -> list[tuple[str, str, dict]]:
    """The first chart image of each figure drawn on the overview, the knee-pain condition
    page and the providers page, as the browser asks for it (from the pages' HTML)."""
    import html

    cases, seen = [], set()
    for label, url, params in pages:
        if label not in CHARTED_PAGES:
            continue
        page = client.get(url, params)
        for src, figure in CHART_SRC.findall(page.content.decode()):
            if figure not in seen:
                seen.add(figure)
                cases.append((f"chart {figure}", html.unescape(src), {}))
    return cases


def dashboard_api_cases(pages) -> list[tuple[str, str, dict]]:
    """``/api/v1/dashboard/<figure>/`` for the overview's figures and the provider funnel."""
    try:
        from dashboard.layout import OVERVIEW
    except ImportError:
        return []
    names = (*OVERVIEW, "equity", "provider_funnel")
    return [
        (f"API dashboard {name}", f"/api/v1/dashboard/{name}/", {"condition": "knee-pain"})
        for name in names
    ]


def percentile(timings: list[float], share: float) -> float:
    ordered = sorted(timings)
    return ordered[max(0, round(share * len(ordered)) - 1)]


def measure(client, pacer, cases, count, explain=False):
    rows = []
    for label, url, params in cases:
        for _ in range(2):  # warm-up (and, when cached, fills the cache)
            pacer.wait()
            warm = client.get(url, params)
            if warm.status_code != 200:
                raise SystemExit(f"{label}: HTTP {warm.status_code} {warm.content[:300]!r}")
        timings = []
        for _ in range(count):
            pacer.wait()
            started = time.perf_counter()
            response = client.get(url, params)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (label, response.status_code)
        rows.append((label, statistics.median(timings), percentile(timings, 0.95)))
        print(f"  {label}: p50 {rows[-1][1]:.0f} ms, p95 {rows[-1][2]:.0f} ms", flush=True)
        if explain:
            explain_slowest(client, url, params)
    return rows


def explain_slowest(client, url, params, top=3):
    """EXPLAIN (ANALYZE, BUFFERS) of the slowest SQL statements one request runs."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url, params)
    selects = [
        q
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))
    ]
    queries = sorted(selects, key=lambda q: -float(q["time"]))[:top]
    for query in queries:
        print(f"    -- {float(query['time']) * 1000:.0f} ms: {query['sql'][:160]}...")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")  # as analytics.summaries runs its statements
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            for (line,) in cursor.fetchall()[:40]:
                print(f"    {line}")


def twelve_months(condition: str):
    """The filters of a monthly pack: the 12 months to the end of last month."""
    import datetime as dt

    from django.utils import timezone

    from reports.calendar import previous_month
    from reports.packs import PackFilters

    _, last = previous_month(timezone.localdate())
    first = last.year * 12 + last.month - 12  # months since year 0, zero-based: 11 months back
    return PackFilters(condition, dt.date(first // 12, first % 12 + 1, 1), last)


def board_pack_seconds(condition: str) -> dict[str, float]:
    """Wall and CPU seconds of one board pack: its figures (with their charts), and figures
    with the PDF, with the caches as the caller left them.

    WeasyPrint lays out a small page first and throws it away: a worker pays its start-up
    (fonts) once, not per pack. CPU seconds are printed beside wall seconds because the
    machine is shared.
    """
    from django.utils import timezone
    from weasyprint import HTML

    from reports.packs import pack_build
    from reports.services import board_pack_pdf

    HTML(string="<p>Warm-up</p>").write_pdf()  # fonts, once per process
    wall, cpu = time.perf_counter(), time.process_time()
    pack = pack_build(twelve_months(condition))
    figures, figures_cpu = time.perf_counter() - wall, time.process_time() - cpu
    pack.made_at = timezone.now()
    _pdf, pages = board_pack_pdf(pack)
    return {
        "figures": figures,
        "figures_cpu": figures_cpu,
        "total": time.perf_counter() - wall,
        "total_cpu": time.process_time() - cpu,
        "pages": pages,
    }


def pack_words(pack: dict[str, float]) -> str:
    return (
        f"{pack['total']:.1f} s wall, {pack['total_cpu']:.1f} s CPU in this process "
        f"({pack['pages']} pages; figures {pack['figures']:.1f} s wall, "
        f"{pack['figures_cpu']:.1f} s CPU; the rest is the PDF)"
    )


def machine_reference() -> dict[str, float]:
    """Milliseconds of fixed work (best of 5), to set runs on different machines side by side:
    the same pages took 1.6-1.9 times as long on one machine of this kind as on another
    (docs/benchmarks.md). Python: a loop of a million multiplications; PostgreSQL: counting a
    million generated rows."""
    from django.db import connection

    def best(call) -> float:
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            call()
            timings.append((time.perf_counter() - started) * 1000)
        return min(timings)

    def count() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM generate_series(1, 1000000)")
            cursor.fetchone()

    return {"python": best(lambda: sum(i * i for i in range(1_000_000))), "postgresql": best(count)}


def machine_words(reference: dict[str, float]) -> str:
    return (
        f"Machine reference (best of 5): Python loop {reference['python']:.0f} ms, "
        f"PostgreSQL count {reference['postgresql']:.0f} ms"
    )


READ_MODELS = (
    "surveys_pairedresult",
    "surveys_episodecohort",
    "surveys_invitationcohort",
    "surveys_invitationtally",
)


def read_model_sizes() -> dict[str, int]:
    """Bytes of each read-model table with its indexes (what the nightly rebuild rewrites)."""
    from django.db import connection

    sizes = {}
    with connection.cursor() as cursor:
        for table in READ_MODELS:
            cursor.execute("SELECT pg_total_relation_size(%s)", [table])
            sizes[table] = int(cursor.fetchone()[0])
    return sizes


def wal_position() -> int:
    """The write-ahead log's position in bytes: what a step wrote to disk, indexes included."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
        return int(cursor.fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/proms_bench_dashboard"
    )
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=30, help="cached requests per case")
    parser.add_argument("--requests-uncached", type=int, default=10)
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument(
        "--phase",
        action="append",
        choices=["loaded", "rebuilt"],
        help="measure as loaded and/or after the nightly rebuild (default both; repeat)",
    )
    parser.add_argument("--skip-rebuild", action="store_true", help="the same as --phase loaded")
    parser.add_argument("--skip-pack", action="store_true", help="do not time a board pack")
    parser.add_argument(
        "--not-ready",
        action="store_true",
        help="skip proms.serving.process_ready_to_serve (gc.freeze), as before it was added",
    )
    parser.add_argument("--explain", action="store_true", help="print plans of slow queries")
    parser.add_argument("--url", action="append", default=[], help="another page to measure")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = args.database_url
    # Production settings (DEBUG off) need a secret key: a throwaway one for this process.
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proms.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from outcomes.access import api_key_issue
    from surveys.models import InstrumentResult, PairedResult, Response
    from surveys.tasks import rebuild_paired_results

    if connection.vendor != "postgresql":
        sys.exit("This benchmark needs PostgreSQL (--database-url postgres://...).")
    settings.ALLOWED_HOSTS = ["testserver"]
    setup_test_environment()
    # Static file names without collectstatic's manifest (a deployment builds it; the pages'
    # cost is the same either way), as the other page benchmarks do.
    from django.test.utils import override_settings

    override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ).enable()
    call_command("migrate", verbosity=0)
    if not args.not_ready:
        # As gunicorn's worker does on importing proms.wsgi: every view loaded, the start-up
        # objects frozen out of the garbage collector's way (proms/serving.py).
        from proms.serving import process_ready_to_serve

        print(f"Ready to serve: {process_ready_to_serve():,} start-up objects frozen")
    if not args.skip_load:
        started = time.perf_counter()
        call_command("generate_population", responses=args.responses, seed=args.seed, reset=True)
        print(f"Loaded in {time.perf_counter() - started:,.0f} s")

    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["aggregate"]
    print(f"Throttle as configured: {rate} per key or user (API_AGGREGATE_RATE)")
    user, _ = get_user_model().objects.get_or_create(
        username="bench-analyst", defaults={"is_staff": True}
    )
    staff = Client()
    try:  # a programme analyst: every provider's figures (dashboard/access.py)
        from dashboard.models import DashboardRole

        DashboardRole.objects.get_or_create(
            user=user, defaults={"role": DashboardRole.Role.ANALYST}
        )
    except ImportError:  # a branch without the dashboard
        pass
    staff.force_login(user)
    second_factor_passed(staff, user)
    _key, raw_key = api_key_issue(name="Benchmark analyst", providers=[])
    api = Client(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    window = twelve_months("knee-pain")
    twelve = {"from": window.date_from.isoformat(), "to": window.date_to.isoformat()}

    def api_cases():
        cases = []
        for label, url, params in API_CASES:
            query = {"condition": "knee-pain"}
            if params.get("period") == "12m":
                query |= twelve
            cases.append((label, url, query))
        return cases

    pages = dashboard_urls() + detail_pages() + [(f"page {u}", u, {}) for u in args.url]
    pages.append(("reports page", "/staff/reports/", {}))
    if not dashboard_urls():
        print("No 'dashboard' URL namespace on this branch: measuring the API and reports.")
    charts, figures = chart_cases(staff, pages), dashboard_api_cases(pages)
    print(f"Measuring {len(pages)} pages, {len(charts)} charts and {len(figures)} figure answers")

    pacer_api, pacer_staff = RatePacer(rate), RatePacer(rate)  # the throttle's two clients
    wanted = set(args.phase or (["loaded"] if args.skip_rebuild else ["loaded", "rebuilt"]))
    phases = [name for key, name in PHASES if key in wanted]
    defaults = {
        "DASHBOARD_CACHE_SECONDS": settings.DASHBOARD_CACHE_SECONDS,
        "OUTCOME_SUMMARY_CACHE_SECONDS": settings.OUTCOME_SUMMARY_CACHE_SECONDS,
    }
    modes = (
        ("uncached", {"DASHBOARD_CACHE_SECONDS": 0, "OUTCOME_SUMMARY_CACHE_SECONDS": 0}),
        (
            "cached",
            {
                "DASHBOARD_CACHE_SECONDS": defaults["DASHBOARD_CACHE_SECONDS"] or 300,
                "OUTCOME_SUMMARY_CACHE_SECONDS": 300,
            },
        ),
    )
    results = {}
    for phase in phases:
        if phase != PHASES[0][1]:
            sizes, wal = read_model_sizes(), wal_position()
            started = time.perf_counter()
            rebuild_paired_results()
            print(
                "Nightly rebuild (surveys.rebuild_paired_results): "
                f"{time.perf_counter() - started:,.0f} s, "
                f"{(wal_position() - wal) / 2**20:,.0f} MB of write-ahead log"
            )
            after = read_model_sizes()
            for table, size in sizes.items():
                print(f"  {table}: {size / 2**20:,.0f} MB -> {after[table] / 2**20:,.0f} MB")
        print(f"\n== {phase} ==")
        # Before each phase: the machine's speed drifts within a run, too.
        reference = results[(phase, "machine")] = machine_reference()
        print(f" {machine_words(reference)}")
        for mode, values in modes:
            count = args.requests_uncached if mode == "uncached" else args.requests
            caches_set(settings, values)
            print(f" {mode}: {', '.join(f'{k}={v}' for k, v in values.items())}")
            rows = measure(
                api, pacer_api, api_cases(), count, explain=args.explain and mode == "uncached"
            )
            rows += measure(api, pacer_api, figures, count)
            rows += measure(staff, pacer_staff, pages, count)
            rows += measure(staff, pacer_staff, charts, count)
            results[(phase, mode)] = (count, rows)
            if args.skip_pack:
                continue
            if mode == "uncached":
                caches_set(settings, values)  # empty: the pack computes and draws everything
            pack = results[(phase, f"pack {mode}")] = board_pack_seconds("knee-pain")
            print(f" board pack, knee pain, 12 months, {mode}: {pack_words(pack)}")
        caches_set(settings, defaults)

    responses = Response.objects.count()
    results_count = InstrumentResult.objects.count()
    pairs = PairedResult.objects.count()
    print()
    print(
        f"{responses:,} responses ({results_count:,} instrument results, {pairs:,} paired results)"
    )
    for phase in phases:
        print(f"\n### {phase}\n\n{machine_words(results[(phase, 'machine')])}\n")
        print(
            "| request | uncached p50 (ms) | uncached p95 (ms) "
            "| cached p50 (ms) | cached p95 (ms) |"
        )
        print("|---|---:|---:|---:|---:|")
        uncached = results[(phase, "uncached")][1]
        cached = {label: (p50, p95) for label, p50, p95 in results[(phase, "cached")][1]}
        for label, p50, p95 in uncached:
            c50, c95 = cached[label]
            print(f"| {label} | {p50:.0f} | {p95:.0f} | {c50:.0f} | {c95:.0f} |")
        for mode in ("uncached", "cached"):
            if (phase, f"pack {mode}") in results:
                words = pack_words(results[(phase, f"pack {mode}")])
                print(f"\nBoard pack (knee pain, 12 months), {mode}: {words}")


if __name__ == "__main__":
    main()
