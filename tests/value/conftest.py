import datetime as dt
from pathlib import Path

import pytest

from surveys import reference
from value.services import unit_costs_load

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
