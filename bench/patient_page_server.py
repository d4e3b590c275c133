"""``bench/patient_page.py --server``: our MSK-HQ page against a bare Django form, under gunicorn
on PostgreSQL, side by side in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/proms_bench \\
        .venv/bin/python bench/patient_page.py --server [--rounds 3 --per-round 10]

The named database is dropped and made again (never point it at data you want). gunicorn runs
4 sync workers with ``bench/patient_page_settings.py`` (the project's settings and URLs plus the
baseline page of ``bench/patient_page_urls.py``); 16 respondents, each with their own link, date
of birth confirmed and first page answered, then GET + POST the 14-question MSK-HQ page: our page
(``/q/<token>/page/2/``) and the baseline (``/bench/baseline/<token>/``) in alternating rounds.
Server CPU is read from ``/proc`` for the gunicorn workers and for their PostgreSQL backends, so
the client's own work (same machine) is not counted. Then the final submit's SQL statements are
counted in-process on the same database, transaction statements included.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TICKS = os.sysconf("SC_CLK_TCK")
RESPONDENTS = 16
WORKERS = 4


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Respondent:
    """One patient's browser: its own cookies (CSRF, date-of-birth proof), no redirects."""

    def __init__(self, base: str, token: str):
        self.base, self.token = base, token
        # The server runs as in production (DEBUG off: Secure cookies); the bench speaks plain
        # HTTP on loopback, so it sends them back over http too.
        policy = http.cookiejar.DefaultCookiePolicy(secure_protocols=("https", "wss", "http"))
        self.jar = http.cookiejar.CookieJar(policy)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as response:
            assert response.status == 200, (path, response.status)
            return response.read().decode()

    def post(self, path: str, data: dict, csrf: str) -> int:
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": csrf}).encode()
        request = urllib.request.Request(  # noqa: S310 - the bench's own http://127.0.0.1
            self.base + path, data=body, headers={"Referer": self.base + path}
        )
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as error:  # 302 surfaces here without a redirect handler
            return error.code

    def get_and_post(self, path: str, data: dict) -> None:
        html = self.get(path)
        status = self.post(path, data, CSRF_INPUT.search(html).group(1))
        assert status == 302, (path, status)


def cpu_seconds(pids) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / TICKS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_fresh() -> None:
    """Drop and create the bench database, migrate it and load the definitions."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    name = settings.DATABASES["default"]["NAME"]
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0)
    call_command("load_definitions", verbosity=0)


def respondents_ready(base: str) -> list[Respondent]:
    from page_weight import BIRTH_DATE, answers_for, demo_link, dob_form

    from surveys import questionnaire

    ready = []
    for serial in range(1, RESPONDENTS + 1):
        invitation, token = demo_link(serial=serial)
        respondent = Respondent(base, token)
        start = f"/q/{token}/"
        html = respondent.get(start)
        csrf = CSRF_INPUT.search(html).group(1)
        assert respondent.post(start, dob_form(BIRTH_DATE), csrf) == 302
        pages = questionnaire.page_plan(invitation)
        respondent.get_and_post(f"/q/{token}/page/1/", answers_for(pages[0]))
        respondent.msk_hq = answers_for(pages[1])
        assert pages[1].code == "msk-hq" and len(pages[1].items) == 14
        ready.append(respondent)
    return ready


def run_round(respondents, path_of, repeats: int) -> float:
    """Every respondent GETs and POSTs ``repeats`` times at once; returns wall seconds."""
    errors = []

    def work(respondent):
        try:
            for _ in range(repeats):
                respondent.get_and_post(path_of(respondent), respondent.msk_hq)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(r,)) for r in respondents]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - started


def submit_statements(token: str) -> list[str]:
    """The SQL of the final submit, in-process, with BEGIN/COMMIT counted as statements."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from page_weight import BIRTH_DATE, answers_for, dob_form

    setup_test_environment()  # the test client's host name
    client = Client()  # a fresh browser: confirm the date of birth again

    from surveys import questionnaire
    from surveys.services import invitation_for_token

    client.post(f"/q/{token}/", dob_form(BIRTH_DATE))
    invitation = invitation_for_token(token)
    for page in questionnaire.page_plan(invitation):
        client.post(f"/q/{token}/page/{page.number}/", answers_for(page))
    statements: list[str] = []
    original_commit, original_autocommit = connection._commit, connection._set_autocommit

    def commit():
        statements.append("COMMIT")
        return original_commit()

    def set_autocommit(autocommit):
        if not autocommit:
            statements.append("BEGIN")
        return original_autocommit(autocommit)

    connection._commit, connection._set_autocommit = commit, set_autocommit
    try:
        with connection.execute_wrapper(
            lambda execute, sql, *args: statements.append(sql) or execute(sql, *args)
        ):
            response = client.post(f"/q/{token}/submit/")
    finally:
        del connection._commit, connection._set_autocommit
    assert response.status_code == 302, response.status_code
    return statements


