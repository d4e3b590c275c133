"""Benchmark the answers the cohort read models serve, uncached, beside the code before them.

    # on a copy of the 1,000,000-response database, migrated (the migration writes the rows):
    .venv/bin/python bench/cohorts.py \
        --database-url postgres://postgres@127.0.0.1:5432/proms_bench_copy --baseline f799afb

What is measured, uncached (``OUTCOME_SUMMARY_CACHE_SECONDS=0``, ``DASHBOARD_CACHE_SECONDS=0``),
after one warm-up call each: the aggregate API's equity and practices answers for knee pain
(through Django's test client: authentication, validation, SQL, statistics, disclosure,
JSON; the throttle is raised for the run, as the pacing of bench/dashboard.py would only add
waits that are never timed), and the dashboard figures ``condition_activity`` and
``loss_to_follow_up`` (``dashboard.figures.figure_compute``). With ``--baseline COMMIT`` the
same cases run first on that commit's code (``git archive`` into a temporary directory, same
database), and both are printed side by side. Reads only: the database is not changed, except
for the API key this script issues to sign in with.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

API_CASES = [
    ("API equity, knee pain", "/api/v1/outcomes/equity/", {"condition": "knee-pain"}),
    ("API practices, knee pain", "/api/v1/outcomes/practices/", {"condition": "knee-pain"}),
    (
        "API equity, knee pain by month",
        "/api/v1/outcomes/equity/",
        {"condition": "knee-pain", "series": "month"},
    ),
]
FIGURE_CASES = [
    ("figure condition_activity", "condition_activity", {}),
    ("figure condition_activity, 2025Q3", "condition_activity", {"period": "2025Q3"}),
    ("figure loss_to_follow_up", "loss_to_follow_up", {}),
    ("figure loss_to_follow_up, back pain", "loss_to_follow_up", {"condition": "back-pain"}),
]


def percentile(timings: list[float], share: float) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(runs: int) -> dict[str, list[float]]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proms.settings")
    django.setup()
    from django.conf import settings
    from django.test import Client

    from dashboard.figures import figure_compute
    from dashboard.filters import Filters

    settings.OUTCOME_SUMMARY_CACHE_SECONDS = 0
    settings.DASHBOARD_CACHE_SECONDS = 0
    settings.ALLOWED_HOSTS = ["*"]
    rates = dict(settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}))
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(rates, "100000/minute"),
    }
    from rest_framework.settings import api_settings

    api_settings.reload()
    from rest_framework.throttling import SimpleRateThrottle

    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    from outcomes.access import api_key_issue

    _key, raw_key = api_key_issue(name="Benchmark analyst (cohorts)", providers=[])
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {raw_key}")
    timings: dict[str, list[float]] = {}
    for label, url, params in API_CASES:
        for n in range(runs + 1):
            started = time.perf_counter()
            response = client.get(url, params)
            elapsed = time.perf_counter() - started
            assert response.status_code == 200, (url, response.status_code, response.content[:300])
            if n:  # the first call warms up
                timings.setdefault(label, []).append(elapsed)
    for label, name, params in FIGURE_CASES:
        for n in range(runs + 1):
            started = time.perf_counter()
            figure_compute(name, filters=Filters(**params))
            elapsed = time.perf_counter() - started
            if n:
                timings.setdefault(label, []).append(elapsed)
    return timings


def baseline(commit: str, runs: int) -> dict[str, list[float]]:
    """The cases measured on ``commit``'s code (this script run from a ``git archive``)."""
    git = shutil.which("git") or "git"
    with tempfile.TemporaryDirectory(prefix="bench-cohorts-") as tree:
        archive = subprocess.run(  # noqa: S603 - our own repository and a commit we were given
            [git, "-C", str(ROOT), "archive", commit], check=True, capture_output=True
        )
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as files:
            files.extractall(tree, filter="data")
        script = Path(tree) / "bench" / "cohorts.py"
        script.write_text(Path(__file__).read_text())
        done = subprocess.run(  # noqa: S603 - this script, under the same interpreter
            [sys.executable, str(script), "--json", "--runs", str(runs)],
            check=True,
            capture_output=True,
            text=True,
            cwd=tree,
            env=os.environ,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--runs", type=int, default=10, help="uncached calls per case")
    parser.add_argument("--baseline", help="a commit to measure first, e.g. the one before")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DEBUG", "true")
    if args.json:
        print(json.dumps(measure(args.runs)))
        return
    before = baseline(args.baseline, args.runs) if args.baseline else {}
    after = measure(args.runs)
    print(f"{'case':<40} {'before p50':>11} {'p95':>8} {'after p50':>10} {'p95':>8}  (ms)")
    for label, timings in after.items():
        old = before.get(label)
        cells = (
            f"{1000 * statistics.median(old):>11.0f} {1000 * percentile(old, 0.95):>8.0f}"
            if old
            else f"{'':>11} {'':>8}"
        )
        print(
            f"{label:<40} {cells} {1000 * statistics.median(timings):>10.0f} "
            f"{1000 * percentile(timings, 0.95):>8.0f}"
        )


if __name__ == "__main__":
    main()
