import datetime as dt
import io
import re
import uuid

import pytest
from pypdf import PdfReader
from rest_framework.throttling import AnonRateThrottle

from outcomes.throttling import ClientRateThrottle
from surveys import reference, synthetic
from surveys.models import Area, Practice, Provider

TODAY = dt.date(2026, 11, 20)  # the synthetic population's "today"
POPULATION = 1500


@pytest.fixture(autouse=True)
def eager_tasks():
    """Board packs build in-process, even on the pass where REDIS_URL is set."""
    from proms.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


@pytest.fixture(autouse=True)
def fresh_throttle_counts(monkeypatch):
    run = uuid.uuid4().hex
    for throttle in (ClientRateThrottle, AnonRateThrottle):
        monkeypatch.setattr(throttle, "cache_format", f"throttle_{run}_%(scope)s_%(ident)s")


@pytest.fixture(scope="module")
def population(django_db_setup, django_db_blocker):
    """A synthetic Mid-Notts population (two years to TODAY), written once per module."""
    with django_db_blocker.unblock():
        reference.areas_load()
        reference.practices_load(mid_notts_only=True)
        context = synthetic.context_from_database(11)
        plans = synthetic.population_plan(context, patients=POPULATION, today=TODAY)
        synthetic.population_write(plans, context=context)
    yield
    with django_db_blocker.unblock():
        synthetic.population_delete()
        Provider.objects.all().delete()
        Practice.objects.all().delete()
        Area.objects.all().delete()


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with runs of white space made single spaces (tables wrap cells)."""
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
