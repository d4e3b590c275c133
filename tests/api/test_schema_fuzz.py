"""Fuzz every operation of the live OpenAPI schema with schemathesis: no 5xx, responses conform.

The schema is fetched from the running app (``/api/v1/schema/``) through WSGI, so whatever
endpoints exist are covered, including ones added later. Examples are derandomised (the same
on every run, so CI is repeatable) and bounded so the whole test takes well under a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.throttling import AnonRateThrottle
from schemathesis.specs.openapi.checks import positive_data_acceptance

from outcomes.access import api_key_issue
from outcomes.throttling import ClientRateThrottle
from tests.api.conftest import responded_patient

EXAMPLES_PER_OPERATION = 25
# "Schema-valid request rejected" flags a 400 for any input the schema allows. Some rules are
# about meaning, not shape (a timepoint must belong to the condition's pathway), and a polite
# 400 naming the field is the right answer there, so that heuristic is left out. Every other
# check runs: no 5xx, documented status codes, content types, headers and response bodies.
SEMANTIC_CHECKS = [positive_data_acceptance]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def connections_kept_open():
    """Keep the test's database connection through each WSGI request, as Django's test client does.

    Django closes connections at the end of a request; inside the test's transaction that would
    close PostgreSQL's connection under the test (SQLite's in-memory database does not mind).
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_key(provider_a, monkeypatch, settings):
    """A key for provider A, which has responses to export, with throttling out of the way."""
    settings.ALLOWED_HOSTS = ["localhost"]  # schemathesis calls the WSGI app as localhost
    unlimited = {scope: "100000/minute" for scope in ("anon", "aggregate", "export")}
    monkeypatch.setattr(ClientRateThrottle, "THROTTLE_RATES", unlimited)
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", unlimited)
    for _ in range(2):
        responded_patient(provider_a)
    _client, raw_key = api_key_issue(name="Fuzzer", providers=[provider_a])
    return raw_key


def test_every_operation_answers_without_5xx_and_as_documented(fuzz_key):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())
    headers = {"Authorization": f"Api-Key {fuzz_key}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9  # definitions, exports, and any summaries

    examples = 0
    failures: dict[str, str] = {}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):
            nonlocal examples
            examples += 1
            case.call_and_validate(headers=headers, excluded_checks=SEMANTIC_CHECKS)

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as error:  # report every failing operation
            failures[operation.label] = str(error)[:3000]
    print(f"schemathesis: {examples} examples over {len(operations)} operations")
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


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
