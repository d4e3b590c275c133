from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache

from surveys import reference, synthetic
from surveys.cohorts import cohorts_rebuild

TODAY = dt.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Figures are cached by data version; tests that roll back can reuse primary keys."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def demo_population(loaded_definitions):
    """A synthetic population (two years of referrals, every provider, the Mid-Notts
    practices) written in bulk as the demo does, with today fixed."""
    reference.areas_load()
    reference.practices_load(mid_notts_only=True)
    synthetic.providers_ensure()
    context = synthetic.context_from_database(5)
    plans = synthetic.population_plan(context, patients=250, today=TODAY)
    synthetic.population_write(plans, context=context)
    cohorts_rebuild()  # as after any bulk load (the live paths keep them from then on)
    with time_machine.travel(dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC), tick=False):
        yield
