"""Contact staff record moves an episode's last contact on; the stored value can be worked out
again from the history (the migration's fill and care.contact.last_contact_refresh); the staff
menu offers the worklists only to people who care for patients."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from care.contact import last_contact_refresh
from care.models import StaffContact
from care.services import contact_request_create, contact_request_done, staff_contact_record
from notifications.models import Notification
from surveys import services
from surveys.contact import day_start
from surveys.models import Episode
from tests.care.conftest import answer, enrol
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _last_contact(episode) -> dt.datetime:
    episode.refresh_from_db(fields=["last_contact_at"])
    return episode.last_contact_at


def test_a_contact_recorded_by_staff_moves_the_last_contact_to_now(episode_a, staff_a):
    contact = staff_contact_record(episode=episode_a, by=staff_a, note="Phoned, all well")

    assert _last_contact(episode_a) == contact.at


def test_closing_a_contact_request_moves_the_last_contact_to_when_it_was_closed(episode_a, staff_a):
    request = contact_request_create(invitation=episode_a.invitations.get(timepoint="baseline"))

    done = contact_request_done(contact_request=request, by=staff_a, note="Called back")

    assert _last_contact(episode_a) == done.done_at


def _history(provider, user) -> tuple[Episode, dt.datetime]:
    """An episode referred 10 days ago with an event, an answer, a staff contact and, latest
    of all, a message sent; returns it and that message's time."""
    today = timezone.localdate()
    episode = enrol(provider, user, referred_on=today - dt.timedelta(days=10))
    services.event_record(
        episode=episode, kind="assessment", occurred_on=today - dt.timedelta(days=5), by=user
    )
    response = answer(episode, "baseline")
    StaffContact.objects.create(
        episode=episode, provider=provider, at=response.submitted_at, note="Phoned"
    )
    sent = response.submitted_at + dt.timedelta(hours=2)
    Notification.objects.create(
        invitation=episode.invitations.get(timepoint="baseline"),
        patient=episode.patient,
        channel="sms",
        kind="reminder",
        status="delivered",
        idempotency_key="history",
        not_before=sent,
        sent_at=sent,
    )
    return episode, sent


class _Editor:
    connection = connection


def test_the_migration_fills_the_last_contact_from_every_source_in_one_statement(
    provider_a, staff_a, django_assert_num_queries
):
    episode, sent = _history(provider_a, staff_a)
    Episode.objects.update(last_contact_at=day_start(episode.referred_on))
    fill = importlib.import_module("care.migrations.0002_last_contact_fill").fill

    with django_assert_num_queries(1):
        fill(apps, _Editor())

    assert _last_contact(episode) == sent


def test_without_messages_or_staff_contacts_the_fill_takes_the_latest_answer(provider_a, staff_a):
    episode = enrol(provider_a, staff_a, referred_on=timezone.localdate() - dt.timedelta(days=9))
    response = answer(episode, "baseline")
    Episode.objects.update(last_contact_at=day_start(episode.referred_on))

    importlib.import_module("care.migrations.0002_last_contact_fill").fill(apps, _Editor())

    assert _last_contact(episode) == response.submitted_at


def test_the_refresh_works_out_the_same_value_for_the_episodes_named_only(
    provider_a, staff_a, episode_a
):
    episode, sent = _history(provider_a, staff_a)
    stale = day_start(episode.referred_on)
    Episode.objects.update(last_contact_at=stale)

    assert last_contact_refresh(episode_ids=[episode.pk]) == 1

    assert _last_contact(episode) == sent
    assert _last_contact(episode_a) == stale  # not named: left alone


def test_the_staff_menu_offers_worklists_to_a_services_staff(client_a):
    page = client_a.get(reverse("staff:home")).text

    assert f'href="{reverse("care:home")}"' in page


def test_the_staff_menu_hides_worklists_from_a_programme_analyst(client):
    client.force_login(UserFactory(is_staff=True))  # Django staff, no provider: no patients

    page = client.get(reverse("reports:list")).text

    assert "Board packs" in page
    assert f'href="{reverse("care:home")}"' not in page


def test_a_programme_analyst_who_opens_a_worklist_is_pointed_to_the_figures(client):
    client.force_login(UserFactory(is_staff=True))

    response = client.get(reverse("care:no_contact"))

    assert response.status_code == 403
    assert "This page is for a service's care team" in response.text
    assert f'href="{reverse("reports:list")}"' in response.text


def test_the_staff_menu_offers_no_patient_pages_to_a_programme_analyst(client):
    client.force_login(UserFactory(is_staff=True))

    page = client.get(reverse("reports:list")).text

    for name in ("staff:patient_new", "notifications:letters", "staff:enrolment_upload"):
        assert f'href="{reverse(name)}"' not in page
    assert "Find a patient</a>" not in page


def test_the_staff_menu_offers_the_patient_pages_to_a_services_staff(client_a):
    page = client_a.get(reverse("staff:home")).text

    for name in ("staff:home", "staff:patient_new", "notifications:letters"):
        assert f'href="{reverse(name)}"' in page
