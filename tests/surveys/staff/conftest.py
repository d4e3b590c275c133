"""Staff users at two providers, and a patient enrolled at provider A."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from surveys import services
from tests.factories import PatientFactory, ProviderFactory, UserFactory, pathway_current


@pytest.fixture
def provider_a(db):
    return ProviderFactory(name="Service A")


@pytest.fixture
def provider_b(db):
    return ProviderFactory(name="Service B")


@pytest.fixture
def staff_a(provider_a):
    user = UserFactory(is_staff=True)
    provider_a.staff.add(user)
    return user


@pytest.fixture
def staff_b(provider_b):
    user = UserFactory(is_staff=True)
    provider_b.staff.add(user)
    return user


@pytest.fixture
def client_a(client, staff_a):
    client.force_login(staff_a)
    return client


@pytest.fixture
def knee():
    return pathway_current("knee-pain")


def enrol(provider, user, referred_on=None, pathway="knee-pain", patient=None):
    patient = patient or PatientFactory(date_of_birth=dt.date(1950, 6, 1))
    return services.episode_enrol(
        patient=patient,
        pathway=pathway_current(pathway),
        provider=provider,
        referred_on=referred_on or timezone.localdate(),
        by=user,
    )


@pytest.fixture
def episode_a(provider_a, staff_a):
    return enrol(provider_a, staff_a)


@pytest.fixture
def episode_b(provider_b, staff_b):
    return enrol(provider_b, staff_b)
