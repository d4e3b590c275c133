# ruff: noqa: F811  (the fixtures imported from test_summaries_api are parameters here)
"""Issue 10's figures through the API, against independent calculations on the same patients:
any-change classes, % improved with Wilson intervals and its proportion funnel, the
over-dispersion estimate published with the flags, the model withheld below its minimum,
deciles and centile lines, equity's response rates and weighted estimate, CSV downloads."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from analytics.summaries import practices
from tests.analytics.test_summaries_api import (  # noqa: F401  (fixtures)
    EQUITY,
    ONE_DP,
    PRACTICES,
    SUMMARY,
    client_in,
    exact_counts,
    get,
    population,
)

pytestmark = pytest.mark.usefixtures("exact_counts")
MIC = 12.5  # the common questionnaire's provisional MIC


def test_improved_by_any_change_is_published_beside_improved_by_the_mic(client_in, population):
    _, body = get(client_in, SUMMARY, condition="knee-pain")
    frame = population.frame()
    for row in body["results"]:
        change = frame[frame.provider == row["provider"]].eval("follow - base")
        for key, exact in (
            ("n_improved_any", (change > 0).sum()),
            ("n_worse_any", (change < 0).sum()),
            ("n_unchanged_any", (change == 0).sum()),
        ):
            # a class of 1 to min_cell − 1 (4 here) is withheld on its own
            assert row[key] == (None if 0 < exact < 5 else exact)
        assert row["pct_improved_any"] == pytest.approx(100 * (change > 0).mean(), abs=0.051)
        assert row["n_improved"] == (change >= MIC).sum()
    measure = body["meta"]["measure"]
    assert measure["mic"] == MIC and measure["mic_provisional"] is True


def test_pct_improved_has_the_wilson_interval_of_its_published_counts(client_in, population):
    _, body = get(client_in, SUMMARY, condition="knee-pain")
    for row in body["results"]:
        low, high = proportion_confint(row["n_improved"], row["n"], method="wilson")
        assert row["pct_improved_lower"] == pytest.approx(100 * low, abs=0.051)
        assert row["pct_improved_upper"] == pytest.approx(100 * high, abs=0.051)
        low, high = proportion_confint(row["n_improved_any"], row["n"], method="wilson")
        assert row["pct_improved_any_lower"] == pytest.approx(100 * low, abs=0.051)


def test_pct_improved_sits_in_a_binomial_funnel_around_the_overall_proportion(
    client_in, population
):
    _, body = get(client_in, SUMMARY, condition="knee-pain")
    frame = population.frame()
    improved = (frame.follow - frame.base) >= MIC
    p0 = improved.mean()
    for row in body["results"]:
        n = row["n"]
        se = np.sqrt(p0 * (1 - p0) / n)
        mine = improved[frame.provider == row["provider"]].mean()
        assert row["improved_funnel_target"] == pytest.approx(100 * p0, abs=0.051)
        half95, half998 = sps.norm.ppf(0.975) * se, sps.norm.ppf(0.999) * se
        assert row["improved_funnel_lower_95"] == pytest.approx(100 * (p0 - half95), abs=0.051)
        assert row["improved_funnel_upper_998"] == pytest.approx(100 * (p0 + half998), abs=0.051)
        assert row["improved_outside_95"] is bool(abs(mine - p0) > half95)


def test_overdispersion_is_tested_and_published_with_the_flags(client_in, population):
    _, body = get(client_in, SUMMARY, condition="knee-pain")
    estimate = body["meta"]["overdispersion"]["all"]["adjusted_change"]
    rows = body["results"]
    model = body["meta"]["model"]
    # z-scores of the published adjusted changes against the national mean change.
    z = [
        (r["adjusted_change"] - model["national_mean_change"])
        / (model["residual_sd"] / np.sqrt(r["n_modelled"]))
        for r in rows
    ]
    phi = np.mean(np.square(z))  # three units: nothing to winsorise
    assert estimate["units"] == 3
    assert estimate["phi"] == pytest.approx(phi, rel=0.02)
    assert estimate["p_value"] == pytest.approx(sps.chi2.sf(3 * phi, 2), abs=0.01)
    assert estimate["tau2"] is None and estimate["applied"] is False
    assert "Too few providers (3; at least 10 needed)" in estimate["note"]
    assert all(r["funnel_overdispersion_applied"] is False for r in rows)


def test_nothing_about_a_model_below_its_minimum_is_published(client_in, population, settings):
    settings.DISCLOSURE_MIN_ADJUSTED = 1000
    _, body = get(client_in, SUMMARY, condition="knee-pain")
    model = body["meta"]["model"]
    assert model["fitted"] is False
    assert set(model) == {"fitted", "note"}  # no means, coefficients, n or rank
    assert all(
        r["adjusted_change"] is None and r["funnel_position"] is None for r in body["results"]
    )


def test_equity_figures_carry_their_groups_follow_up_response_rate(client_in, population):
    _, body = get(client_in, EQUITY, condition="knee-pain")
    rates = {
        (r["dimension"], r["group"]): r
        for r in body["results"]
        if r["table"] == "response_rate" and r["timepoint"] == "6-months"
    }
    outcomes = [r for r in body["results"] if r["table"] == "outcomes"]
    assert outcomes
    for row in outcomes:
        rate = rates[(row["dimension"], row["group"])]
        assert row["response_rate_pct"] == rate["response_rate_pct"]
        # Everyone invited at six months answered in this population, so weighting by the
        # inverse probability of responding changes nothing.
        assert row["ipw_mean_change"] == pytest.approx(row["mean_change"], abs=ONE_DP)
    assert body["meta"]["response_model"]["fitted"] is True


def test_sii_and_rii_with_intervals_come_from_the_pairs(client_in, population):
    _, body = get(client_in, EQUITY, condition="knee-pain")
    (row,) = [r for r in body["results"] if r["table"] == "slope_index_of_inequality"]
    assert row["sii"] is not None
    if row["rii"] is not None:
        assert row["rii_lower"] < row["rii"] < row["rii_upper"]


def test_deciles_only_among_ten_or_more_practices_with_data():
    rows = [
        {
            "suppressed": False,
            "list_size": 5000,
            "enrolment_rate_per_1000": float(v),
            "outcome_suppressed": False,
            "adjusted_change": float(v) / 2,
        }
        for v in range(1, 13)
    ] + [
        {
            "suppressed": False,
            "list_size": None,
            "enrolment_rate_per_1000": None,
            "outcome_suppressed": None,
            "adjusted_change": None,
        }
    ]
    practices._add_deciles(rows)
    assert [r["enrolment_rate_decile"] for r in rows[:12]] == [
        1 + min(9, int(10 * i / 11)) for i in range(12)
    ]
    assert rows[-1]["enrolment_rate_decile"] is None  # no list size: not ranked as zero
    assert rows[-1]["enrolment_rate_vs_median"] is None
    centiles = practices.reference_centiles(rows)
    expected = np.percentile(np.arange(1, 13), [10, 50, 90])
    shown = centiles["enrolment_rate_per_1000"]
    assert [shown["p10"], shown["p50"], shown["p90"]] == pytest.approx(list(expected))
    few = rows[:9]
    practices._add_deciles(few)
    assert all(r["enrolment_rate_decile"] is None for r in few)
    assert [r["enrolment_rate_vs_median"] for r in few][:5] == ["below"] * 4 + ["at"]


def test_csv_download_is_named_and_describes_itself(client_in, population):
    response = client_in.get(SUMMARY, {"condition": "knee-pain", "format": "csv"})
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="proms-summary_knee-pain_')
    assert "mskt-core-quality-of-life_6-months" in disposition
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows and all(row["about_condition"] == "knee-pain" for row in rows)
    assert "1 to 4" in rows[0]["about_disclosure"]  # the rule in force (min cell 5 here)
    assert "provisional" in rows[0]["about_mic"]
    assert rows[0]["about_measure"].startswith("Quality of life")


def test_only_conditions_with_a_pathway_are_offered(client_in, population):
    response, body = get(client_in, SUMMARY, condition="hip-pain")
    assert response.status_code == 400
    assert "condition" in body["fields"]
