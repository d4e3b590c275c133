"""Time of a bulk enrolment upload: a CSV of synthetic referrals, first upload and re-upload.

    .venv/bin/python bench/bulk_upload.py [--rows 60] [--runs 3]

Uses a throwaway in-memory database (see ``page_weight.py``). For each run, a fresh file of
``--rows`` synthetic referrals (999-range NHS numbers, knee-pain, one provider) is posted to the
upload page through the whole Django stack with the test client, then posted again (every row
already enrolled). Prints wall-clock milliseconds, SQL queries and rows enrolled per second.
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from page_weight import PLAIN_STATIC, throwaway_database

from surveys import bulk
from surveys.models import Episode, Practice, Provider


def nhs_number(serial: int) -> str:
    """A valid synthetic NHS number in the 999 range (modulus 11; check digit 10 skipped)."""
    while True:
        base = f"999{serial:06d}"
        total = sum(int(d) * w for d, w in zip(base, range(10, 1, -1), strict=True))
        check = (11 - total % 11) % 11
        if check != 10:
            return base + str(check)
        serial += 1


def referrals_csv(first: int, rows: int) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(bulk.COLUMNS)
    serial = first
    for n in range(rows):
        number = nhs_number(serial)
        serial = int(number[3:9]) + 1
        example = dict(bulk.TEMPLATE_EXAMPLE)
        example.update(
            nhs_number=number,
            family_name="Bench" + "".join(chr(ord("a") + int(d)) for d in str(n)),
            provider_ods_code="BENCH",
            practice_ods_code="C84001",
            referred_on="2025-06-01",
        )
        writer.writerow([example.get(column, "") for column in bulk.COLUMNS])
    return out.getvalue().encode()


def timed_post(client: Client, content: bytes) -> tuple[float, int, str]:
    queries: list[str] = []
    with connection.execute_wrapper(
        lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)
    ):
        start = time.perf_counter()
        response = client.post(
            reverse("staff:enrolment_upload"),
            {"referrals": SimpleUploadedFile("referrals.csv", content)},
        )
        elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == 200, response.status_code
    return elapsed, len(queries), response.content.decode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    throwaway_database()
    user = get_user_model().objects.create_user("bench-uploader")
    Provider.objects.create(ods_code="BENCH", name="Bench MSK Hub", kind="msk-hub").staff.add(user)
    Practice.objects.create(ods_code="C84001", name="Bench Practice")
    client = Client()
    client.force_login(user)
    first, again, first_queries, again_queries = [], [], 0, 0
    with override_settings(STORAGES=PLAIN_STATIC):
        for run in range(options.runs):
            content = referrals_csv(run * 100_000, options.rows)
            before = Episode.objects.count()
            ms, first_queries, _page = timed_post(client, content)
            assert Episode.objects.count() - before == options.rows, "not every row enrolled"
            first.append(ms)
            ms, again_queries, _page = timed_post(client, content)
            assert Episode.objects.count() - before == options.rows, "re-upload enrolled again"
            again.append(ms)
    print(f"Bulk upload of {options.rows} referrals ({options.runs} runs, SQLite in memory)")
    print(f"{'':32} {'median ms':>10} {'max ms':>8} {'SQL':>6} {'rows/s':>8}")
    for label, times, queries in (
        ("first upload (all enrolled)", first, first_queries),
        ("same file again (no changes)", again, again_queries),
    ):
        median = statistics.median(times)
        rate = options.rows / (median / 1000)
        print(f"{label:32} {median:10.0f} {max(times):8.0f} {queries:6d} {rate:8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
