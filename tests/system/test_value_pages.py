"""The value pages in a real browser, with JavaScript off: the STAR report with its chart, a
reallocation, a workshop scenario saved and shown beside the data; axe-core checks each page
(WCAG 2.0/2.1 A and AA) at a phone's width."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from surveys import reference
from tests.factories import ProviderFactory, UserFactory
from tests.system import pages
from value.services import unit_costs_load
from value.synthetic import value_population_write

PASSWORD = "a-long-test-password"
COSTS = Path(__file__).resolve().parents[2] / "value" / "data" / "illustrative_unit_costs.csv"


@pytest.fixture
def value_data(definitions, settings):
    settings.DISCLOSURE_MIN_ADJUSTED = 10
    settings.VALUE_REPORT_CACHE_SECONDS = 0
    reference.areas_load()
    reference.practices_load(mid_notts_only=True)
    unit_costs_load(data=COSTS.read_bytes(), name="Illustrative", illustrative=True)
    value_population_write(patients=250, seed=3, today=dt.date.today())
    user = UserFactory(username="value.analyst")
    ProviderFactory().staff.add(user)
    return user


@pytest.fixture
def no_js_page(context_factory):
    return context_factory(java_script_enabled=False).new_page()


def check(page, axe_check, what: str) -> None:
    assert page.locator("h1").count() == 1, f"{what}: expected exactly one <h1>"
    assert "Traceback" not in page.content()
    axe_check(page, what)


def test_staff_read_the_star_report_and_save_a_scenario(value_data, live_server, page, axe_check):
    analyst = get_user_model().objects.get(username="value.analyst")
    pages.staff_log_in(page, live_server.url, analyst, PASSWORD)

    page.goto(
        f"{live_server.url}/staff/value/?condition=back-pain&counterfactual=assumption"
        "&counterfactual_change=0.04&counterfactual_low=0&counterfactual_high=0.08"
    )
    check(page, axe_check, "value report")
    assert "gives the most health for the money" in page.content()
    chart = page.locator("figure img")
    assert chart.evaluate("img => img.complete && img.naturalWidth > 0"), "the chart loads"
    assert "STAR chart" in chart.get_attribute("alt")

    page.get_by_label("Pounds a year").fill("5000")
    with page.expect_navigation():
        page.get_by_role("button", name="Show the effect").click()
    assert "Moving £5,000 a year" in page.content()
    check(page, axe_check, "value report with a reallocation")

    page.goto(f"{live_server.url}/staff/value/scenarios/")
    check(page, axe_check, "scenarios")
    page.get_by_label("Name", exact=True).fill("Workshop")
    page.get_by_label("Change (e.g. 0.04)").fill("0.04")
    page.get_by_label("Sensitivity low").fill("0")
    page.get_by_label("Sensitivity high").fill("0.08")
    page.get_by_label("Option 1 name").fill("Group exercise classes")
    page.get_by_label("Option 1 patients a year").fill("300")
    page.get_by_label("Option 1 cost per patient").fill("120")
    page.get_by_label("Option 1 QALYs per patient").fill("0.015")
    pages.submit(page)
    assert "Group exercise classes" in page.content()
    check(page, axe_check, "a scenario beside the data")

    for path, what in (
        ("unit-costs/", "unit costs"),
        ("activity/", "activity files"),
        ("budgets/", "budgets"),
    ):
        page.goto(f"{live_server.url}/staff/value/{path}")
        check(page, axe_check, what)


def test_the_report_works_without_javascript(value_data, live_server, no_js_page):
    page = no_js_page
    analyst = get_user_model().objects.get(username="value.analyst")
    pages.staff_log_in(page, live_server.url, analyst, PASSWORD)
    page.goto(f"{live_server.url}/staff/value/")
    page.get_by_label("Kind").select_option("assumption")
    page.get_by_label("Assumed change (e.g. 0.04)").fill("0.04")
    with page.expect_navigation():
        page.get_by_role("button", name="Show value").click()
    assert "Scenario assumption" in page.content()


LAPTOP = {"viewport": {"width": 1280, "height": 800}, "is_mobile": False, "has_touch": False}


@pytest.mark.parametrize("device", ["laptop", "phone"])
def test_staff_download_the_value_report_as_a_pdf(
    value_data, live_server, context_factory, axe_check, device
):
    from tests.reports.conftest import pdf_text

    page = context_factory(**(LAPTOP if device == "laptop" else {})).new_page()
    analyst = get_user_model().objects.get(username="value.analyst")
    pages.staff_log_in(page, live_server.url, analyst, PASSWORD)
    page.goto(
        f"{live_server.url}/staff/value/?condition=back-pain&counterfactual=assumption"
        "&counterfactual_change=0.04&counterfactual_low=0&counterfactual_high=0.08"
    )
    check(page, axe_check, f"value report ({device})")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download this report (PDF)").click()
    assert download.value.suggested_filename.startswith("value-back-pain-")
    text = pdf_text(download.value.path().read_bytes())
    assert "MSK Together value for money: Back pain" in text
    assert "gives the most health for the money" in text
    assert "Equity: who gains for the money, by deprivation fifth" in text
