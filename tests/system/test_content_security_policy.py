"""Every main patient and staff page, and the API docs, run under the Content-Security-Policy
with no violation: Chromium reports each refused script, style or image on its console."""

from __future__ import annotations

import re

import pytest

from tests.factories import ProviderFactory, UserFactory
from tests.system import pages
from tests.system.conftest import BIRTH_DATE

PASSWORD = "a-long-test-password"
VIOLATION = re.compile(r"Content Security Policy|Refused to (load|apply|execute|frame)", re.I)


@pytest.fixture
def violations(page):
    """Console messages and page errors that report a CSP violation, as they happen."""
    found: list[str] = []
    page.on(
        "console",
        lambda message: (
            found.append(f"{page.url}: {message.text}") if VIOLATION.search(message.text) else None
        ),
    )
    page.on("pageerror", lambda error: found.append(f"{page.url}: {error}"))
    return found


def test_the_policy_is_sent_and_allows_no_inline_script(page, live_server):
    response = page.goto(f"{live_server.url}/")

    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_the_patient_journey_reports_no_violation(page, journey, violations):
    page.goto(journey.link)
    pages.confirm_birth_date(page, BIRTH_DATE)
    seen = [pages.path_of(page)]
    pages.complete_questionnaires(page, on_page=lambda *_: seen.append(pages.path_of(page)))
    pages.submit(page)

    assert pages.DONE_PAGE.search(pages.path_of(page)), pages.path_of(page)
    assert len(seen) > 3
    assert violations == []


def test_the_staff_pages_report_no_violation(page, live_server, journey, violations):
    user = UserFactory(username="csp.staff")
    journey.provider.staff.add(user)
    ProviderFactory()  # a second provider, so the pages have something to filter

    pages.staff_log_in(page, live_server.url, user, PASSWORD)
    for path in (
        "/staff/",
        f"/staff/patients/{journey.patient.pk}/",
        f"/staff/episodes/{journey.episode.pk}/",
        f"/staff/patients/{journey.patient.pk}/enrol/",
        "/staff/patients/new/",
        "/staff/notifications/letters/",
        "/accounts/two-factor/set-up/",
    ):
        page.goto(f"{live_server.url}{path}")
        assert page.locator("h1").count() == 1, path

    assert violations == []


def test_the_api_docs_page_draws_under_its_own_policy(page, live_server, violations):
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.locator(".swagger-ui .information-container").wait_for()

    assert violations == []
