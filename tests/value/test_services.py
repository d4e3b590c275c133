"""Unit costs, activity, budgets and scenarios: loaders refuse bad files whole, writes are
versioned and audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from outcomes.models import AuditEvent
from tests.factories import EpisodeFactory, ProviderFactory
from value.models import ActivityRecord, ScenarioVersion, UnitCost, UnitCostSchedule
from value.services import (
    ValueInputError,
    activity_import,
    budget_for,
    budget_set,
    scenario_save,
    unit_costs_load,
)

GOOD = b"activity_type,unit,cost,price_year,source\nphysio-session,per session,55.00,2023/24,X\n"


def test_unit_costs_load_as_version_one_with_an_audit_record(db):
    schedule = unit_costs_load(data=GOOD, name="Test costs")
    assert schedule.version == 1
    assert UnitCost.objects.get(schedule=schedule).cost == Decimal("55.00")
    assert AuditEvent.objects.filter(action="value.unit_costs_loaded").count() == 1


def test_a_second_unit_cost_file_is_the_next_version_and_keeps_the_first(db):
    unit_costs_load(data=GOOD, name="First")
    second = unit_costs_load(data=GOOD.replace(b"55.00", b"60.00"), name="Second")
    assert second.version == 2
    assert UnitCostSchedule.objects.count() == 2


def test_a_unit_cost_file_without_a_source_column_is_refused(db):
    with pytest.raises(ValueInputError, match="source"):
        unit_costs_load(
            data=b"activity_type,unit,cost,price_year\nphysio-session,per session,55,2023/24\n",
            name="x",
        )
    assert not UnitCostSchedule.objects.exists()


def test_a_unit_cost_file_without_a_price_year_column_is_refused(db):
    with pytest.raises(ValueInputError, match="price_year"):
        unit_costs_load(
            data=b"activity_type,unit,cost,source\nphysio-session,per session,55,X\n", name="x"
        )


def test_a_row_with_a_blank_source_or_price_year_refuses_the_whole_file(db):
    data = GOOD + b"imaging,per scan,120,,\n"
    with pytest.raises(ValueInputError) as error:
        unit_costs_load(data=data, name="x")
    assert any("Row 3" in e and "source" in e for e in error.value.errors)
    assert any("Row 3" in e and "price year" in e for e in error.value.errors)
    assert not UnitCostSchedule.objects.exists()


def test_an_unknown_activity_type_and_a_bad_cost_are_named_by_row(db):
    data = b"activity_type,unit,cost,price_year,source\nyoga,per class,abc,2023/24,X\n"
    with pytest.raises(ValueInputError) as error:
        unit_costs_load(data=data, name="x")
    assert error.value.errors[0].startswith("Row 2: unknown activity type")
    assert "pounds and pence" in error.value.errors[1]


def test_every_pathway_procedure_type_can_have_a_unit_cost(db):
    data = (
        b"activity_type,unit,cost,price_year,source\n"
        b"total-knee-replacement,per procedure,7000,2023/24,X\n"
        b"pain-management-programme,per programme,900,2023/24,X\n"
    )
    assert unit_costs_load(data=data, name="x").costs.count() == 2


def test_activity_for_an_episode_of_the_provider_is_stored_with_its_condition(db):
    episode = EpisodeFactory()
    data = f"activity_type,count,episode\nphysio-session,4,{episode.pk}\n".encode()
    batch = activity_import(provider=episode.provider, month=dt.date(2026, 1, 1), data=data)
    record = ActivityRecord.objects.get(activity_import=batch)
    assert (record.count, record.condition) == (4, episode.pathway.condition.code)


def test_activity_for_another_providers_episode_is_refused(db):
    episode = EpisodeFactory()
    other = ProviderFactory()
    data = f"activity_type,count,episode\nphysio-session,4,{episode.pk}\n".encode()
    with pytest.raises(ValueInputError, match="not one of this provider"):
        activity_import(provider=other, month=dt.date(2026, 1, 1), data=data)


def test_activity_without_an_episode_needs_a_condition(db):
    provider = ProviderFactory()
    with pytest.raises(ValueInputError, match="condition"):
        activity_import(
            provider=provider, month=dt.date(2026, 1, 1), data=b"activity_type,count\nimaging,3\n"
        )


def test_a_second_file_for_the_same_month_replaces_the_first(db):
    provider = ProviderFactory()
    month = dt.date(2026, 1, 1)
    first = activity_import(
        provider=provider, month=month, data=b"activity_type,count,condition\nimaging,3,back-pain\n"
    )
    activity_import(
        provider=provider, month=month, data=b"activity_type,count,condition\nimaging,5,back-pain\n"
    )
    first.refresh_from_db()
    assert first.replaced
    assert list(ActivityRecord.objects.values_list("count", flat=True)) == [5]


def test_a_budget_change_is_audited_with_the_previous_amount(db):
    budget_set(year=2026, condition="back-pain", service="", amount=Decimal(100), by=None)
    budget_set(year=2026, condition="back-pain", service="", amount=Decimal(150), by=None)
    event = AuditEvent.objects.filter(action="value.budget_set").order_by("-pk").first()
    assert event.details["previous"] == "100.00"
    assert budget_for(year=2026, condition="back-pain") == Decimal(150)


def test_service_budget_lines_add_up_when_there_is_no_whole_condition_line(db):
    budget_set(year=2026, condition="knee-pain", service="A", amount=Decimal(100), by=None)
    budget_set(year=2026, condition="knee-pain", service="B", amount=Decimal(50), by=None)
    assert budget_for(year=2026, condition="knee-pain") == Decimal(150)


CONTENT = {
    "counterfactual": {"kind": "assumption", "change": 0.04, "low": 0.0, "high": 0.08},
    "options": [
        {
            "label": "Group exercise",
            "patients_per_year": 200,
            "cost_per_patient": 150,
            "benefit_per_patient": 0.02,
            "basis": "Workshop estimate",
        }
    ],
}


def test_saving_a_scenario_again_makes_version_two_and_keeps_version_one(db):
    first = scenario_save(content=CONTENT, name="Workshop 1", condition="back-pain", by=None)
    second = scenario_save(scenario=first.scenario, content=CONTENT, note="again", by=None)
    assert (first.number, second.number) == (1, 2)
    assert ScenarioVersion.objects.filter(scenario=first.scenario).count() == 2
    assert AuditEvent.objects.filter(action="value.scenario_saved").count() == 2


def test_a_scenario_option_without_a_cost_is_refused_and_nothing_is_saved(db):
    bad = {**CONTENT, "options": [{**CONTENT["options"][0], "cost_per_patient": ""}]}
    with pytest.raises(ValueInputError, match="cost per patient"):
        scenario_save(content=bad, name="Workshop", condition="back-pain", by=None)
    assert not ScenarioVersion.objects.exists()


def test_a_scenario_counterfactual_outside_its_range_is_refused(db):
    bad = {
        **CONTENT,
        "counterfactual": {"kind": "assumption", "change": 0.1, "low": 0, "high": 0.05},
    }
    with pytest.raises(ValueInputError, match="within its low-high range"):
        scenario_save(content=bad, name="Workshop", condition="back-pain", by=None)
