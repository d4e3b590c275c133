"""Who sees what: aggregate figures for every dashboard user; patient-level detail only of the
user's own providers (and, for a practice lead, of their own practice's patients there)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from dashboard.access import viewer_for
from dashboard.models import DashboardRole
from tests.factories import (
    EpisodeFactory,
    PatientFactory,
    PracticeFactory,
    ProviderFactory,
    UserFactory,
)

LONG_AGO = dt.date.today() - dt.timedelta(weeks=30)


@pytest.fixture
def world(loaded_definitions):
    """Two providers, two practices, one silent open episode for each combination."""
    ours, theirs = ProviderFactory(), ProviderFactory()
    mine, other = PracticeFactory(), PracticeFactory()
    episodes = {
        (provider_key, practice_key): EpisodeFactory(
            provider=provider, patient=PatientFactory(practice=practice), referred_on=LONG_AGO
        )
        for provider_key, provider in (("ours", ours), ("theirs", theirs))
        for practice_key, practice in (("mine", mine), ("other", other))
    }
    return {"ours": ours, "theirs": theirs, "mine": mine, "other": other, "episodes": episodes}


def _listed(client) -> set[int]:
    body = client.get(reverse("dashboard:between")).content.decode()
    pattern = re.escape(reverse("staff:episode_detail", args=[0])).replace("0", r"(\d+)")
    return {int(pk) for pk in re.findall(f'href="{pattern}"', body)}


def _ids(world, *keys) -> set[int]:
    return {world["episodes"][key].pk for key in keys}


def test_provider_staff_drill_into_their_own_providers_patients_only(client, world):
    user = UserFactory()
    world["ours"].staff.add(user)
    client.force_login(user)
    assert viewer_for(user).role == DashboardRole.Role.PROVIDER
    assert _listed(client) == _ids(world, ("ours", "mine"), ("ours", "other"))


def test_a_practice_lead_sees_only_their_practices_patients_at_their_providers(client, world):
    user = UserFactory()
    world["ours"].staff.add(user)
    DashboardRole.objects.create(
        user=user, role=DashboardRole.Role.PRACTICE_LEAD, practice=world["mine"]
    )
    client.force_login(user)
    assert _listed(client) == _ids(world, ("ours", "mine"))
    viewer = viewer_for(user)
    assert set(viewer.episodes().values_list("pk", flat=True)) == _ids(world, ("ours", "mine"))


def test_a_practice_lead_cannot_drill_into_another_practice_by_filtering(client, world):
    user = UserFactory()
    world["ours"].staff.add(user)
    DashboardRole.objects.create(
        user=user, role=DashboardRole.Role.PRACTICE_LEAD, practice=world["mine"]
    )
    client.force_login(user)
    url = reverse("dashboard:between") + f"?practice={world['other'].ods_code}"
    body = client.get(url).content.decode()
    for pk in _ids(world, ("ours", "other"), ("theirs", "other")):
        assert f'href="{reverse("staff:episode_detail", args=[pk])}"' not in body


def test_a_programme_analyst_sees_aggregates_but_no_patient_level_detail(client, world):
    user = UserFactory()
    world["ours"].staff.add(user)  # even an analyst who also works for a provider
    DashboardRole.objects.create(user=user, role=DashboardRole.Role.ANALYST)
    client.force_login(user)
    response = client.get(reverse("dashboard:between"))
    assert response.status_code == 200
    assert _listed(client) == set()
    assert "shown only to staff of the patients' own providers" in response.content.decode()


def test_every_role_sees_every_providers_aggregate_figures(client, world):
    for role, practice in (
        (DashboardRole.Role.ANALYST, None),
        (DashboardRole.Role.PROVIDER, None),
        (DashboardRole.Role.PRACTICE_LEAD, world["mine"]),
    ):
        user = UserFactory()
        world["ours"].staff.add(user)
        DashboardRole.objects.create(user=user, role=role, practice=practice)
        client.force_login(user)
        answer = client.get(reverse("dashboard_api:figure", args=["no_contact"])).json()
        providers = {r["group"] for r in answer["results"] if r["dimension"] == "provider"}
        assert {world["ours"].ods_code, world["theirs"].ods_code} <= providers


def test_a_practice_leads_practice_page_defaults_to_their_practice(client, world):
    user = UserFactory()
    DashboardRole.objects.create(
        user=user, role=DashboardRole.Role.PRACTICE_LEAD, practice=world["mine"]
    )
    client.force_login(user)
    body = client.get(reverse("dashboard:practices")).content.decode()
    assert f'<option value="{world["mine"].ods_code}" selected>' in body


def test_a_practice_lead_role_needs_a_practice(db):
    from django.core.exceptions import ValidationError

    role = DashboardRole(user=UserFactory(), role=DashboardRole.Role.PRACTICE_LEAD)
    with pytest.raises(ValidationError):
        role.full_clean()
