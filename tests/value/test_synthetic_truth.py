"""The value report finds the option that truly gives more benefit per pound, and recovers the
built-in effect within its interval when the counterfactual is set to the truth."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from value.analysis import value_report
from value.economics import Counterfactual
from value.selectors import ValueQuery
from value.synthetic import DEMO_TRUTH, value_population_write

from .conftest import TODAY


@pytest.fixture
def report(reference_data, unit_costs):
    with time_machine.travel(dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC), tick=False):
        value_population_write(patients=900, seed=12, today=TODAY)
        return value_report(
            ValueQuery(
                condition=DEMO_TRUTH.condition,
                counterfactual=Counterfactual(
                    kind="assumption", change=DEMO_TRUTH.natural_change, low=0.0, high=0.08
                ),
                referred_from=TODAY - dt.timedelta(days=730),
                referred_to=TODAY - dt.timedelta(days=224),
                replicates=400,
            )
        )


def test_the_option_with_more_benefit_per_pound_ranks_first(report):
    rows = {r["option"]: r for r in report["results"]}
    assert rows["DEMOCOM"]["rank"] == 1
    assert rows["DEMOIND"]["rank"] == 2
    assert rows["DEMOCOM"]["rank_holds"] > 0.95


def test_with_the_true_counterfactual_each_benefit_interval_holds_the_truth(report):
    for row in report["results"]:
        truth = DEMO_TRUTH.benefit(row["option"])
        assert row["benefit_per_patient_lower"] <= truth <= row["benefit_per_patient_upper"]
