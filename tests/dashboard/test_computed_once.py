"""Within one request (or one board pack) each figure is computed once, cache or no cache."""

from __future__ import annotations

import pytest
from django.urls import reverse

from analytics import summaries
from dashboard.cache import cached, computed_once
from dashboard.models import DashboardRole
from tests.factories import UserFactory


@pytest.fixture
def analyst(db):
    user = UserFactory()
    DashboardRole.objects.create(user=user, role=DashboardRole.Role.ANALYST)
    return user


def test_the_practices_page_reads_one_practice_series_with_the_cache_off(
    client, analyst, demo_population, settings, monkeypatch
):
    settings.DASHBOARD_CACHE_SECONDS = 0
    calls = []
    original = summaries.practice_variation

    def counted(query):
        calls.append(query)
        return original(query)

    monkeypatch.setattr(summaries, "practice_variation", counted)
    client.force_login(analyst)
    response = client.get(reverse("dashboard:practices"))
    assert response.status_code == 200
    assert len(calls) == 1  # the deciles and the flags share it
    client.get(reverse("dashboard:practices"))
    assert len(calls) == 2  # and nothing outlives the request


def test_a_value_computed_once_is_handed_out_as_a_copy(db, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    with computed_once():
        first = cached("test", ["a"], lambda: {"rows": [1, 2]})
        first["rows"].append(3)
        again = cached("test", ["a"], lambda: {"rows": ["computed twice"]})
    assert again == {"rows": [1, 2]}


def test_outside_a_request_each_call_computes_afresh_with_the_cache_off(db, settings):
    settings.DASHBOARD_CACHE_SECONDS = 0
    answers = iter([1, 2])
    assert cached("test", ["b"], lambda: next(answers)) == 1
    assert cached("test", ["b"], lambda: next(answers)) == 2
