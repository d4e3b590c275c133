"""demo_setup's bulk history: enough paired questionnaires for unsuppressed figures that show
the built-in differences (surveys/synthetic.py)."""

import io

import pytest
from django.core.management import call_command

from analytics import summaries
from surveys import synthetic
from surveys.models import Patient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_settings(settings):
    settings.DEBUG = True


def test_demo_setup_adds_a_two_year_history_behind_the_detailed_patients():
    out = io.StringIO()
    call_command("demo_setup", "--history", "2500", stdout=out)

    assert "Two-year history: 2,500 patients" in out.getvalue()
    assert Patient.objects.count() == 200 + 2500 + 1
    query = summaries.OutcomeQuery(
        condition="back-pain",
        measure=summaries.measure_resolve(None, None, None),
        group_by="provider",
    )
    rows = summaries.outcome_summary(query)["results"]
    assert len(rows) == 5
    assert not any(row["suppressed"] for row in rows)
    best = max(rows, key=lambda row: row["mean_change"])
    assert best["provider"] == synthetic.BETTER_PROVIDER
