import datetime as dt
from pathlib import Path

import pytest
import time_machine

from outcomes.models import AuditEvent
from surveys import reference, synthetic
from surveys.models import Area, PostcodeArea, Practice, Provider
from tests.factories import ProviderFactory, UserFactory
from value.models import ActivityRecord, UnitCostSchedule
from value.services import unit_costs_load
from value.synthetic import value_population_write

TODAY = dt.date(2026, 11, 2)
ILLUSTRATIVE = (
    Path(__file__).resolve().parents[2] / "value" / "data" / "illustrative_unit_costs.csv"
)


@pytest.fixture
def reference_data(db):
    reference.areas_load()
    reference.practices_load(mid_notts_only=True)


@pytest.fixture
def unit_costs(db):
    return unit_costs_load(
        data=ILLUSTRATIVE.read_bytes(), name="Illustrative", illustrative=True, by=None
    )


@pytest.fixture(autouse=True)
def value_report_cache_off(settings):
    """Each test computes its report; the cache has its own test (test_api_and_pages.py)."""
    settings.VALUE_REPORT_CACHE_SECONDS = 0


@pytest.fixture
def frozen():
    with time_machine.travel(dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture(scope="module")
def stored_population(django_db_setup, django_db_blocker):
    """Written once for this module (committed), removed at its end: each test still runs in
    its own transaction on top of it, so what a test writes is rolled back."""
    with django_db_blocker.unblock():
        with time_machine.travel(dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC), tick=False):
            reference.areas_load()
            reference.practices_load(mid_notts_only=True)
            unit_costs_load(data=ILLUSTRATIVE.read_bytes(), name="Illustrative", illustrative=True)
            value_population_write(patients=400, seed=5, today=TODAY)
        yield
        synthetic.population_delete()
        ActivityRecord.objects.all().delete()
        UnitCostSchedule.objects.all().delete()
        AuditEvent.objects.filter(action__startswith="value.").delete()
        PostcodeArea.objects.all().delete()
        Practice.objects.all().delete()
        Area.objects.all().delete()
        Provider.objects.all().delete()


@pytest.fixture
def population(stored_population, frozen, settings):
    settings.DISCLOSURE_MIN_ADJUSTED = 20


@pytest.fixture
def staff(db):
    user = UserFactory()
    ProviderFactory().staff.add(user)
    return user
