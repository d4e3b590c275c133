"""The figures read from the cohort read models publish exactly what the joins of episodes,
patients, areas, events, invitations and results published (tests/dashboard/legacy_figures.py),
for every condition and for the filters that narrow them."""

from __future__ import annotations

import pytest

from dashboard.figures import FIGURES
from dashboard.filters import Filters
from surveys.models import Practice, Provider

from . import legacy_figures

PORTED = (
    "baseline_by_deprivation",
    "referral_to_assessment",
    "procedure_rates",
    "event_intervals",
    "data_completeness",
    "gain_by_procedure",
)


@pytest.fixture
def cohorts(demo_population, settings):
    settings.DISCLOSURE_MIN_CELL = 1  # every cell published, so every number is compared
    settings.DISCLOSURE_ROUND_TO = 1


def _filter_sets() -> list[Filters]:
    practice = Practice.objects.filter(patients__isnull=False).order_by("ods_code").first()
    provider = Provider.objects.order_by("ods_code").first()
    return [
        Filters(condition="knee-pain"),
        Filters(condition="back-pain", outcome="pain"),
        Filters(condition="fibromyalgia"),
        Filters(condition="knee-pain", provider=provider.ods_code),
        Filters(condition="knee-pain", practice=practice.ods_code),
        Filters(condition="back-pain", period="2026Q1"),
        Filters(condition="knee-pain", period="2025-10"),
    ]


@pytest.mark.parametrize("name", PORTED)
def test_a_cohort_figure_equals_the_figure_from_the_joins(cohorts, name):
    compared = 0
    for filters in _filter_sets():
        new = FIGURES[name].function(filters=filters)
        old = getattr(legacy_figures, name)(filters=filters)
        assert new["results"] == old["results"], (name, filters)
        compared += sum(1 for row in new["results"] if not row.get("suppressed"))
    assert compared > 0


def test_the_baseline_figure_has_scores_to_compare(cohorts):
    answer = FIGURES["baseline_by_deprivation"].function(filters=Filters(condition="knee-pain"))
    assert sum(row["with_baseline"] for row in answer["results"]) > 0
