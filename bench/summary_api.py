"""Benchmark the outcome summary API on a large synthetic population in PostgreSQL.

    # load (about 15 minutes for 1,000,000 responses) and measure:
    .venv/bin/python bench/summary_api.py \
        --database-url postgres://postgres@127.0.0.1:5432/proms_bench_summary --responses 1000000
    # measure an already loaded database:
    .venv/bin/python bench/summary_api.py --database-url ... --skip-load

Loading uses ``manage.py generate_population`` (surveys/synthetic.py, COPY on PostgreSQL).
Each scenario is requested through Django's test client (the whole DRF stack: authentication,
validation, SQL, statistics, disclosure control, JSON rendering) after two warm-up requests,
first with the answer cache off (``--requests-uncached`` times: every request runs the SQL),
then on (``--requests`` times: OUTCOME_SUMMARY_CACHE_SECONDS=300, as in production); p50 and
p95 are printed as Markdown tables for docs/benchmarks.md.
Use a scratch database: the data are synthetic and --reset deletes them.
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

SCENARIOS = [
    ("knee pain, all providers (default: common questionnaire quality of life)", {}),
    ("knee pain, one provider", {"provider": "RK5"}),
    ("knee pain, one quarter", {"period": "2026Q1"}),
    ("knee pain, date range", {"from": "2025-06-01", "to": "2026-05-31"}),
    ("knee pain, OKS total", {"instrument": "oks", "score": "total"}),
    ("knee pain, by practice", {"group_by": "practice"}),
    ("knee pain, monthly series by provider", {"series": "month"}),
    ("back pain, all providers", {"condition": "back-pain"}),
]
OTHER_ENDPOINTS = [
    ("equity, knee pain", "/api/v1/outcomes/equity/", {}),
    ("practices, knee pain", "/api/v1/outcomes/practices/", {}),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/proms_bench_summary"
    )
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=50, help="cached requests per case")
    parser.add_argument(
        "--requests-uncached", type=int, default=10, help="uncached requests per case"
    )
    parser.add_argument("--skip-load", action="store_true")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proms.settings")
    # Settings refuse the public development key outside DEBUG; a bench signs nothing real.
    os.environ.setdefault("SECRET_KEY", "bench-only-throwaway-key-not-a-secret-0123456789")
    os.environ.setdefault("API_ANON_RATE", "100000/minute")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from surveys.models import InstrumentResult, PairedResult, Provider, Response

    if connection.vendor != "postgresql":
        sys.exit("This benchmark needs PostgreSQL (--database-url postgres://...).")
    settings.ALLOWED_HOSTS = ["testserver"]
    setup_test_environment()
    call_command("migrate", verbosity=0)
    if not args.skip_load:
        started = time.perf_counter()
        call_command("generate_population", responses=args.responses, seed=args.seed, reset=True)
        print(f"Loaded in {time.perf_counter() - started:,.0f} s")
    with connection.cursor() as cursor:
        # As autovacuum would after a load: statistics, and the visibility map that lets the
        # response-rate table read its covering index alone.
        cursor.execute("VACUUM (ANALYZE)")
    responses = Response.objects.count()
    results = InstrumentResult.objects.count()
    pairs = PairedResult.objects.count()
    print(f"{responses:,} responses, {results:,} instrument results, {pairs:,} paired results")

    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username="bench-analyst", defaults={"is_staff": True}
    )
    client = Client()
    client.force_login(user)
    # The service's own throttle applies (API_AGGREGATE_RATE per staff user): keep to it rather
    # than raise it, waiting outside the timed part (bench/dashboard.py).
    sys.path.insert(0, str(ROOT / "bench"))
    from dashboard import RatePacer

    pacer = RatePacer(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["aggregate"])
    provider = Provider.objects.order_by("ods_code").values_list("ods_code", flat=True).first()

    cases = [(label, "/api/v1/outcomes/summary/", params) for label, params in SCENARIOS]
    cases += OTHER_ENDPOINTS
    tables = {}
    for mode, seconds, count in (
        ("uncached", 0, args.requests_uncached),
        ("cached", 300, args.requests),
    ):
        settings.OUTCOME_SUMMARY_CACHE_SECONDS = seconds
        rows = []
        for label, url, params in cases:
            query = {"condition": "knee-pain"} | params
            if query.get("provider"):
                query["provider"] = provider
            for _ in range(2):  # warm-up (and, when cached, fills the cache)
                pacer.wait()
                warm = client.get(url, query)
                assert warm.status_code == 200, (label, warm.status_code, warm.content[:300])
            timings = []
            for _ in range(count):
                pacer.wait()
                started = time.perf_counter()
                response = client.get(url, query)
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
            timings.sort()
            p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
            rows.append((label, statistics.median(timings), p95, len(response.json()["results"])))
            print(f"{mode} {label}: p50 {rows[-1][1]:.0f} ms, p95 {p95:.0f} ms", flush=True)
        tables[mode] = (count, rows)

    print()
    print(f"{responses:,} responses ({results:,} instrument results, {pairs:,} paired results)")
    for mode, (count, rows) in tables.items():
        print()
        print(f"{mode}, {count} requests each after 2 warm-up requests:")
        print()
        print("| request | p50 (ms) | p95 (ms) | rows |")
        print("|---|---:|---:|---:|")
        for label, p50, p95, n in rows:
            print(f"| {label} | {p50:.0f} | {p95:.0f} | {n} |")


if __name__ == "__main__":
    main()
