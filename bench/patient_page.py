"""Cost of the patient's hot path: SQL queries and CPU time per request, as a table.

    .venv/bin/python bench/patient_page.py [--requests 200]
    DATABASE_URL=postgres://.../proms_bench .venv/bin/python bench/patient_page.py --server

``--server`` compares our page with a bare Django form under gunicorn on PostgreSQL (see
``bench/patient_page_server.py``); without it:

Uses a throwaway in-memory database (see ``page_weight.py``) with one knee-pain invitation and
measures, over ``--requests`` runs each (median and 95th centile of CPU milliseconds):

* POST of the 14-question MSK-HQ page (parse, check, save, redirect), through the whole Django
  stack with the test client;
* GET of the same page (the full HTML response);
* the 14 questions' HTML alone from ``surveys.questionnaire.render_items``;
* the same 14 questions rendered by a Django form with ``RadioSelect`` widgets (Django's
  per-option templates), for comparison.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from django.db import connection
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from page_weight import (
    BIRTH_DATE,
    PLAIN_STATIC,
    answers_for,
    demo_link,
    dob_form,
    throwaway_database,
)

from surveys import questionnaire


def cpu_ms(run, repeats: int) -> tuple[float, float, int]:
    """Median and p95 CPU ms of ``run()`` and the SQL queries of one run."""
    run()  # warm caches, as on a running server
    queries = []
    with connection.execute_wrapper(
        lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)
    ):
        run()
    times = []
    for _ in range(repeats):
        start = time.process_time()
        run()
        times.append((time.process_time() - start) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    return statistics.median(times), p95, len(queries)


def radio_form(page, language: str = "en"):
    """The page's questions as a Django form with RadioSelect widgets (the road not taken)."""
    from patient_page_urls import radio_form as form_for

    return form_for(page.instrument, page.items, language)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument(
        "--server",
        action="store_true",
        help="our page against a bare Django form under gunicorn on PostgreSQL "
        "(bench/patient_page_server.py; DATABASE_URL names a database to drop and rebuild)",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per-round", type=int, default=10)
    args = parser.parse_args()
    if args.server:
        import patient_page_server

        return patient_page_server.main(args.rounds, args.per_round)
    repeats = args.requests
    throwaway_database()
    rows = []
    with override_settings(STORAGES=PLAIN_STATIC, ALLOW_PLACEHOLDER_WORDING=True):
        invitation, token = demo_link()
        # The 1.0.0 versions, a page per instrument: the 14-question MSK-HQ page is the heaviest
        # a patient can meet (episodes enrolled before the 1.1.0 one-question-per-page versions).
        invitation.instruments = [
            [code, "1.0.0"] for code in ("mskt-core", "msk-hq", "oks", "eq-5d-5l", "nrs-pain")
        ]
        invitation.save(update_fields=["instruments"])
        client = Client()
        client.post(reverse("patient:start", args=[token]), dob_form(BIRTH_DATE))
        pages = questionnaire.page_plan(invitation)
        client.post(reverse("patient:page", args=[token, 1]), answers_for(pages[0]))
        page = pages[1]
        assert page.code == "msk-hq" and len(page.items) == 14
        url = reverse("patient:page", args=[token, 2])
        data = answers_for(page)

        def post():
            response = client.post(url, data)
            assert response.status_code == 302, response.status_code

        rows.append(("POST page (14 items): parse, save, redirect", *cpu_ms(post, repeats)))
        rows.append(
            ("GET page (14 items): full HTML response", *cpu_ms(lambda: client.get(url), repeats))
        )
        values = {key: int(value) for key, value in data.items()}
        rows.append(
            (
                "render_items: 14 items, hand-written",
                *cpu_ms(lambda: questionnaire.render_items(page, values=values), repeats),
            )
        )

        def cold():
            questionnaire._fragments.cache_clear()
            questionnaire.render_items(page, values=values)

        rows.append(("render_items: 14 items, fragments rebuilt", *cpu_ms(cold, repeats)))
        form_class = radio_form(page)
        rows.append(
            (
                "Django form, RadioSelect widgets (compare)",
                *cpu_ms(lambda: str(form_class(initial=values)), repeats),
            )
        )
    print(f"{'measure':<46} {'median ms':>10} {'p95 ms':>8} {'SQL':>4}")
    for name, median, p95, queries in rows:
        print(f"{name:<46} {median:>10.2f} {p95:>8.2f} {queries:>4}")
    print(f"({repeats} runs each, CPU time, SQLite in memory; budget: a page POST <= 3 queries)")
    return 0 if rows[0][3] <= 3 else 1


if __name__ == "__main__":
    sys.exit(main())
