"""A response submitted by a patient shows in the dashboard's figures at once: no nightly job,
and the figure cache is keyed by the data version, so it never serves the old figure."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from dashboard.models import DashboardRole
from outcomes.loading import catalogue
from surveys import services
from tests.factories import (
    AreaFactory,
    PatientFactory,
    ProviderFactory,
    UserFactory,
    pathway_current,
)


def _answers(invitation, position: int):
    answers = {}
    for code, version in invitation.instruments:
        spec = catalogue().instrument(code, version)
        answers[code] = {item.id: item.scale()[position] for item in spec.items}
    return answers


def _submit(episode, timepoint: str, position: int) -> None:
    invitation = episode.invitations.get(timepoint=timepoint)
    with time_machine.travel(
        dt.datetime.combine(invitation.due_on, dt.time(10), tzinfo=dt.UTC), tick=False
    ):
        services.response_submit(
            invitation=invitation, answers=_answers(invitation, position), mode="self"
        )


@pytest.fixture
def exact(settings):
    settings.DISCLOSURE_MIN_CELL = 1
    settings.DISCLOSURE_ROUND_TO = 1
    settings.DASHBOARD_CACHE_SECONDS = 300


def _figure(client, name: str, **params):
    response = client.get(reverse("dashboard_api:figure", args=[name]), params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_submitted_response_shows_in_the_figures_at_once(client, loaded_definitions, exact):
    user = UserFactory()
    DashboardRole.objects.create(user=user, role=DashboardRole.Role.ANALYST)
    client.force_login(user)
    patient = PatientFactory(date_of_birth=dt.date(1950, 6, 1), area=AreaFactory(imd_decile=2))
    with time_machine.travel(dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC), tick=False):
        episode = services.episode_enrol(
            patient=patient,
            pathway=pathway_current("knee-pain"),
            provider=ProviderFactory(),
            referred_on=dt.date(2026, 1, 5),
            by=None,
        )

    def answered() -> int:
        rows = _figure(client, "condition_activity")
        return next(r["answered"] for r in rows if r["condition"] == "knee-pain")

    assert answered() == 0
    _submit(episode, "baseline", 0)
    assert answered() == 1

    def july() -> list[dict]:
        rows = _figure(client, "outcome_spc", condition="knee-pain")
        return [r for r in rows if r["outcome"] == "quality-of-life" and r["period"] == "2026-07"]

    assert july() == []
    _submit(episode, "6-months", -1)
    [row] = july()
    assert row["n"] == 1 and row["mean_change"] is not None
