"""Run schemathesis against the live schema with every check: no finding may remain.

The schemathesis command line (as a person would run it) tests a live server of this test run
(pytest-django's ``live_server``, on the test database): it reads ``/api/v1/schema/``, so every
operation is covered, including ones added later; runs every phase (examples, coverage, fuzzing,
stateful) in every generation mode (schema-valid and schema-violating data); and applies every
check (``--checks all``), with the one narrowing in ``tests/api/schemathesis.toml``. A fixed
seed and ``--generation-deterministic`` make the run the same every time, and a few examples
per operation keep it to a minute or two on two cores.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import schemathesis
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from rest_framework.throttling import AnonRateThrottle

from outcomes.access import api_key_issue
from outcomes.loading import catalogue
from outcomes.services import definitions_load
from outcomes.throttling import ClientRateThrottle
from tests.api.conftest import responded_patient

CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES_PER_OPERATION = 10
SEED = 20261205


@pytest.fixture
def fuzz_key(transactional_db, provider_a, monkeypatch, settings):
    """A key for provider A, which has responses to export, with throttling out of the way."""
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    definitions_load(definitions=catalogue())  # a transactional test may follow a flush
    unlimited = {scope: "100000/minute" for scope in ("anon", "aggregate", "export")}
    monkeypatch.setattr(ClientRateThrottle, "THROTTLE_RATES", unlimited)
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", unlimited)
    for _ in range(2):
        responded_patient(provider_a)
    _client, raw_key = api_key_issue(name="Fuzzer", providers=[provider_a])
    return raw_key


def test_schemathesis_with_every_check_finds_nothing(fuzz_key, live_server, tmp_path):
    command = [sys.executable, "-m", "schemathesis.cli", "--no-color"]
    command += [
        "--config-file",
        str(CONFIG),
        "run",
        f"{live_server.url}/api/v1/schema/?format=json",
    ]
    command += [
        "--checks",
        "all",
        "--mode",
        "all",
        "--header",
        f"Authorization: Api-Key {fuzz_key}",
    ]
    command += ["--max-examples", str(EXAMPLES_PER_OPERATION), "--seed", str(SEED)]
    command += ["--generation-deterministic", "--request-timeout", "30"]
    command += ["--report", "junit", "--report-dir", str(tmp_path)]
    run = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=900, check=False
    )
    output = run.stdout + run.stderr
    tested = re.search(r"Tested: (\d+)", output)
    cases = re.search(r"(\d+) generated, (\d+) passed", output)

    assert run.returncode == 0, output[-12000:]
    assert tested and int(tested[1]) >= 11, output[-4000:]  # every operation of the schema
    assert cases and cases[1] == cases[2] and int(cases[1]) > 500, output[-4000:]
    print(output[output.find("SUMMARY") :])


def test_the_schema_generates_without_warnings_and_validates(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )

    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3")


@pytest.mark.parametrize(
    "path",
    ["/api/v1/outcomes/summary/", "/api/v1/outcomes/equity/", "/api/v1/outcomes/practices/"],
)
def test_an_aggregate_request_without_a_key_is_the_documented_401(
    path, settings, loaded_definitions
):
    settings.ALLOWED_HOSTS = ["localhost"]
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
    case = schema[path]["GET"].Case(query={"condition": "knee-pain"})
    response = case.call()
    assert response.status_code == 401
    case.validate_response(response)  # a documented status with a body matching the schema