def main(rounds: int, per_round: int) -> int:
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        print("--server needs DATABASE_URL naming a PostgreSQL database (it is dropped first).")
        return 2
    database_fresh()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT / 'bench'}:{ROOT}",
        "DJANGO_SETTINGS_MODULE": "patient_page_settings",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-" + "k" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "proms.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={WORKERS}",
            "--worker-class=sync",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).close()  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not answer /healthz")
        respondents = respondents_ready(base)
        workers = [
            int(p)
            for p in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        ]
        assert len(workers) == WORKERS, workers

        def ours(respondent):
            return f"/q/{respondent.token}/page/2/"

        def bare(respondent):
            return f"/bench/baseline/{respondent.token}/"

        # Warm every worker and its database connection on both pages.
        run_round(respondents, ours, 2)
        run_round(respondents, bare, 2)
        name = settings.DATABASES["default"]["NAME"]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )
            backends = [row[0] for row in cursor.fetchall()]
        totals = {"ours": [0.0, 0.0, 0.0], "bare": [0.0, 0.0, 0.0]}
        for _ in range(rounds):
            for label, path_of in (("ours", ours), ("bare", bare)):
                web, db = cpu_seconds(workers), cpu_seconds(backends)
                wall = run_round(respondents, path_of, per_round)
                totals[label][0] += cpu_seconds(workers) - web
                totals[label][1] += cpu_seconds(backends) - db
                totals[label][2] += wall
        pairs = rounds * per_round * len(respondents)
        statements = submit_statements(respondents[0].token)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    print(
        f"gunicorn {WORKERS} sync workers, PostgreSQL, {len(respondents)} concurrent "
        f"respondents, {pairs} GET+POST pairs per page ({rounds} alternating rounds)"
    )
    print(
        f"{'page (GET + POST, 14 MSK-HQ questions)':<46} {'web CPU ms':>10} "
        f"{'db CPU ms':>10} {'pairs/s':>8}"
    )
    for label, title in (("ours", "our patient page"), ("bare", "bare Django form, plain loop")):
        web, db, wall = totals[label]
        print(
            f"{title:<46} {1000 * web / pairs:>10.2f} {1000 * db / pairs:>10.2f} "
            f"{pairs / wall:>8.1f}"
        )
    ratio = totals["ours"][0] / totals["bare"][0]
    both = (totals["ours"][0] + totals["ours"][1]) / (totals["bare"][0] + totals["bare"][1])
    print(
        f"our web CPU / baseline web CPU: {ratio:.2f} (target <= 1.10); "
        f"with PostgreSQL's: {both:.2f}"
    )
    transaction = [s for s in statements if s in ("BEGIN", "COMMIT") or "SAVEPOINT" in s]
    print(
        f"final submit: {len(statements)} SQL statements, {len(transaction)} of them "
        f"transaction statements or savepoints:"
    )
    for sql in statements:
        print(f"  {' '.join(sql.split())[:110]}")
    return 0 if ratio <= 1.10 else 1
