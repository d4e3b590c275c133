import datetime as dt
import uuid

import pytest
import time_machine
from rest_framework.throttling import AnonRateThrottle

from outcomes.access import api_key_issue
from outcomes.loading import catalogue
from outcomes.throttling import ClientRateThrottle
from surveys.services import episode_enrol, response_submit
from tests.factories import (
    AreaFactory,
    PatientFactory,
    PracticeFactory,
    ProviderFactory,
    pathway_current,
)


@pytest.fixture(autouse=True)
def fresh_throttle_counts(monkeypatch):
    """Every test counts requests under its own cache keys.

    Not ``cache.clear()``: on the PostgreSQL/Redis pass that would flush the Redis database the
    Celery broker shares.
    """
    run = uuid.uuid4().hex
    for throttle in (ClientRateThrottle, AnonRateThrottle):
        monkeypatch.setattr(throttle, "cache_format", f"throttle_{run}_%(scope)s_%(ident)s")


@pytest.fixture
def provider_a(db):
    return ProviderFactory(ods_code="RAA01", name="Provider A")


@pytest.fixture
def provider_b(db):
    return ProviderFactory(ods_code="RBB02", name="Provider B")


@pytest.fixture
def key_a(provider_a):
    """A raw key scoped to provider A."""
    _client, raw_key = api_key_issue(name="Provider A analysts", providers=[provider_a])
    return raw_key


@pytest.fixture
def key_none(db):
    """A raw key for aggregates only (no providers)."""
    _client, raw_key = api_key_issue(name="ICB analysts", providers=[])
    return raw_key


def auth(raw_key: str, keyword: str = "Api-Key") -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"{keyword} {raw_key}"}


def answers_for(invitation) -> dict[str, dict[str, int]]:
    """Complete answers for every instrument of an invitation: first option, or the minimum."""
    answers = {}
    for code, version in invitation.instruments:
        spec = catalogue().instrument(code, version)
        answers[code] = {
            item.id: (item.options[0].code if item.kind == "choice" else item.minimum)
            for item in spec.items
            if item.asked_at == "all" or invitation.follow_up
        }
    return answers


def responded_patient(provider, *, referred_on=dt.date(2026, 1, 5), when=None):
    """A synthetic patient on the knee pathway at ``provider`` with a submitted baseline."""
    area = AreaFactory(lsoa_code="E01000001", imd_decile=3)
    practice = PracticeFactory(ods_code="C84001")
    patient = PatientFactory(area=area, practice=practice, date_of_birth=dt.date(1958, 6, 1))
    with time_machine.travel(when or dt.datetime(2026, 1, 12, 10, tzinfo=dt.UTC), tick=False):
        episode = episode_enrol(
            patient=patient,
            pathway=pathway_current("knee-pain"),
            provider=provider,
            referred_on=referred_on,
            by=None,
        )
        invitation = episode.invitations.get(timepoint="baseline")
        submission = response_submit(
            invitation=invitation, answers=answers_for(invitation), mode="self", by=None
        )
    return submission.response


@pytest.fixture
def responses_a_and_b(provider_a, provider_b):
    return [responded_patient(provider_a), responded_patient(provider_b)]
