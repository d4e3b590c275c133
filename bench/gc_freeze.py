"""What a full garbage collection costs a chart request, before and after ``gc.freeze``.

    .venv/bin/python bench/gc_freeze.py --database-url postgres://.../proms_bench_1m

A chart allocates thousands of matplotlib objects; every so often that sets off a collection
of the oldest generation, which walks every object the process holds: Django, matplotlib,
the statistics libraries and every view. ``proms.serving.process_ready_to_serve`` (called by
proms/wsgi.py as a worker starts) imports every view and freezes those start-up objects, so a
full collection walks only what requests made since. In one process, side by side: first
with every view imported but nothing frozen (as before), then after
``process_ready_to_serve``. Each side: objects the collector tracks, one full collection
(``gc.collect()``, median of 5), and the uncached chart images of the overview and the
knee-pain condition page (the dashboard's charts, ``DASHBOARD_CACHE_SECONDS=0``), with every
full collection that happened during them timed through ``gc.callbacks``.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def load_dashboard_bench():
    """bench/dashboard.py's helpers (its name would clash with the dashboard app)."""
    spec = importlib.util.spec_from_file_location("bench_dashboard", ROOT / "bench/dashboard.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FullCollections:
    """Times every collection of the oldest generation while it is on."""

    def __init__(self) -> None:
        self.durations: list[float] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.durations.append((time.perf_counter() - self._started) * 1000)


def side(client, cases, requests: int) -> dict[str, float]:
    collections = FullCollections()
    full = []
    for _ in range(5):
        started = time.perf_counter()
        gc.collect()
        full.append((time.perf_counter() - started) * 1000)
    timings = []
    gc.callbacks.append(collections)
    try:
        for _label, url, params in cases:
            for _ in range(requests):
                started = time.perf_counter()
                response = client.get(url, params)
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (url, response.status_code)
    finally:
        gc.callbacks.remove(collections)
    timings.sort()
    during = collections.durations or [0.0]
    return {
        "tracked objects": len(gc.get_objects()),
        "frozen objects": gc.get_freeze_count(),
        "one full collection, ms (median of 5)": statistics.median(full),
        "full collections during the chart requests": len(collections.durations),
        "each of them, median ms": statistics.median(during),
        "each of them, max ms": max(during),
        "chart request p50 ms": statistics.median(timings),
        "chart request p95 ms": timings[int(0.95 * (len(timings) - 1))],
        "chart request max ms": timings[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True, help="a database with a population")
    parser.add_argument("--requests", type=int, default=40, help="per chart, each side")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proms.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import override_settings, setup_test_environment
    from django.urls import get_resolver

    from proms.serving import process_ready_to_serve

    bench = load_dashboard_bench()
    settings.ALLOWED_HOSTS = ["testserver"]
    setup_test_environment()
    static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    override_settings(STORAGES={**settings.STORAGES, "staticfiles": static}).enable()
    user, _ = get_user_model().objects.get_or_create(
        username="bench-analyst", defaults={"is_staff": True}
    )
    from dashboard.models import DashboardRole

    DashboardRole.objects.get_or_create(user=user, defaults={"role": DashboardRole.Role.ANALYST})
    client = Client()
    client.force_login(user)
    bench.second_factor_passed(client, user)
    bench.caches_set(settings, {"DASHBOARD_CACHE_SECONDS": 0, "OUTCOME_SUMMARY_CACHE_SECONDS": 0})
    get_resolver().url_patterns  # noqa: B018  (every view imported on both sides)
    cases = bench.chart_cases(client, bench.dashboard_urls() + bench.detail_pages())
    for _label, url, params in cases:  # warm-up: first draws, fonts, templates
        client.get(url, params)
    print(f"{len(cases)} charts x {args.requests} requests each side")
    before = side(client, cases, args.requests)
    process_ready_to_serve()
    after = side(client, cases, args.requests)
    print(f"\n| {'':<45} | not frozen | frozen |\n|---|---:|---:|")
    for name, value in before.items():
        print(f"| {name:<45} | {value:,.0f} | {after[name]:,.0f} |")


if __name__ == "__main__":
    main()
