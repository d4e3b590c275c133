"""One number everywhere: for the same filters, the board pack's PDF text (pypdf), the dashboard
page's HTML and ``/api/v1/dashboard/<figure>/`` carry the same figures, written the same way.

The pack covers every month of the synthetic history (November 2024 to November 2026), and its
dashboard part the pack's own months (period 2024-01..2026-11), so its comparison sections and
the dashboard with that period read the same pairs.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings

from dashboard.models import DashboardRole
from dashboard.templatetags.dashboard import cell
from outcomes.models import AuditEvent
from reports import services
from reports.packs import PackFilters, number
from tests.conftest import verified_session
from tests.factories import UserFactory
from tests.reports.conftest import pdf_text

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 11, tzinfo=dt.UTC)
EVERY_MONTH = PackFilters("knee-pain", dt.date(2024, 1, 1), dt.date(2026, 11, 30))
# The same filters on the page and in the API: the pack's months as the dashboard's period.
QUERY = {"condition": "knee-pain", "period": "2024-01..2026-11"}


@pytest.fixture(scope="module")
def seen(population, django_db_blocker):
    """The pack's text, the overview and providers pages' text, and the API's figures, read
    once for the module (building a pack takes seconds)."""
    from proms.celery import app

    static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    eager, app.conf.task_always_eager = app.conf.task_always_eager, True
    with (
        django_db_blocker.unblock(),
        time_machine.travel(NOW, tick=False),
        override_settings(STORAGES={**settings.STORAGES, "staticfiles": static}),
    ):  # what the per-test autouse fixtures (tests/conftest.py) set, for the whole module
        cache.clear()
        user = UserFactory(username="consistency.analyst")
        DashboardRole.objects.create(user=user, role=DashboardRole.Role.ANALYST)
        analyst = Client()
        analyst.force_login(user)
        verified_session(analyst, user)  # the autouse fixture that does this is per test
        pack = services.board_pack_request(filters=EVERY_MONTH, by=None)  # built on commit
        pack.refresh_from_db()
        assert pack.pdf, pack.error
        pages = {
            path: page_text(analyst.get(path, QUERY))
            for path in ("/staff/dashboard/", "/staff/dashboard/providers/")
        }
        api = {
            name: analyst.get(f"/api/v1/dashboard/{name}/", QUERY).json()
            for name in ("condition_activity", "outcome_spc", "equity_gap", "provider_funnel")
        }
        pdf = pdf_text(bytes(pack.pdf))
        AuditEvent.objects.filter(object_id=str(pack.pk), action__startswith="board_pack").delete()
        AuditEvent.objects.filter(actor=user).delete()
        pack.delete()
        user.delete()
    app.conf.task_always_eager = eager
    return {"pdf": pdf, "pages": pages, "api": api}


def page_text(response) -> str:
    """A page's visible text with white space made single spaces, as pdf_text gives the PDF's."""
    assert response.status_code == 200
    body = response.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    return re.sub(r"\s+", " ", text)


def cells(row: dict, *keys: str) -> str:
    """Table cells as the page writes them, in order, as one line of text."""
    return " ".join(cell(row, key) for key in keys)


def test_enrolled_answered_and_response_rate_read_the_same_in_the_pdf_page_and_api(seen):
    rows = {r["condition"]: r for r in seen["api"]["condition_activity"]["results"]}
    knee = rows["knee-pain"]
    assert knee["enrolled"] and knee["response_rate_pct"] is not None
    line = "Knee pain " + cells(
        knee, "enrolled", "answered", "invited", "responded", "not_responded"
    )

    assert line in seen["pages"]["/staff/dashboard/"]
    assert line in seen["pdf"]
    rate = cells(knee, "response_rate_pct", "response_rate_lower", "response_rate_upper")
    assert rate in seen["pages"]["/staff/dashboard/"]
    assert rate in seen["pdf"]


def test_an_outcomes_latest_mean_change_reads_the_same_in_the_pdf_page_and_api(seen):
    rows = [
        r
        for r in seen["api"]["outcome_spc"]["results"]
        if r["outcome"] == "quality-of-life" and r["mean_change"] is not None
    ]
    latest = rows[-1]
    sentence = f"the mean gain was {latest['mean_change']:g} points in {latest['period']}"

    assert sentence in seen["pages"]["/staff/dashboard/"]
    assert sentence in seen["pdf"]


def test_the_equity_gap_reads_the_same_in_the_pdf_page_and_api(seen):
    rows = {r["condition"]: r for r in seen["api"]["equity_gap"]["results"]}
    knee = rows["knee-pain"]
    assert knee["gap"] is not None
    words = f"Knee pain: {knee['gap']:+g} points"

    assert words in seen["pages"]["/staff/dashboard/"]
    assert words in seen["pdf"]


def test_a_providers_adjusted_change_and_its_limits_read_the_same_in_the_pdf_page_and_api(seen):
    published = [
        r
        for r in seen["api"]["provider_funnel"]["results"]
        if r.get("adjusted_change") is not None and r.get("funnel_lower_95") is not None
    ]
    assert published
    page = seen["pages"]["/staff/dashboard/providers/"]
    for row in published:
        adjusted = cell(row, "adjusted_change")
        limits = (cell(row, "funnel_lower_95"), cell(row, "funnel_upper_95"))
        assert adjusted == number(row["adjusted_change"])
        # The page's table: the adjusted change, and its limits in their columns.
        assert f" {adjusted} " in page
        assert f" {limits[0]} " in page and f" {limits[1]} " in page
        # The pack's providers table: the same change, then the same limits.
        assert f"{adjusted} {limits[0]} to {limits[1]}" in seen["pdf"]


def test_the_pack_draws_the_pages_charts_as_images(seen, population):
    from reports.figures import dashboard_filters, dashboard_groups

    with time_machine.travel(NOW, tick=False):
        groups = dashboard_groups(dashboard_filters(EVERY_MONTH))

    charts = [chart for group in groups for chart in group.charts]
    drawn = [chart for chart in charts if chart.image]
    assert {chart.figure for chart in drawn} >= {"outcome_spc", "equity", "practice_deciles"}
    # For print: a PNG at print resolution (reports/figures.py), not the page's SVG.
    assert all(chart.image.startswith("data:image/png;base64,") for chart in drawn)
    for chart in charts:  # every reading and title the pages show is in the PDF
        assert re.sub(r"\s+", " ", chart.title) in seen["pdf"]


def test_the_pdf_names_the_months_its_dashboard_part_covers(seen):
    assert "January 2024 to November 2026 (period 2024-01..2026-11)" in seen["pdf"]
