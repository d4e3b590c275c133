"""The value API and staff pages: access, validation, the same numbers everywhere, disclosure."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from outcomes.models import AuditEvent
from value.models import Scenario
from value.services import unit_costs_load

from .conftest import ILLUSTRATIVE, TODAY

OPTIONS = "/api/v1/value/options/"
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


def test_the_value_api_needs_a_key_or_staff(client, db):
    assert client.get(OPTIONS, QUERY).status_code in (401, 403)


def test_an_unknown_condition_is_a_400_naming_it(client, staff):
    client.force_login(staff)
    answer = client.get(OPTIONS, {**QUERY, "condition": "elbow"})
    assert answer.status_code == 400
    assert "condition" in answer.json()["error"]


def test_an_assumed_counterfactual_without_its_change_is_a_400(client, staff):
    client.force_login(staff)
    answer = client.get(OPTIONS, {"condition": "back-pain", "counterfactual": "assumption"})
    assert answer.status_code == 400
    assert "counterfactual_change" in answer.json()["error"]


def test_a_timepoint_that_is_not_a_follow_up_is_a_400(client, staff):
    client.force_login(staff)
    answer = client.get(OPTIONS, {**QUERY, "timepoint": "baseline"})
    assert answer.status_code == 400


def test_every_row_states_its_value_set_and_counterfactual(client, staff, population):
    client.force_login(staff)
    answer = client.get(OPTIONS, QUERY).json()
    assert answer["meta"]["value_set"] == "england-2018"
    assert all(row["value_set"] == "england-2018" for row in answer["results"])
    assert all("Scenario assumption" in row["counterfactual"] for row in answer["results"])
    assert answer["meta"]["warning"] is None


def test_a_zero_counterfactual_carries_the_warning(client, staff, population):
    client.force_login(staff)
    answer = client.get(OPTIONS, {**QUERY, "counterfactual": "zero"}).json()
    assert "overstates" in answer["meta"]["warning"]


def test_the_uk_2026_value_set_rescores_the_answers(client, staff, population):
    client.force_login(staff)
    england = client.get(OPTIONS, QUERY).json()["results"][0]
    uk = client.get(OPTIONS, {**QUERY, "value_set": "uk-2026"}).json()["results"][0]
    assert uk["value_set"] == "uk-2026"
    assert uk["qaly_gain_per_patient"] != england["qaly_gain_per_patient"]


def test_the_crosswalk_to_3l_is_offered_and_named(client, staff, population):
    client.force_login(staff)
    answer = client.get(OPTIONS, {**QUERY, "value_set": "crosswalk-3l-uk"}).json()
    assert "van Hout 2012" in answer["meta"]["value_set_title"]
    assert answer["results"][0]["qaly_gain_per_patient"] is not None


def test_the_nice_dsu_mapping_to_3l_is_offered_and_named(client, staff, population):
    client.force_login(staff)
    dsu = client.get(OPTIONS, {**QUERY, "value_set": "dsu-3l-uk"}).json()
    walk = client.get(OPTIONS, {**QUERY, "value_set": "crosswalk-3l-uk"}).json()
    assert "NICE DSU mapping (Hernández Alava et al. 2023)" in dsu["meta"]["value_set_title"]
    assert "by age band and sex" in dsu["meta"]["value_set_note"]
    assert "prefers the DSU mapping" in walk["meta"]["value_set_note"]
    assert all(row["value_set"] == "dsu-3l-uk" for row in dsu["results"])
    gain = dsu["results"][0]["qaly_gain_per_patient"]
    assert gain is not None and gain != walk["results"][0]["qaly_gain_per_patient"]


def test_options_below_the_adjusted_threshold_are_withheld(client, staff, population, settings):
    settings.DISCLOSURE_MIN_ADJUSTED = 10_000
    client.force_login(staff)
    rows = client.get(OPTIONS, QUERY).json()["results"]
    assert rows and all(row["suppressed"] for row in rows)
    assert all(row["benefit_per_patient"] is None for row in rows)
    assert all(row["cost_per_patient"] is None for row in rows)


def test_published_counts_are_rounded(client, staff, population):
    client.force_login(staff)
    rows = client.get(OPTIONS, QUERY).json()["results"]
    assert all(row["patients"] is None or row["patients"] % 5 == 0 for row in rows)


def test_the_csv_has_the_same_numbers_as_the_json(client, staff, population):
    client.force_login(staff)
    rows = client.get(OPTIONS, QUERY).json()["results"]
    text = client.get(OPTIONS, {**QUERY, "format": "csv"}).content.decode()
    table = list(csv.DictReader(io.StringIO(text)))
    assert [r["option"] for r in table] == [r["option"] for r in rows]
    assert float(table[0]["qalys_per_million"]) == pytest.approx(rows[0]["qalys_per_million"])


def test_the_reallocation_endpoint_moves_money_to_the_better_option(client, staff, population):
    client.force_login(staff)
    answer = client.get(
        "/api/v1/value/reallocation/",
        {**QUERY, "source": "DEMOIND", "target": "DEMOCOM", "amount": "10000"},
    ).json()
    move = answer["results"][0]
    assert move["qalys_change"] > 0
    assert move["qalys_change_lower"] <= move["qalys_change"] <= move["qalys_change_upper"]
    assert "Constant returns" in move["assumption"]


def test_moving_more_than_an_option_spends_is_a_400(client, staff, population):
    client.force_login(staff)
    answer = client.get(
        "/api/v1/value/reallocation/",
        {**QUERY, "source": "DEMOIND", "target": "DEMOCOM", "amount": "999999999"},
    )
    assert answer.status_code == 400
    assert "amount" in answer.json()["error"]


def test_equity_rows_are_by_deprivation_fifth(client, staff, population):
    client.force_login(staff)
    rows = client.get("/api/v1/value/equity/", QUERY).json()["results"]
    assert {row["imd_quintile"] for row in rows} <= {1, 2, 3, 4, 5, None}


def test_equity_rows_carry_intervals_in_the_json_and_the_csv(client, staff, population, settings):
    settings.DISCLOSURE_MIN_ADJUSTED = 10
    client.force_login(staff)
    rows = client.get("/api/v1/value/equity/", QUERY).json()["results"]
    shown = [r for r in rows if not r["suppressed"]]
    assert shown
    for row in shown:
        assert row["benefit_per_patient_lower"] <= row["benefit_per_patient"]
        assert row["benefit_per_patient"] <= row["benefit_per_patient_upper"]
    text = client.get("/api/v1/value/equity/", {**QUERY, "format": "csv"}).content.decode()
    table = list(csv.DictReader(io.StringIO(text)))
    first = next(r for r in table if r["suppressed"] in ("False", "false"))
    assert float(first["qalys_per_million_lower"]) == pytest.approx(
        shown[0]["qalys_per_million_lower"]
    )


# --- pages ------------------------------------------------------------------------------------


def test_the_value_page_asks_for_a_log_in(client, db):
    assert client.get("/staff/value/").status_code == 302


def test_the_value_page_shows_the_reading_chart_table_and_csv_link(client, staff, population):
    client.force_login(staff)
    page = client.get("/staff/value/", QUERY).content.decode()
    assert "gives the most health for the money" in page
    assert '<img src="/staff/value/star.svg?' in page
    assert "format=csv" in page
    assert "England (Devlin et al. 2018)" in page
    assert "Illustrative costs" in page
    assert " style=" not in page and "<script" not in page


def test_the_value_page_says_costs_are_missing_rather_than_failing_without_unit_costs(
    client, staff, population
):
    from value.models import UnitCostSchedule

    UnitCostSchedule.objects.all().delete()
    client.force_login(staff)

    response = client.get("/staff/value/", QUERY)

    assert response.status_code == 200
    assert "no option has costs recorded yet" in response.content.decode()


def test_an_option_without_costs_has_no_cost_per_qaly_rather_than_zero(client, staff, population):
    from value.models import UnitCostSchedule

    UnitCostSchedule.objects.all().delete()
    client.force_login(staff)

    rows = client.get(OPTIONS, QUERY).json()["results"]

    published = [r for r in rows if not r["suppressed"]]
    assert published and all(r["cost_per_qaly"] is None for r in published)
    assert all(r["qalys_per_million"] is None for r in published)


def test_the_value_page_reads_a_reallocation(client, staff, population):
    client.force_login(staff)
    page = client.get(
        "/staff/value/", {**QUERY, "source": "DEMOIND", "target": "DEMOCOM", "amount": "10000"}
    ).content.decode()
    assert "Moving £10,000 a year from" in page


def test_a_bad_query_on_the_page_is_a_polite_400(client, staff):
    client.force_login(staff)
    answer = client.get("/staff/value/", {"condition": "elbow"})
    assert answer.status_code == 400
    assert "There is a problem" in answer.content.decode()


def test_the_chart_is_an_svg_without_inline_styles(client, staff, population):
    client.force_login(staff)
    answer = client.get("/staff/value/star.svg", QUERY)
    assert answer["Content-Type"] == "image/svg+xml"
    svg = answer.content.decode()
    assert "<svg" in svg and "style=" not in svg and "<style" not in svg
    assert "England (Devlin et al. 2018)" in svg  # the value set travels with the image
    assert "Scenario assumption" in svg and "ILLUSTRATIVE" in svg


def test_only_programme_staff_may_load_unit_costs(client, staff):
    client.force_login(staff)
    answer = client.post("/staff/value/unit-costs/", {"name": "x"})
    assert answer.status_code == 403


def test_a_scenario_saved_on_the_page_is_versioned_and_exported(client, staff, population):
    client.force_login(staff)
    form = {
        "name": "Back pain workshop",
        "condition": "back-pain",
        "change": "0.04",
        "low": "0",
        "high": "0.08",
        "option-0-label": "Group exercise classes",
        "option-0-patients": "300",
        "option-0-cost": "120",
        "option-0-benefit": "0.015",
        "option-0-basis": "=HYPERLINK(1)",
    }
    answer = client.post("/staff/value/scenarios/", form)
    scenario = Scenario.objects.get()
    assert answer.status_code == 302
    client.post(f"/staff/value/scenarios/{scenario.pk}/", {**form, "note": "second look"})
    assert scenario.versions.count() == 2
    assert AuditEvent.objects.filter(action="value.scenario_saved").count() == 2
    page = client.get(f"/staff/value/scenarios/{scenario.pk}/").content.decode()
    assert "workshop estimate" in page and "Group exercise classes" in page
    assert 'id="low" name="low" value="0"' in page  # a saved 0 is shown, not blanked
    export = client.get(f"/staff/value/scenarios/{scenario.pk}/export.csv?version=1")
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    workshop = next(r for r in rows if r["source"] == "workshop estimate")
    assert float(workshop["qalys_per_million"]) == pytest.approx(0.015 / 120 * 1e6)
    assert workshop["basis"].startswith("'=")  # never a formula in a spreadsheet
    assert any(r["source"] == "data" for r in rows)


def test_a_scenario_with_a_bad_option_shows_the_problem(client, staff):
    client.force_login(staff)
    answer = client.post(
        "/staff/value/scenarios/",
        {
            "name": "W",
            "condition": "back-pain",
            "change": "0.04",
            "low": "0",
            "high": "0.08",
            "option-0-label": "X",
            "option-0-patients": "lots",
        },
    )
    assert answer.status_code == 400
    assert "There is a problem" in answer.content.decode()
    assert not Scenario.objects.exists()


def test_the_cached_report_is_not_served_after_new_unit_costs(client, staff, population, settings):
    from django.core.cache import cache

    settings.VALUE_REPORT_CACHE_SECONDS = 300
    cache.clear()
    client.force_login(staff)
    first = client.get(OPTIONS, QUERY).json()["results"][0]["cost_per_patient"]
    assert client.get(OPTIONS, QUERY).json()["results"][0]["cost_per_patient"] == first
    doubled = ILLUSTRATIVE.read_bytes().replace(b"55.00", b"110.00").replace(b"120.00", b"240.00")
    unit_costs_load(data=doubled, name="Dearer")
    assert client.get(OPTIONS, QUERY).json()["results"][0]["cost_per_patient"] > first
    cache.clear()


def test_a_comparison_cohort_is_the_comparator_not_a_ranked_option(client, staff, population):
    client.force_login(staff)
    rows = client.get(OPTIONS, {**QUERY, "counterfactual": "cohort", "cohort": "DEMOIND"}).json()[
        "results"
    ]
    cohort = next(r for r in rows if r["option"] == "DEMOIND")
    assert cohort["comparator"] and cohort["rank"] is None
    assert cohort["benefit_per_patient"] == pytest.approx(0.0)
    assert next(r for r in rows if r["option"] == "DEMOCOM")["rank"] == 1
