import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from surveys.services import episode_enrol
from tests.factories import (
    PatientFactory,
    ProviderFactory,
    UserFactory,
    nhs_number_for,
    pathway_current,
)

LONDON = ZoneInfo("Europe/London")
TUESDAY_10AM = dt.datetime(2026, 3, 10, 10, 0, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def eager_tasks():
    """Unit tests run Celery tasks in-process, even on the pass where REDIS_URL is set."""
    from proms.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


@pytest.fixture
def daytime():
    """A Tuesday at 10:00 UK time, outside quiet hours; the clock stands still."""
    with time_machine.travel(TUESDAY_10AM, tick=False) as traveller:
        yield traveller


@pytest.fixture
def channels(settings):
    """Local channels: SMS to the console, e-mail to Django's test outbox."""
    settings.NOTIFICATIONS_SMS_BACKEND = "console"
    settings.NOTIFICATIONS_EMAIL_BACKEND = "django"
    settings.QUIET_HOURS = "20:00-08:00"
    settings.PUBLIC_BASE_URL = "https://proms.test"
    return settings


@pytest.fixture
def staff(db):
    return UserFactory()


@pytest.fixture
def enrol(db, staff, channels):
    """Enrol a synthetic patient today (on knee pain unless named); returns the episode."""

    serials = iter(range(500000, 900000, 10))  # steps of 10: no two serials share a number

    def enrol(pathway="knee-pain", **patient_fields):
        patient_fields.setdefault("nhs_number", nhs_number_for(next(serials)))
        patient = PatientFactory(**patient_fields)
        provider = ProviderFactory(ods_code="TST01")
        provider.staff.add(staff)
        return episode_enrol(
            patient=patient,
            pathway=pathway_current(pathway),
            provider=provider,
            referred_on=dt.datetime.now(LONDON).date(),
            by=staff,
        )

    return enrol
