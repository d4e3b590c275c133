"""The aggregate outcome endpoints, checked against figures computed independently with
scipy/statsmodels on the same synthetic patients."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from analytics import summaries
from analytics.summaries import equity
from outcomes.models import Instrument
from surveys.cohorts import cohorts_refresh
from surveys.models import InstrumentResult, Invitation, Patient, PracticePopulation, Response
from surveys.pairs import paired_results_refresh
from tests.factories import (
    AreaFactory,
    EpisodeFactory,
    PatientFactory,
    PracticeFactory,
    ProviderFactory,
    UserFactory,
    nhs_number_for,
)

SUMMARY = "/api/v1/outcomes/summary/"
EQUITY = "/api/v1/outcomes/equity/"
PRACTICES = "/api/v1/outcomes/practices/"
REFERRED = dt.date(2025, 9, 1)
ONE_DP = 0.0501  # means, CIs and adjusted figures are published to 1 dp on these scales
UTC = dt.UTC


def submitted(month: int, day: int = 15) -> dt.datetime:
    return dt.datetime(2026, month, day, 12, tzinfo=UTC)


def age_years(born: dt.date) -> int:
    """Whole years of age at referral."""
    return REFERRED.year - born.year - ((REFERRED.month, REFERRED.day) < (born.month, born.day))


def age_band(born: dt.date) -> str:
    age = age_years(born)
    for limit, band in ((50, "0-49"), (60, "50-59"), (70, "60-69"), (80, "70-79")):
        if age < limit:
            return band
    return "80+"


class Population:
    """Synthetic paired responses written straight to the tables (scored values given)."""

    def __init__(self):
        self.core = Instrument.objects.get(code="mskt-core", version="1.0.0")
        self.oks = Instrument.objects.get(code="oks", version="1.0.0")
        self.records: list[dict] = []
        self.used: set[str] = set()
        self.serial = 500_000
        self.areas = {d: AreaFactory(lsoa_code=f"E0100{d:04d}", imd_decile=d) for d in range(1, 11)}

    def add(
        self,
        provider,
        *,
        base: float,
        follow: float | None,
        practice=None,
        decile: int | None = 5,
        sex: str = "female",
        born: dt.date = dt.date(1960, 5, 1),
        when: dt.datetime | None = None,
        oks: tuple[int, int] = (20, 30),
    ):
        self.serial += 1
        number = nhs_number_for(self.serial)
        while number in self.used:  # nhs_number_for skips serials whose check digit is 10
            self.serial += 1
            number = nhs_number_for(self.serial)
        self.used.add(number)
        patient = PatientFactory(
            nhs_number=number,
            practice=practice,
            area=self.areas[decile] if decile else None,
            sex=sex,
            date_of_birth=born,
            postcode="NG18 1AA",
        )
        episode = EpisodeFactory(patient=patient, provider=provider, referred_on=REFERRED)
        when = when or submitted(3)
        points = [("baseline", base, oks[0], dt.datetime(2025, 9, 5, 10, tzinfo=UTC))]
        if follow is not None:
            points.append(("6-months", follow, oks[1], when))
        for timepoint, value, oks_total, at in points:
            invitation = Invitation.objects.create(
                episode=episode,
                timepoint=timepoint,
                due_on=at.date(),
                opens_on=at.date(),
                closes_on=at.date() + dt.timedelta(days=28),
                follow_up=timepoint != "baseline",
                instruments=[["mskt-core", "1.0.0"], ["oks", "1.0.0"]],
                status=Invitation.Status.COMPLETED,
            )
            response = Response.objects.create(
                invitation=invitation, mode="self", answers={}, submitted_at=at
            )
            InstrumentResult.objects.create(
                response=response,
                instrument=self.core,
                scores={"quality-of-life": value},
                outcomes={"quality-of-life": value},
            )
            InstrumentResult.objects.create(
                response=response,
                instrument=self.oks,
                scores={"total": oks_total},
                outcomes={"quality-of-life": round(100 * oks_total / 48, 1)},
            )
        if follow is None:  # invited at follow-up, never answered
            Invitation.objects.create(
                episode=episode,
                timepoint="6-months",
                due_on=when.date(),
                opens_on=when.date(),
                closes_on=when.date() + dt.timedelta(days=28),
                follow_up=True,
                instruments=[["mskt-core", "1.0.0"], ["oks", "1.0.0"]],
                status=Invitation.Status.EXPIRED,
            )
        else:
            self.records.append(
                {
                    "provider": provider.ods_code,
                    "practice": practice.ods_code if practice else None,
                    "base": base,
                    "follow": follow,
                    "oks_base": oks[0],
                    "oks_follow": oks[1],
                    "age_band": age_band(born),
                    "sex": sex,
                    "imd_quintile": None if decile is None else str((decile + 1) // 2),
                    "age": age_years(born),
                    "month": when.strftime("%Y-%m"),
                }
            )
        # As surveys.services.response_submit does when a response is stored.
        paired_results_refresh(episode_ids=[episode.pk])
        cohorts_refresh(episode_ids=[episode.pk])
        return patient

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.records)


@pytest.fixture
def client_in(client, db):
    client.force_login(UserFactory(is_staff=True))
    return client


@pytest.fixture
def exact_counts(settings):
    settings.DISCLOSURE_ROUND_TO = 0
    settings.DISCLOSURE_MIN_CELL = 5
    settings.DISCLOSURE_MIN_ADJUSTED = 30


@pytest.fixture
def population(db, loaded_definitions):
    rng = np.random.default_rng(11)
    population = Population()
    providers = [ProviderFactory(ods_code=code) for code in ("RK5", "RX1", "RHA")]
    practices = [
        PracticeFactory(ods_code=f"C84{n:03d}", list_size=size)
        for n, size in ((1, 8000), (2, 12000), (3, 4000))
    ]
    effects = {"RK5": 0.0, "RX1": 6.0, "RHA": -5.0}
    births = [dt.date(1950, 3, 1), dt.date(1962, 7, 1), dt.date(1970, 1, 10), dt.date(1985, 2, 2)]
    for index in range(150):
        provider = providers[index % 3]
        decile = int(rng.integers(1, 11))
        base = float(rng.integers(10, 70))
        follow = float(
            np.clip(
                round(
                    12 + 0.7 * base + 1.2 * decile + effects[provider.ods_code] + rng.normal(0, 9)
                ),
                0,
                100,
            )
        )
        population.add(
            provider,
            base=base,
            follow=follow,
            practice=practices[index % 3 if index % 5 else 0],
            decile=decile,
            sex="male" if rng.random() < 0.45 else "female",
            born=births[int(rng.integers(0, 4))],
            when=submitted(int(rng.integers(1, 4))),
            oks=(int(rng.integers(5, 30)), int(rng.integers(10, 48))),
        )
    population.providers = providers
    population.practices = practices
    return population


def get(client, url, **params):
    response = client.get(url, params)
    return response, (json.loads(response.content) if response.content else None)


@pytest.mark.usefixtures("exact_counts")
class TestSummary:
    def test_crude_figures_match_scipy(self, client_in, population):
        response, body = get(client_in, SUMMARY, condition="knee-pain")
        assert response.status_code == 200
        frame = population.frame()
        for row in body["results"]:
            group = frame[frame.provider == row["provider"]]
            change = group.follow - group.base
            low, high = sps.t.interval(
                0.95, len(change) - 1, loc=change.mean(), scale=sps.sem(change)
            )
            assert row["n"] == len(group)
            assert row["mean_baseline"] == pytest.approx(group.base.mean(), abs=ONE_DP)
            assert row["mean_follow_up"] == pytest.approx(group.follow.mean(), abs=ONE_DP)
            assert row["mean_change"] == pytest.approx(change.mean(), abs=ONE_DP)
            assert row["mean_change_lower"] == pytest.approx(low, abs=ONE_DP)
            assert row["mean_change_upper"] == pytest.approx(high, abs=ONE_DP)
            # MSK Together common questionnaire: MIC 12.5 on its 0-100 scale.
            improved = (change >= 12.5).mean() * 100
            worse = (change <= -12.5).mean() * 100
            assert row["pct_improved"] == pytest.approx(improved, abs=0.05)
            # A class of 1 to min_cell - 1 patients is withheld on its own (docs/methods.md §7).
            if 0 < (change <= -12.5).sum() < 5:
                assert row["pct_worse"] is None and row["n_worse"] is None
            else:
                assert row["pct_worse"] == pytest.approx(worse, abs=0.05)
            assert row["suppressed"] is False

    def test_case_mix_adjusted_change_and_funnel_match_statsmodels(self, client_in, population):
        _, body = get(client_in, SUMMARY, condition="knee-pain")
        frame = population.frame()
        fit = smf.ols("follow ~ base + C(age_band) + C(sex) + C(imd_quintile)", data=frame).fit()
        frame["predicted"] = fit.fittedvalues
        national_change = (frame.follow - frame.base).mean()
        sd = np.sqrt(fit.mse_resid)
        assert body["meta"]["model"]["residual_sd"] == pytest.approx(sd, abs=0.0005)  # 3 dp
        for row in body["results"]:
            group = frame[frame.provider == row["provider"]]
            o_minus_e = group.follow.mean() - group.predicted.mean()
            adjusted = national_change + o_minus_e
            assert row["adjusted_change"] == pytest.approx(adjusted, abs=ONE_DP)
            se = sd / np.sqrt(len(group))
            assert row["funnel_target"] == pytest.approx(national_change, abs=ONE_DP)
            assert row["funnel_lower_95"] == pytest.approx(
                national_change - sps.norm.ppf(0.975) * se, abs=ONE_DP
            )
            assert row["funnel_upper_998"] == pytest.approx(
                national_change + sps.norm.ppf(0.999) * se, abs=ONE_DP
            )
            outside = abs(adjusted - national_change) > sps.norm.ppf(0.975) * se
            assert row["outside_95"] is bool(outside)

    def test_provider_filter_keeps_model_fitted_on_all_providers(self, client_in, population):
        _, everyone = get(client_in, SUMMARY, condition="knee-pain")
        _, one = get(client_in, SUMMARY, condition="knee-pain", provider="RX1")
        assert [r["provider"] for r in one["results"]] == ["RX1"]
        whole = next(r for r in everyone["results"] if r["provider"] == "RX1")
        assert one["results"][0] == whole

    def test_period_quarter_and_month_restrict_follow_up_submission(self, client_in, population):
        frame = population.frame()
        _, march = get(client_in, SUMMARY, condition="knee-pain", period="2026-03", group_by="none")
        assert march["results"][0]["n"] == (frame.month == "2026-03").sum()
        _, q1 = get(client_in, SUMMARY, condition="knee-pain", period="2026Q1", group_by="none")
        assert q1["results"][0]["n"] == len(frame)
        _, q2 = get(client_in, SUMMARY, condition="knee-pain", period="2026Q2", group_by="none")
        assert q2["results"] == []
        _, ranged = get(client_in, SUMMARY, condition="knee-pain", group_by="none", to="2026-01-31")
        assert ranged["results"][0]["n"] == (frame.month == "2026-01").sum()

    def test_monthly_series(self, client_in, population):
        _, body = get(client_in, SUMMARY, condition="knee-pain", group_by="none", series="month")
        frame = population.frame()
        assert [r["period"] for r in body["results"]] == ["2026-01", "2026-02", "2026-03"]
        for row in body["results"]:
            assert row["n"] == (frame.month == row["period"]).sum()

    def test_quarterly_series_by_provider(self, client_in, population):
        _, body = get(client_in, SUMMARY, condition="knee-pain", series="quarter")
        assert {(r["provider"], r["period"]) for r in body["results"]} == {
            (p, "2026Q1") for p in ("RK5", "RX1", "RHA")
        }

    def test_group_by_imd_quintile_is_crude(self, client_in, population):
        _, body = get(client_in, SUMMARY, condition="knee-pain", group_by="imd_quintile")
        frame = population.frame()
        assert {r["imd_quintile"] for r in body["results"]} == set(frame.imd_quintile)
        assert all("adjusted_change" not in r for r in body["results"])

    def test_instrument_score_uses_its_own_mic(self, client_in, population):
        _, body = get(
            client_in, SUMMARY, condition="knee-pain", instrument="oks", score="total",
            group_by="none",
        )  # fmt: skip
        frame = population.frame()
        change = frame.oks_follow - frame.oks_base
        row = body["results"][0]
        assert body["meta"]["measure"]["mic"] == 7
        assert row["mean_change"] == pytest.approx(change.mean(), abs=ONE_DP)
        assert row["pct_improved"] == pytest.approx((change >= 7).mean() * 100, abs=0.05)

    def test_outcome_of_another_instrument_classes_change_on_native_score(
        self, client_in, population
    ):
        _, body = get(
            client_in, SUMMARY, condition="knee-pain", instrument="oks",
            outcome="quality-of-life", group_by="none",
        )  # fmt: skip
        frame = population.frame()
        row = body["results"][0]
        harmonised = (frame.oks_follow * 100 / 48).round(1) - (frame.oks_base * 100 / 48).round(1)
        assert row["mean_change"] == pytest.approx(harmonised.mean(), abs=ONE_DP)
        change = frame.oks_follow - frame.oks_base
        assert row["pct_improved"] == pytest.approx((change >= 7).mean() * 100, abs=0.05)


@pytest.mark.usefixtures("exact_counts")
class TestDisclosure:
    def test_small_provider_withheld_and_one_more_to_block_subtraction(self, client_in, population):
        small = ProviderFactory(ods_code="SMALL")
        for base in (30, 40, 50):
            population.add(small, base=base, follow=base + 10)
        _, body = get(client_in, SUMMARY, condition="knee-pain")
        withheld = [r for r in body["results"] if r["suppressed"]]
        assert len(withheld) == 2
        small_row = next(r for r in body["results"] if r["provider"] == "SMALL")
        assert small_row["suppressed"] is True
        assert small_row["n"] is None and small_row["mean_change"] is None
        _, total = get(client_in, SUMMARY, condition="knee-pain", group_by="none")
        shown = sum(r["n"] for r in body["results"] if not r["suppressed"])
        assert total["results"][0]["n"] - shown > 3  # not the small provider's count alone

    def test_adjusted_figures_need_thirty_patients(self, client_in, population, settings):
        settings.DISCLOSURE_MIN_ADJUSTED = 60
        _, body = get(client_in, SUMMARY, condition="knee-pain")
        assert all(r["adjusted_change"] is None for r in body["results"])
        assert all(r["n_modelled"] == 50 for r in body["results"])

    def test_counts_rounded_to_five(self, client_in, population, settings):
        settings.DISCLOSURE_ROUND_TO = 5
        population.add(population.providers[0], base=20, follow=30)
        population.add(population.providers[0], base=20, follow=30)
        _, body = get(client_in, SUMMARY, condition="knee-pain")
        assert all(r["n"] % 5 == 0 for r in body["results"])
        assert next(r for r in body["results"] if r["provider"] == "RK5")["n"] == 50


@pytest.fixture
def rounded_counts(settings):
    settings.DISCLOSURE_ROUND_TO = 5
    settings.DISCLOSURE_MIN_CELL = 5
    settings.DISCLOSURE_MIN_ADJUSTED = 30


def rx1(body):
    return next(r for r in body["results"] if r["provider"] == "RX1")


def quintile_rows(changes, sizes=(40, 35, 30, 25, 20), sds=(9.0, 8.5, 8.0, 9.5, 10.0)):
    return [
        {"imd_quintile": str(q), "suppressed": False, "_mean_change": c, "_n": n, "_sd_change": sd}
        for q, c, n, sd in zip(range(1, 6), changes, sizes, sds, strict=True)
    ]


def wls_slope(values, sizes):
    a = np.array(sizes) / sum(sizes)
    ranks = np.cumsum(a) - a / 2
    return sm.WLS(np.array(values), sm.add_constant(ranks), weights=a).fit().params


class TestSlopeIndexDirection:
    def test_for_a_lower_is_better_score_the_sii_is_of_the_fall_in_the_score(
        self, loaded_definitions
    ):
        odi = summaries.measure_resolve("odi")  # Oswestry: lower is better
        assert odi.higher_is_better is False
        changes = [-8.0, -10.0, -11.0, -13.0, -15.0]  # bigger falls in less deprived areas
        row = equity.deprivation_gradient(quintile_rows(changes), odi)
        _, slope = wls_slope([-c for c in changes], (40, 35, 30, 25, 20))
        assert row["sii"] == pytest.approx(slope, abs=0.005)
        assert row["sii"] > 0  # more improvement in less deprived areas
        assert "lower is better" in row["note"]
        assert "higher is better" not in row["note"]

    def test_for_a_higher_is_better_score_the_sii_is_of_the_rise(self, loaded_definitions):
        core = summaries.measure_resolve()
        changes = [8.0, 10.0, 11.0, 13.0, 15.0]
        row = equity.deprivation_gradient(quintile_rows(changes), core)
        intercept, slope = wls_slope(changes, (40, 35, 30, 25, 20))
        assert row["sii"] == pytest.approx(slope, abs=0.005)
        assert row["rii"] == pytest.approx((intercept + slope) / intercept, abs=0.0005)
        assert "higher is better" in row["note"]

    def test_rii_is_withheld_when_the_most_deprived_end_does_not_improve(self, loaded_definitions):
        core = summaries.measure_resolve()
        row = equity.deprivation_gradient(quintile_rows([-3.0, -1.0, 1.0, 3.0, 5.0]), core)
        assert row["sii"] is not None
        assert row["rii"] is None
        assert "RII not given" in row["note"]


@pytest.mark.usefixtures("rounded_counts")
class TestDifferencing:
    """Two requests whose windows differ by one patient must not give that patient away."""

    def test_windows_a_day_apart_are_refused(self, client_in, population):
        response, body = get(client_in, SUMMARY, condition="knee-pain", to="2026-04-02")
        assert response.status_code == 400
        assert "'to' must be the last day of a month" in body["error"]

    def test_whole_month_windows_one_patient_apart_publish_the_same_class_figures(
        self, client_in, population
    ):
        # RX1 has 50 pairs, 26 improved by the MIC, none worse (Jan-Mar). One more patient,
        # who improved by 60 points, answers in April: 51 pairs, 27 improved.
        population.add(population.providers[1], base=20, follow=80, when=submitted(4))
        _, before = get(client_in, SUMMARY, condition="knee-pain", to="2026-03-31")
        _, after = get(client_in, SUMMARY, condition="knee-pain", to="2026-04-30")
        first, second = rx1(before), rx1(after)
        # The attack: (n × % improved) after minus before = the patient's class.
        for key in ("n", "n_improved", "n_unchanged", "n_worse"):
            assert first[key] == second[key]
        for key in ("pct_improved", "pct_unchanged", "pct_worse"):
            assert first[key] == second[key]

    def test_no_standard_deviation_that_would_give_the_exact_n_from_a_ci(
        self, client_in, population
    ):
        # n = (t · sd / CI half-width)² would undo the rounding of n.
        _, body = get(client_in, SUMMARY, condition="knee-pain")
        assert all("sd_change" not in row for row in body["results"])

    def test_funnel_limits_are_drawn_for_the_published_n(self, client_in, population):
        population.add(population.providers[1], base=20, follow=80, when=submitted(3))
        _, body = get(client_in, SUMMARY, condition="knee-pain")
        row, model = rx1(body), body["meta"]["model"]
        assert row["n_modelled"] == 50  # 51 rounded
        half_width = sps.norm.ppf(0.975) * model["residual_sd"] / np.sqrt(50)
        assert row["funnel_upper_95"] - row["funnel_target"] == pytest.approx(half_width, abs=0.11)
        assert model["n_modelled"] == 150  # 151 rounded

    def test_percentages_are_derived_from_the_rounded_counts(self, client_in, population):
        _, body = get(client_in, SUMMARY, condition="knee-pain")
        for row in body["results"]:
            assert row["n_improved"] % 5 == 0
            assert row["pct_improved"] == round(100 * row["n_improved"] / row["n"], 1)

    def test_response_rate_and_interval_use_the_rounded_counts(self, client_in, population):
        for _ in range(7):
            population.add(population.providers[0], base=50, follow=None, decile=1)
        _, body = get(client_in, EQUITY, condition="knee-pain")
        rows = [r for r in body["results"] if r["table"] == "response_rate" and r["invited"]]
        assert rows
        for row in rows:
            low, high = proportion_confint(row["responded"], row["invited"], method="wilson")
            assert row["response_rate_pct"] == round(100 * row["responded"] / row["invited"], 1)
            assert row["response_rate_lower"] == pytest.approx(100 * low, abs=0.051)
            assert row["response_rate_upper"] == pytest.approx(100 * high, abs=0.051)

    def test_enrolment_rate_times_list_size_gives_only_the_rounded_count(
        self, client_in, population
    ):
        population.add(
            population.providers[0], base=20, follow=30, practice=population.practices[1]
        )
        _, body = get(client_in, PRACTICES, condition="knee-pain")
        for row in body["results"]:
            if row["suppressed"]:
                continue
            assert row["enrolled"] % 5 == 0
            assert row["enrolment_rate_per_1000"] == round(
                1000 * row["enrolled"] / row["list_size"], 2
            )


@pytest.mark.usefixtures("exact_counts")
class TestEquity:
    def test_breakdowns_sii_age_and_response_rates(self, client_in, population):
        # Six patients who never answered their follow-up: visible in the response rates.
        for _ in range(6):
            population.add(population.providers[0], base=50, follow=None, decile=1)
        response, body = get(client_in, EQUITY, condition="knee-pain")
        assert response.status_code == 200
        frame = population.frame()
        tables = {r["table"] for r in body["results"]}
        assert tables == {
            "outcomes",
            "slope_index_of_inequality",
            "age_at_enrolment",
            "response_rate",
        }
        by_imd = {
            r["group"]: r
            for r in body["results"]
            if r["table"] == "outcomes" and r["dimension"] == "imd_quintile"
        }
        quintiles = sorted(frame.imd_quintile.unique())
        values, sizes, errors = [], [], []
        for q in quintiles:
            change = (frame.follow - frame.base)[frame.imd_quintile == q]
            assert by_imd[q]["n"] == len(change)
            values.append(change.mean())
            sizes.append(len(change))
            errors.append(change.std(ddof=1) / np.sqrt(len(change)))
        a = np.array(sizes) / sum(sizes)
        ranks = np.cumsum(a) - a / 2
        fit = sm.WLS(values, sm.add_constant(ranks), weights=a).fit()
        sii = next(r for r in body["results"] if r["table"] == "slope_index_of_inequality")
        assert sii["sii"] == pytest.approx(fit.params[1], abs=0.005)
        rates = [
            r
            for r in body["results"]
            if r["table"] == "response_rate" and r["timepoint"] == "6-months"
        ]
        q1 = next(r for r in rates if r["dimension"] == "imd_quintile" and r["group"] == "1")
        answered = (frame.imd_quintile == "1").sum()
        assert q1["invited"] == answered + 6
        assert q1["responded"] == answered
        ages = [r for r in body["results"] if r["table"] == "age_at_enrolment"]
        assert sum(r["n"] for r in ages if not r["suppressed"]) <= len(frame) + 6


def t_interval(values) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    return sps.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=sps.sem(values))


@pytest.mark.usefixtures("exact_counts")
class TestAgainstIndependentValues:
    """Every published statistic recomputed here with scipy, statsmodels or numpy from the
    synthetic patients themselves (not from the API's sums)."""

    def test_baseline_and_follow_up_intervals_per_provider(self, client_in, population):
        _, body = get(client_in, SUMMARY, condition="knee-pain")
        frame = population.frame()
        for row in body["results"]:
            group = frame[frame.provider == row["provider"]]
            for column, name in (("base", "mean_baseline"), ("follow", "mean_follow_up")):
                low, high = t_interval(group[column])
                assert row[f"{name}_lower"] == pytest.approx(low, abs=ONE_DP)
                assert row[f"{name}_upper"] == pytest.approx(high, abs=ONE_DP)

    def test_practice_adjusted_change_funnel_limits_and_flags(self, client_in, population):
        _, body = get(client_in, PRACTICES, condition="knee-pain")
        frame = population.frame()
        fit = smf.ols("follow ~ base + C(age_band) + C(sex) + C(imd_quintile)", data=frame).fit()
        frame["predicted"] = fit.fittedvalues
        national = (frame.follow - frame.base).mean()
        sd = np.sqrt(fit.mse_resid)
        for row in body["results"]:
            group = frame[frame.practice == row["practice"]]
            adjusted = national + group.follow.mean() - group.predicted.mean()
            se = sd / np.sqrt(len(group))
            z95, z998 = sps.norm.ppf(0.975), sps.norm.ppf(0.999)
            assert row["n_modelled"] == len(group)
            assert row["adjusted_change"] == pytest.approx(adjusted, abs=ONE_DP)
            assert row["funnel_lower_95"] == pytest.approx(national - z95 * se, abs=ONE_DP)
            assert row["funnel_upper_95"] == pytest.approx(national + z95 * se, abs=ONE_DP)
            assert row["funnel_lower_998"] == pytest.approx(national - z998 * se, abs=ONE_DP)
            assert row["funnel_upper_998"] == pytest.approx(national + z998 * se, abs=ONE_DP)
            assert row["outside_95"] is bool(abs(adjusted - national) > z95 * se)
            assert row["outside_998"] is bool(abs(adjusted - national) > z998 * se)

    @pytest.mark.parametrize("dimension", ["age_band", "sex"])
    def test_equity_figures_by_age_band_and_sex(self, client_in, population, dimension):
        _, body = get(client_in, EQUITY, condition="knee-pain")
        frame = population.frame()
        rows = [
            r for r in body["results"] if r["table"] == "outcomes" and r["dimension"] == dimension
        ]
        assert {r["group"] for r in rows} == set(frame[dimension])
        for row in rows:
            group = frame[frame[dimension] == row["group"]]
            change = group.follow - group.base
            low, high = t_interval(change)
            assert row["n"] == len(group)
            assert row["mean_baseline"] == pytest.approx(group.base.mean(), abs=ONE_DP)
            assert row["mean_follow_up"] == pytest.approx(group.follow.mean(), abs=ONE_DP)
            assert row["mean_change"] == pytest.approx(change.mean(), abs=ONE_DP)
            assert row["mean_change_lower"] == pytest.approx(low, abs=ONE_DP)
            assert row["mean_change_upper"] == pytest.approx(high, abs=ONE_DP)
            assert row["pct_improved"] == pytest.approx(100 * (change >= 12.5).mean(), abs=0.051)

    def test_age_at_enrolment_mean_and_interval_by_imd_quintile(self, client_in, population):
        _, body = get(client_in, EQUITY, condition="knee-pain")
        frame = population.frame()
        rows = [r for r in body["results"] if r["table"] == "age_at_enrolment"]
        assert {r["group"] for r in rows} == set(frame.imd_quintile)
        for row in rows:
            ages = frame.age[frame.imd_quintile == row["group"]]
            low, high = t_interval(ages)
            assert row["n"] == len(ages)
            assert row["mean_age"] == pytest.approx(ages.mean(), abs=0.051)
            assert row["mean_age_lower"] == pytest.approx(low, abs=0.051)
            assert row["mean_age_upper"] == pytest.approx(high, abs=0.051)

    def test_response_rate_and_wilson_interval(self, client_in, population):
        for decile in (1,) * 5 + (3,) * 6:
            population.add(population.providers[0], base=50, follow=None, decile=decile)
        _, body = get(client_in, EQUITY, condition="knee-pain")
        frame = population.frame()
        rows = [
            r
            for r in body["results"]
            if r["table"] == "response_rate"
            and r["timepoint"] == "6-months"
            and r["dimension"] == "imd_quintile"
        ]
        missing = {"1": 5, "2": 6}
        assert len(rows) == 5 and not any(r["suppressed"] for r in rows)
        for row in rows:
            responded = int((frame.imd_quintile == row["group"]).sum())
            invited = responded + missing.get(row["group"], 0)
            low, high = proportion_confint(responded, invited, alpha=0.05, method="wilson")
            assert (row["invited"], row["responded"]) == (invited, responded)
            assert row["response_rate_pct"] == pytest.approx(100 * responded / invited, abs=0.051)
            assert row["response_rate_lower"] == pytest.approx(100 * low, abs=0.051)
            assert row["response_rate_upper"] == pytest.approx(100 * high, abs=0.051)

    def test_sii_interval_and_rii(self, client_in, population):
        _, body = get(client_in, EQUITY, condition="knee-pain")
        frame = population.frame()
        values, sizes, errors = [], [], []
        for q in sorted(frame.imd_quintile.unique()):
            change = (frame.follow - frame.base)[frame.imd_quintile == q]
            values.append(change.mean())
            sizes.append(len(change))
            errors.append(change.std(ddof=1) / np.sqrt(len(change)))
        a = np.array(sizes) / sum(sizes)
        x = sm.add_constant(np.cumsum(a) - a / 2)
        fit = sm.WLS(np.array(values), x, weights=a).fit()
        # The slope is linear in the quintile means: slope = c·y with c from the WLS normal
        # equations, so its SE under independent means is √(Σ c² se²) (PHE's simulation limit).
        c = np.linalg.solve(x.T @ np.diag(a) @ x, x.T @ np.diag(a))[1]
        half = sps.norm.ppf(0.975) * np.sqrt(np.sum(c**2 * np.array(errors) ** 2))
        intercept, slope = fit.params
        (row,) = [r for r in body["results"] if r["table"] == "slope_index_of_inequality"]
        assert row["sii"] == pytest.approx(slope, abs=0.005)
        assert row["sii_lower"] == pytest.approx(slope - half, abs=0.005)
        assert row["sii_upper"] == pytest.approx(slope + half, abs=0.005)
        assert intercept > 0 and intercept + slope > 0
        assert row["rii"] == pytest.approx((intercept + slope) / intercept, abs=0.0005)


@pytest.mark.usefixtures("exact_counts")
class TestSeries:
    def test_equity_by_month_gives_each_table_per_period(self, client_in, population):
        _, body = get(client_in, EQUITY, condition="knee-pain", series="month")
        frame = population.frame()
        outcomes = [r for r in body["results"] if r["table"] == "outcomes"]
        for row in outcomes:
            if row["dimension"] != "imd_quintile" or row["suppressed"]:
                continue
            in_cell = (frame.month == row["period"]) & (frame.imd_quintile == row["group"])
            assert row["n"] == in_cell.sum()
        assert {r["period"] for r in outcomes} == {"2026-01", "2026-02", "2026-03"}
        gradients = [r for r in body["results"] if r["table"] == "slope_index_of_inequality"]
        assert [r["period"] for r in gradients] == ["2026-01", "2026-02", "2026-03"]
        ages = [r for r in body["results"] if r["table"] == "age_at_enrolment"]
        assert {r["period"] for r in ages} == {"2025-09"}  # everyone was referred then
        rates = [r for r in body["results"] if r["table"] == "response_rate"]
        assert {r["period"] for r in rates if r["timepoint"] == "6-months"} == {
            "2026-01",
            "2026-02",
            "2026-03",
        }

    def test_equity_sii_of_a_period_matches_wls_on_that_period(self, client_in, population):
        _, body = get(client_in, EQUITY, condition="knee-pain", series="quarter")
        frame = population.frame()
        sizes, values = [], []
        for q in sorted(frame.imd_quintile.unique()):
            change = (frame.follow - frame.base)[frame.imd_quintile == q]
            sizes.append(len(change))
            values.append(change.mean())
        _, slope = wls_slope(values, sizes)
        (row,) = [r for r in body["results"] if r["table"] == "slope_index_of_inequality"]
        assert row["period"] == "2026Q1"
        assert row["sii"] == pytest.approx(slope, abs=0.005)

    def test_practices_by_month_give_outcomes_by_follow_up_and_enrolment_by_referral(
        self, client_in, population
    ):
        _, body = get(client_in, PRACTICES, condition="knee-pain", series="month")
        frame = population.frame()
        rows = {(r["practice"], r["period"]): r for r in body["results"]}
        for practice in population.practices:
            code = practice.ods_code
            assert rows[(code, "2025-09")]["enrolled"] == (frame.practice == code).sum()
            assert rows[(code, "2025-09")]["n"] == 0  # no follow-up was submitted then
            for month in ("2026-01", "2026-02", "2026-03"):
                row = rows[(code, month)]
                assert row["enrolled"] == 0
                if not row["outcome_suppressed"]:
                    in_cell = (frame.practice == code) & (frame.month == month)
                    assert row["n"] == in_cell.sum()
        assert all(r["enrolment_rate_vs_median"] is not None for r in body["results"])

    def test_a_small_month_of_a_practice_is_withheld_with_another_month(
        self, client_in, population
    ):
        small = PracticeFactory(ods_code="C84009", list_size=2000)
        for month, count in ((1, 10), (2, 12), (3, 3)):
            for _ in range(count):
                population.add(
                    population.providers[0], base=30, follow=45, practice=small,
                    when=submitted(month),
                )  # fmt: skip
        _, body = get(client_in, PRACTICES, condition="knee-pain", series="month")
        months = {
            r["period"]: r
            for r in body["results"]
            if r["practice"] == "C84009" and r["period"].startswith("2026")
        }
        assert months["2026-03"]["outcome_suppressed"] is True
        # Otherwise March = the practice's whole-period figure − January − February.
        assert sum(r["outcome_suppressed"] for r in months.values()) == 2


@pytest.mark.usefixtures("exact_counts")
class TestResponseRateChannel:
    def test_channel_is_the_one_the_invitation_was_sent_by_and_none_without_a_message(
        self, client_in, population
    ):
        from notifications.models import Notification

        rx1 = Invitation.objects.filter(timepoint="6-months", episode__provider__ods_code="RX1")
        Patient.objects.filter(episodes__provider__ods_code="RX1").update(preferred_channel="email")
        for invitation in rx1:
            for kind, channel, status in (
                ("invite", "sms", "delivered"),
                ("reminder", "letter", "sent"),
            ):
                Notification.objects.create(
                    invitation=invitation,
                    patient=invitation.episode.patient,
                    channel=channel,
                    kind=kind,
                    template="t",
                    status=status,
                    idempotency_key=f"{invitation.pk}:{kind}:1",
                    not_before=submitted(1),
                )
        # As notifications.sending does when an invite is handed to its channel.
        cohorts_refresh(episode_ids=rx1.values_list("episode_id", flat=True))
        _, body = get(client_in, EQUITY, condition="knee-pain")
        by_channel = {
            r["group"]: r
            for r in body["results"]
            if r["table"] == "response_rate"
            and r["timepoint"] == "6-months"
            and r["dimension"] == "channel"
        }
        assert set(by_channel) == {"sms", "none"}  # nobody was invited by email or letter
        assert by_channel["sms"]["invited"] == rx1.count()
        assert (
            by_channel["none"]["invited"]
            == Invitation.objects.filter(timepoint="6-months")
            .exclude(episode__provider__ods_code="RX1")
            .count()
        )

    def test_a_message_never_sent_does_not_count_as_the_channel(self, client_in, population):
        from notifications.models import Notification

        invitation = Invitation.objects.filter(timepoint="6-months").first()
        Notification.objects.create(
            invitation=invitation,
            patient=invitation.episode.patient,
            channel="email",
            kind="invite",
            template="t",
            status="cancelled",
            idempotency_key=f"{invitation.pk}:invite:1",
            not_before=submitted(1),
        )
        cohorts_refresh(episode_ids=[invitation.episode_id])
        _, body = get(client_in, EQUITY, condition="knee-pain")
        channels = {r["group"] for r in body["results"] if r.get("dimension") == "channel"}
        assert channels == {"none"}


@pytest.mark.usefixtures("exact_counts")
class TestPractices:
    def test_enrolment_rate_per_thousand_and_deciles(self, client_in, population):
        response, body = get(client_in, PRACTICES, condition="knee-pain")
        assert response.status_code == 200
        frame = population.frame()
        rows = {r["practice"]: r for r in body["results"]}
        for practice in population.practices:
            enrolled = (frame.practice == practice.ods_code).sum()
            row = rows[practice.ods_code]
            assert row["enrolled"] == enrolled
            assert row["enrolment_rate_per_1000"] == pytest.approx(
                1000 * enrolled / practice.list_size, abs=0.005
            )
            assert row["n"] == enrolled
        # Fewer than ten practices: no decile (a rank among a handful is not a distribution);
        # each practice's position against the median instead.
        assert len(population.practices) < 10
        rates = [rows[p.ods_code]["enrolment_rate_per_1000"] for p in population.practices]
        median = float(np.median(rates))
        for practice, rate in zip(population.practices, rates, strict=True):
            row = rows[practice.ods_code]
            assert row["enrolment_rate_decile"] is None
            expected = "above" if rate > median else "below" if rate < median else "at"
            assert row["enrolment_rate_vs_median"] == expected
        assert body["meta"]["centiles"][0]["enrolment_rate_per_1000"] is None


def byar(observed: int, z: float) -> tuple[float, float]:
    """Byar's approximation (Breslow & Day 1987), written out here from the formula."""
    o, o1 = observed, observed + 1
    return (
        o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3,
        o1 * (1 - 1 / (9 * o1) + z / (3 * np.sqrt(o1))) ** 3,
    )


@pytest.mark.usefixtures("exact_counts")
class TestPracticeStandardisation:
    """Indirect standardisation by age band and sex (PHE calculate_ISRatio), computed again
    here with pandas and scipy from the same synthetic patients and registered populations."""

    BANDS = ("0-49", "50-59", "60-69", "70-79", "80+")

    @pytest.fixture
    def breakdowns(self, population):
        small = PracticeFactory(ods_code="C84004", list_size=3000)
        for index in range(6):
            population.add(
                population.providers[index % 3],
                base=40,
                follow=50,
                practice=small,
                sex="male" if index % 2 else "female",
                born=dt.date(1950, 3, 1),
            )
        registered = {}
        for i, practice in enumerate([population.practices[0], population.practices[1], small]):
            for j, band in enumerate(self.BANDS):
                for sex, base in (("female", 400), ("male", 350)):
                    count = base + 100 * i + 37 * j
                    PracticePopulation.objects.create(
                        practice=practice, sex=sex, age_band=band, registered=count
                    )
                    registered[(practice.ods_code, sex, band)] = count
        return registered

    def test_standardised_ratio_rate_and_limits_match_an_independent_computation(
        self, client_in, population, breakdowns
    ):
        _, body = get(client_in, PRACTICES, condition="knee-pain")
        rows = {r["practice"]: r for r in body["results"]}
        frame = population.frame()
        pops = pd.Series(breakdowns)
        with_breakdown = sorted({code for code, _, _ in breakdowns})
        counts = (
            frame[frame.practice.isin(with_breakdown)]
            .groupby(["practice", "sex", "age_band"])
            .size()
        )
        strata = pops.groupby(level=[1, 2]).sum()
        rates = counts.groupby(level=[1, 2]).sum().reindex(strata.index, fill_value=0) / strata
        overall = counts.sum() / pops.sum()
        for code in with_breakdown:
            observed = int(counts.loc[code].sum())
            expected = float((pops.loc[code] * rates).sum())
            if observed < 10:  # exact (Garwood) limits
                low = sps.chi2.ppf(0.025, 2 * observed) / 2
                high = sps.chi2.ppf(0.975, 2 * observed + 2) / 2
            else:
                low, high = byar(observed, sps.norm.ppf(0.975))
            row = rows[code]
            assert row["enrolment_rate_method"].startswith("indirectly standardised by age and sex")
            assert row["enrolment_ratio"] == pytest.approx(observed / expected, abs=0.0005)
            assert row["enrolment_ratio_lower"] == pytest.approx(low / expected, abs=0.0005)
            assert row["enrolment_ratio_upper"] == pytest.approx(high / expected, abs=0.0005)
            assert row["enrolment_rate_per_1000"] == pytest.approx(
                1000 * overall * observed / expected, abs=0.005
            )
        assert rows["C84004"]["enrolment_rate_method"].endswith("exact Poisson")

    def test_a_practice_without_a_breakdown_keeps_the_crude_rate(
        self, client_in, population, breakdowns
    ):
        _, body = get(client_in, PRACTICES, condition="knee-pain")
        row = next(r for r in body["results"] if r["practice"] == "C84003")
        frame = population.frame()
        assert row["enrolment_rate_method"].startswith("crude")
        assert row["enrolment_ratio"] is None
        assert row["enrolment_rate_per_1000"] == pytest.approx(
            1000 * (frame.practice == "C84003").sum() / 4000, abs=0.005
        )

    def test_without_any_breakdown_every_rate_is_crude(self, client_in, population):
        _, body = get(client_in, PRACTICES, condition="knee-pain")
        assert {r["enrolment_rate_method"].split(";")[0] for r in body["results"]} == {"crude"}

    def test_age_bands_of_populations_are_those_outcomes_compare_by(self):
        from surveys.sql import AGE_BANDS

        assert PracticePopulation.AGE_BANDS == AGE_BANDS


@pytest.mark.usefixtures("exact_counts")
class TestPracticeModel:
    def test_practices_for_one_provider_use_the_model_fitted_on_all_providers(
        self, client_in, population
    ):
        _, summary = get(
            client_in, SUMMARY, condition="knee-pain", group_by="practice", provider="RX1"
        )
        _, practices = get(client_in, PRACTICES, condition="knee-pain", provider="RX1")
        _, everyone = get(client_in, SUMMARY, condition="knee-pain")
        assert practices["meta"]["model"] == everyone["meta"]["model"]
        assert summary["meta"]["model"] == everyone["meta"]["model"]
        by_practice = {r["practice"]: r for r in summary["results"]}
        compared = 0
        for row in practices["results"]:
            if not row["n"]:  # no RX1 patients at this practice
                continue
            expected = by_practice[row["practice"]]
            for key in ("n", "n_modelled", "adjusted_change", "funnel_target", "funnel_lower_95"):
                assert row[key] == expected[key], key
            compared += 1
        assert compared == 2


class TestRequests:
    @pytest.mark.parametrize(
        "params,message",
        [
            ({}, "condition"),
            ({"condition": "no-such"}, "condition"),
            ({"condition": "knee-pain", "period": "2026-13"}, "period"),
            ({"condition": "knee-pain", "period": "2026Q1", "from": "2026-01-01"}, "not both"),
            ({"condition": "knee-pain", "from": "2026-02-01", "to": "2026-01-01"}, "before"),
            ({"condition": "knee-pain", "from": "yesterday"}, "from"),
            ({"condition": "knee-pain", "from": "2026-01-02"}, "'from' must be the first day"),
            ({"condition": "knee-pain", "to": "2026-02-27"}, "'to' must be the last day"),
            ({"condition": "knee-pain", "score": "total"}, "instrument"),
            ({"condition": "knee-pain", "instrument": "oks", "score": "nope"}, "no numeric"),
            ({"condition": "knee-pain", "instrument": "nope"}, "instrument"),
            ({"condition": "knee-pain", "outcome": "equity"}, "outcome"),
            (
                {"condition": "knee-pain", "instrument": "nrs-pain", "outcome": "quality-of-life"},
                "does not inform",
            ),
            ({"condition": "knee-pain", "timepoint": "10-years"}, "timepoint"),
            ({"condition": "back-pain", "timepoint": "post-op-6-months"}, "back-pain pathway"),
            ({"condition": "knee-pain", "provider": "ZZZ"}, "No provider"),
            ({"condition": "knee-pain", "group_by": "postcode"}, "group_by"),
            ({"condition": "knee-pain", "series": "week"}, "series"),
        ],
    )
    def test_bad_queries_are_400_with_a_message(
        self, client_in, loaded_definitions, params, message
    ):
        response, body = get(client_in, SUMMARY, **params)
        assert response.status_code == 400
        assert message in body["error"]

    @pytest.mark.parametrize("url", [SUMMARY, EQUITY, PRACTICES])
    def test_extreme_dates_are_answered(self, client_in, loaded_definitions, url):
        response = client_in.get(
            url, {"condition": "knee-pain", "from": "0001-01-01", "to": "9999-12-31"}
        )
        assert response.status_code == 200

    @pytest.mark.parametrize("url", [SUMMARY, EQUITY, PRACTICES])
    def test_anonymous_clients_are_refused(self, client, db, url):
        response = client.get(url, {"condition": "knee-pain"})
        assert response.status_code in (401, 403)

    @pytest.mark.parametrize("url", [SUMMARY, EQUITY, PRACTICES])
    def test_no_identifier_appears_in_any_output(self, client_in, population, url, settings):
        settings.DISCLOSURE_ROUND_TO = 0
        patients = list(Patient.objects.all())
        for params in (
            {"condition": "knee-pain"},
            {"condition": "knee-pain", "group_by": "practice", "series": "month"},
        ):
            response = client_in.get(url, params)
            assert response.status_code == 200
            text = response.content.decode()
            for patient in patients:
                for secret in (
                    patient.nhs_number,
                    patient.family_name,
                    patient.date_of_birth.isoformat(),
                    patient.postcode,
                    patient.email,
                    patient.mobile,
                ):
                    assert secret not in text


class TestAccessAndCache:
    def test_any_api_key_may_read_aggregates(self, client, population):
        from outcomes.access import api_key_issue

        _, key = api_key_issue(name="ICB analyst", providers=[])
        response = client.get(
            SUMMARY, {"condition": "knee-pain"}, HTTP_AUTHORIZATION=f"Api-Key {key}"
        )
        assert response.status_code == 200

    def test_signed_in_non_staff_user_is_refused(self, client, population):
        client.force_login(UserFactory(is_staff=False))
        assert client.get(SUMMARY, {"condition": "knee-pain"}).status_code == 403

    def test_cached_answer_is_replaced_when_new_responses_arrive(
        self, client_in, population, settings, exact_counts
    ):
        from django.core.cache import cache

        cache.clear()
        settings.OUTCOME_SUMMARY_CACHE_SECONDS = 300
        _, first = get(client_in, SUMMARY, condition="knee-pain", group_by="none")
        _, again = get(client_in, SUMMARY, condition="knee-pain", group_by="none")
        assert again == first
        population.add(population.providers[0], base=10, follow=90)
        _, after = get(client_in, SUMMARY, condition="knee-pain", group_by="none")
        assert after["results"][0]["n"] == first["results"][0]["n"] + 1
        cache.clear()
