"""Worklist pages: what each lists, its actions, and that another provider sees none of it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from care.models import Alert, ContactRequest, StaffContact
from care.services import contact_request_create
from notifications.models import Notification
from outcomes.models import AuditEvent
from tests.care.conftest import answer, enrol

pytestmark = pytest.mark.django_db


def _page_later(client, user, url: str, days: int) -> str:
    """The page as ``user`` sees it ``days`` from now (logged in then: sessions expire)."""
    with time_machine.travel(timezone.now() + dt.timedelta(days=days), tick=False):
        client.force_login(user)
        return client.get(url).text


def test_an_unanswered_questionnaire_a_week_after_it_opened_is_overdue(
    client_a, episode_a, staff_a
):
    baseline = episode_a.invitations.get(timepoint="baseline")
    baseline.status = "sent"
    baseline.save()
    url = reverse("care:overdue")

    assert "Nothing is overdue" in _page_later(client_a, staff_a, url, 6)
    page = _page_later(client_a, staff_a, url, 8)
    assert episode_a.patient.full_name in page
    assert "Before your first appointment" in page  # the timepoint in words, not "baseline"


def test_an_answered_questionnaire_is_not_overdue(client_a, episode_a, staff_a):
    answer(episode_a, "baseline")

    assert "Nothing is overdue" in _page_later(client_a, staff_a, reverse("care:overdue"), 8)


def _lock(invitation):
    invitation.status, invitation.locked_at, invitation.dob_attempts = "sent", timezone.now(), 5
    invitation.save()


def test_a_locked_link_is_listed_and_unlocking_it_lets_the_same_link_work(
    client_a, episode_a, staff_a
):
    invitation = episode_a.invitations.get(timepoint="baseline")
    _lock(invitation)
    assert episode_a.patient.full_name in client_a.get(reverse("care:locked")).text

    response = client_a.post(reverse("care:unlock", args=[invitation.pk]))

    assert response.status_code == 302
    invitation.refresh_from_db()
    assert (invitation.locked_at, invitation.dob_attempts) == (None, 0)
    assert invitation.token_hash is not None or invitation.status == "sent"
    assert AuditEvent.objects.filter(action="invitation.unlocked", actor=staff_a).exists()
    assert "No links are locked" in client_a.get(reverse("care:locked")).text


def test_a_bounced_last_message_is_listed_until_a_newer_one_goes(client_a, episode_a):
    invitation = episode_a.invitations.get(timepoint="baseline")
    patient = episode_a.patient
    common = {
        "invitation": invitation,
        "patient": patient,
        "channel": "sms",
        "not_before": timezone.now(),
    }
    Notification.objects.create(
        kind="invite", status="permanent-failure", idempotency_key="k1", **common
    )
    assert patient.full_name in client_a.get(reverse("care:failed_messages")).text

    Notification.objects.create(kind="resend", status="pending", idempotency_key="k2", **common)

    assert (
        "Every recent message was delivered" in client_a.get(reverse("care:failed_messages")).text
    )


def test_a_patient_with_nothing_for_twelve_weeks_is_listed_until_staff_record_a_contact(
    client_a, provider_a, staff_a
):
    episode = enrol(provider_a, staff_a, referred_on=timezone.localdate() - dt.timedelta(days=200))
    episode.invitations.all().update(status="expired")
    url = reverse("care:no_contact")
    assert episode.patient.full_name in client_a.get(url).text

    response = client_a.post(
        reverse("care:contact_record", args=[episode.pk]),
        {"note": "Phoned, all well", "weeks": "12"},
    )

    assert response["Location"].endswith("?weeks=12")
    assert StaffContact.objects.get().note == "Phoned, all well"
    assert episode.patient.full_name not in client_a.get(url).text


def test_recording_a_contact_without_a_note_saves_nothing(client_a, episode_a):
    client_a.post(reverse("care:contact_record", args=[episode_a.pk]), {"note": " "})

    assert not StaffContact.objects.exists()


def test_a_contact_request_is_listed_and_closed_with_a_note(client_a, episode_a, staff_a):
    request = contact_request_create(invitation=episode_a.invitations.get(timepoint="baseline"))
    assert episode_a.patient.full_name in client_a.get(reverse("care:contact_requests")).text

    client_a.post(reverse("care:contact_request_done", args=[request.pk]), {"note": "Called back"})

    request.refresh_from_db()
    assert (request.status, request.done_by, request.note) == ("done", staff_a, "Called back")
    assert StaffContact.objects.filter(episode=episode_a).exists()  # counts as contact


def test_the_staff_home_shows_each_worklist_count_as_a_link(client_a, episode_a):
    contact_request_create(invitation=episode_a.invitations.get(timepoint="baseline"))
    answer(episode_a, "baseline", ad=5)

    page = client_a.get(reverse("staff:home")).text

    for name in (
        "alerts",
        "contact_requests",
        "overdue",
        "locked",
        "failed_messages",
        "no_contact",
    ):
        assert f'href="{reverse("care:" + name)}"' in page
    assert '<span class="staff-counts__n">1</span> asked to be contacted' in page
    assert "1 urgent" in page


def test_an_alert_is_moved_through_its_states_from_its_page(client_a, episode_a, staff_a):
    answer(episode_a, "baseline", ad=5)
    alert = Alert.objects.get()
    url = reverse("care:alert_detail", args=[alert.pk])

    client_a.post(url, {"to_state": "seen", "seen-to_state": "seen"})
    refused = client_a.post(url, {"to_state": "acted", "acted-to_state": "acted", "acted-note": ""})
    client_a.post(url, {"to_state": "acted", "acted-to_state": "acted", "acted-note": "Phoned"})

    assert refused.status_code == 400 and "Say what was done" in refused.text
    alert.refresh_from_db()
    assert (alert.state, alert.state_changed_by) == ("acted", staff_a)
    assert "Phoned" in client_a.get(url).text


def test_the_episode_page_shows_its_alerts_and_an_open_contact_request(client_a, episode_a):
    answer(episode_a, "baseline", ad=5)
    contact_request_create(invitation=episode_a.invitations.get(timepoint="baseline"))

    page = client_a.get(reverse("staff:episode_detail", args=[episode_a.pk])).text

    assert "Extremely anxious or depressed (EQ-5D-5L)" in page
    assert "The patient asked to be contacted" in page


# --- Another provider sees and does nothing -------------------------------------------------


@pytest.fixture
def everything_at_b(episode_b):
    invitation = episode_b.invitations.get(timepoint="baseline")
    answer(episode_b, "baseline", ad=5)
    request = contact_request_create(invitation=invitation)
    _lock(episode_b.invitations.get(timepoint="6-weeks"))
    Notification.objects.create(
        invitation=episode_b.invitations.get(timepoint="6-weeks"),
        patient=episode_b.patient,
        channel="sms",
        kind="invite",
        status="permanent-failure",
        idempotency_key="b1",
        not_before=timezone.now(),
    )
    return {"alert": Alert.objects.get(episode=episode_b), "request": request, "episode": episode_b}


@pytest.mark.parametrize(
    ("name", "days"),
    [
        ("alerts", 0),
        ("contact_requests", 0),
        ("overdue", 100),
        ("locked", 0),
        ("failed_messages", 0),
        ("no_contact", 120),
    ],
)
def test_a_worklist_never_shows_another_providers_patients(
    client_a, staff_a, staff_b, everything_at_b, name, days
):
    url = reverse(f"care:{name}")
    name_b = everything_at_b["episode"].patient.full_name

    assert name_b in _page_later(Client(), staff_b, url, days)  # there for its own provider
    assert name_b not in _page_later(client_a, staff_a, url, days)


def test_a_user_of_another_provider_cannot_see_or_act_on_an_item(client_a, everything_at_b):
    alert, request = everything_at_b["alert"], everything_at_b["request"]
    episode = everything_at_b["episode"]
    locked = episode.invitations.get(timepoint="6-weeks")

    responses = [
        client_a.get(reverse("care:alert_detail", args=[alert.pk])),
        client_a.post(
            reverse("care:alert_detail", args=[alert.pk]),
            {"to_state": "seen", "seen-to_state": "seen"},
        ),
        client_a.post(reverse("care:contact_request_done", args=[request.pk]), {"note": "x"}),
        client_a.post(reverse("care:unlock", args=[locked.pk])),
        client_a.post(reverse("care:contact_record", args=[episode.pk]), {"note": "x"}),
    ]

    assert [r.status_code for r in responses] == [404] * 5
    alert.refresh_from_db()
    request.refresh_from_db()
    locked.refresh_from_db()
    assert (alert.state, request.status) == ("new", ContactRequest.Status.OPEN)
    assert locked.locked_at is not None and not StaffContact.objects.exists()


def test_worklists_need_a_log_in(client):
    assert client.get(reverse("care:alerts")).status_code == 302


def test_the_home_counts_are_kept_a_minute_per_service_and_the_email_reads_them_fresh(
    settings, staff_a, episode_a
):
    from django.core.cache import cache

    from care import worklists

    settings.WORKLIST_COUNTS_CACHE_SECONDS = 60
    cache.clear()
    before = worklists.counts(staff_a)
    contact_request_create(invitation=episode_a.invitations.get(timepoint="baseline"))

    assert worklists.counts(staff_a) == before
    assert worklists.counts(staff_a, fresh=True)["contact_requests"] == 1
    cache.clear()


@pytest.mark.parametrize("name", ["alerts", "contact_requests"])
def test_a_worklist_page_reads_a_fixed_number_of_queries_however_long(
    client_a, provider_a, staff_a, django_assert_max_num_queries, name
):
    for _ in range(12):  # one query per row would need more than 12
        episode = enrol(provider_a, staff_a)
        answer(episode, "baseline", ad=5)
        contact_request_create(invitation=episode.invitations.get(timepoint="baseline"))

    with django_assert_max_num_queries(12):
        assert client_a.get(reverse(f"care:{name}")).status_code == 200
