"""A dashboard period may name a range of whole months (2025-12..2026-11), first and last
included, read as the outcome API's from/to."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from analytics import summaries
from dashboard.figures import figure_compute
from dashboard.filters import FilterForm, Filters, period_of, period_words
from dashboard.models import DashboardRole
from tests.factories import UserFactory


@pytest.fixture
def analyst(db):
    user = UserFactory()
    DashboardRole.objects.create(user=user, role=DashboardRole.Role.ANALYST)
    return user


def _period_form(value: str) -> FilterForm:
    form = FilterForm({"period": value}, fields=("period",))
    form.is_valid()
    return form


@pytest.mark.django_db
def test_the_filter_form_accepts_a_range_of_whole_months():
    form = _period_form(" 2025-12 .. 2026-11 ")

    assert not form.errors
    assert form.filters().period == "2025-12..2026-11"


@pytest.mark.django_db
def test_the_filter_form_asks_for_a_range_that_ends_before_it_starts_the_right_way_round():
    form = _period_form("2026-11..2025-12")

    assert form.errors["period"] == [
        "The last month comes before the first: enter 2025-12..2026-11 instead."
    ]


@pytest.mark.django_db
def test_the_filter_form_refuses_a_badly_written_range_with_an_example():
    form = _period_form("2025-12..2026-13")

    assert "such as 2025-12..2026-11" in form.errors["period"][0]


def test_a_range_covers_its_first_and_last_month_as_the_apis_from_and_to():
    period = period_of("2025-12..2026-11")
    api = summaries.period_parse(None, dt.date(2025, 12, 1), dt.date(2026, 11, 30))

    assert (period.start, period.end) == (api.start, api.end)
    assert period.label == "2025-12..2026-11"


def test_a_quarter_and_a_month_are_read_as_before():
    assert period_of("2026Q1") == summaries.period_parse("2026Q1")
    assert period_of("2026-03") == summaries.period_parse("2026-03")


def test_a_range_is_named_in_plain_english():
    assert period_words("2025-12..2026-11") == "December 2025 to November 2026"
    assert period_words("2026-01..2026-03") == "January to March 2026"
    assert period_words("2026-03..2026-03") == "March 2026"


def test_a_range_of_a_quarters_months_enrols_and_answers_as_that_quarter(demo_population):
    by_range = figure_compute("condition_activity", filters=Filters(period="2026-01..2026-03"))
    by_quarter = figure_compute("condition_activity", filters=Filters(period="2026Q1"))

    assert any(row["enrolled"] for row in by_quarter["results"])
    assert by_range["results"] == by_quarter["results"]


def test_a_ranges_outcome_figures_are_the_summary_apis_for_the_same_from_and_to(demo_population):
    answer = figure_compute("provider_funnel", filters=Filters(period="2025-12..2026-11"))
    api = summaries.outcome_summary(
        Filters().outcome_query(
            group_by="provider",
            period=summaries.period_parse(None, dt.date(2025, 12, 1), dt.date(2026, 11, 30)),
        )
    )

    assert answer["results"] == api["results"]


def test_a_ranges_monthly_chart_ends_with_its_last_month(demo_population):
    answer = figure_compute("outcome_spc", filters=Filters(period="2025-12..2026-09"))

    assert max(row["period"] for row in answer["results"]) == "2026-09"


def test_the_practice_deciles_of_a_range_leave_out_the_part_quarters_at_its_ends(
    demo_population,
):
    answer = figure_compute("practice_deciles", filters=Filters(period="2025-12..2026-08"))

    assert {row["period"] for row in answer["results"]} == {"2026Q1", "2026Q2"}


def test_the_practice_deciles_of_one_month_keep_the_quarter_it_falls_in(demo_population):
    answer = figure_compute("practice_deciles", filters=Filters(period="2026-02"))

    assert {row["period"] for row in answer["results"]} == {"2026Q1"}


def test_the_overview_page_for_a_range_of_months_answers(client, analyst, demo_population):
    client.force_login(analyst)

    page = client.get(reverse("dashboard:overview") + "?period=2025-12..2026-11")

    assert page.status_code == 200
    assert 'value="2025-12..2026-11"' in page.content.decode()


def _figure_api(client, user, period: str):
    client.force_login(user)
    return client.get(
        reverse("dashboard_api:figure", args=["condition_activity"]), {"period": period}
    )


def test_the_figure_api_for_a_range_of_months_says_which_months(client, analyst, demo_population):
    answer = _figure_api(client, analyst, "2025-12..2026-11")

    assert answer.status_code == 200
    assert answer.json()["meta"]["filters"]["period"] == "2025-12..2026-11"


def test_a_backwards_range_in_the_figure_api_is_a_polite_400(client, analyst, demo_population):
    answer = _figure_api(client, analyst, "2026-11..2025-12")

    assert answer.status_code == 400
    assert "period" in answer.json()["fields"]
