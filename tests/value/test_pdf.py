"""The value report as a PDF: the same figures as the API for the same filters (one report dict,
formatted by the page's own filters), the warnings, the method and the disclosure note."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.reports.conftest import pdf_text
from value.templatetags.humanize_value import num, percent, pounds

from .conftest import TODAY

PDF = "/staff/value/report.pdf"
QUERY = {
    "condition": "back-pain",
    "counterfactual": "assumption",
    "counterfactual_change": "0.04",
    "counterfactual_low": "0",
    "counterfactual_high": "0.08",
    "referred_from": (TODAY - dt.timedelta(days=730)).isoformat(),
    "referred_to": (TODAY - dt.timedelta(days=224)).isoformat(),
    "replicates": "200",
}


@pytest.fixture
def signed_in(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def pdf(signed_in, population):
    answer = signed_in.get(PDF, QUERY)
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    return pdf_text(answer.content)


def _range(row, key, fmt):
    return f"{fmt(row[key])} ({fmt(row[f'{key}_lower'])} to {fmt(row[f'{key}_upper'])})"


def test_the_pdf_carries_each_options_figures_and_intervals_as_the_api_gives(
    signed_in, population, pdf
):
    rows = signed_in.get("/api/v1/value/options/", QUERY).json()["results"]
    published = [r for r in rows if not r["suppressed"]]
    assert len(published) >= 2
    for row in published:
        assert row["option_label"] in pdf
        assert _range(row, "cost_per_patient", pounds) in pdf
        assert _range(row, "benefit_per_patient", lambda v: num(v, 4)) in pdf
        assert _range(row, "qalys_per_million", lambda v: num(v, 1)) in pdf
        assert pounds(row["total_cost"]) in pdf
        assert percent(row["rank_holds"]) in pdf


def test_the_pdf_carries_each_deprivation_fifths_figures_as_the_api_gives(
    signed_in, population, settings
):
    settings.DISCLOSURE_MIN_ADJUSTED = 10  # 400 patients: enough for some option-and-fifth cells
    rows = signed_in.get("/api/v1/value/equity/", QUERY).json()["results"]
    pdf = pdf_text(signed_in.get(PDF, QUERY).content)
    shown = [r for r in rows if not r["suppressed"]]
    assert shown and any(r["suppressed"] for r in rows)
    assert "No value figure comes from fewer than 10 patients" in pdf
    for row in shown:
        assert _range(row, "benefit_per_patient", lambda v: num(v, 4)) in pdf
        assert _range(row, "qalys_per_million", lambda v: num(v, 1)) in pdf


def test_the_pdf_states_the_value_set_counterfactual_and_illustrative_costs(pdf):
    assert "England (Devlin et al. 2018)" in pdf
    assert "Scenario assumption" in pdf
    assert "ILLUSTRATIVE" in pdf
    assert "STAR chart" in pdf


def test_the_pdf_carries_the_method_sources_and_disclosure_note(pdf):
    assert "Manca" in pdf and "Airoldi" in pdf
    assert "No value figure comes from fewer than 20 patients" in pdf
    assert "Aggregate figures only" in pdf


def test_a_zero_counterfactual_puts_its_warning_in_the_pdf(signed_in, population):
    answer = signed_in.get(PDF, {**QUERY, "counterfactual": "zero"})
    text = pdf_text(answer.content)
    assert "Warning: " in text and "overstates" in text


def test_the_pdf_reads_the_move_the_page_asked_for(signed_in, population):
    move = {"source": "DEMOIND", "target": "DEMOCOM", "amount": "10000"}
    api = signed_in.get("/api/v1/value/reallocation/", {**QUERY, **move}).json()["results"][0]
    text = pdf_text(signed_in.get(PDF, {**QUERY, **move}).content)
    assert "Moving £10,000 a year from" in text
    assert num(api["qalys_change"], 2) in text
    assert f"{num(api['qalys_change_lower'], 2)} to {num(api['qalys_change_upper'], 2)}" in text


def test_the_page_links_to_the_pdf_for_the_same_filters(signed_in, population):
    page = signed_in.get("/staff/value/", QUERY).content.decode()
    assert 'href="/staff/value/report.pdf?condition=back-pain' in page


def test_a_bad_query_for_the_pdf_is_a_400_naming_it(signed_in):
    answer = signed_in.get(PDF, {"condition": "elbow"})
    assert answer.status_code == 400
    assert "condition" in answer.content.decode()


def test_the_pdf_asks_for_a_log_in(client, db):
    assert client.get(PDF, QUERY).status_code == 302
