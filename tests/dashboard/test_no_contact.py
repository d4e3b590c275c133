"""The dashboard's "no contact" figure and its drill-down count the episodes the staff's
no-contact worklist lists: one definition of last contact (surveys/contact.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from care import worklists
from care.contact import last_contact_refresh
from care.services import staff_contact_record
from dashboard.figures.services import no_contact, no_contact_episodes
from dashboard.filters import Filters
from notifications.models import Notification
from outcomes.models import Condition
from surveys.models import Episode, Provider
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def silent_then_reached(demo_population):
    """Two episodes with no contact for 12 weeks, then reached: one by a message sent a
    fortnight ago, one by a call staff recorded today (neither counted by the old figure)."""
    cutoff = timezone.now() - dt.timedelta(weeks=13)
    silent = Episode.objects.filter(status="active", last_contact_at__lt=cutoff).order_by("pk")
    messaged, called = silent[0], silent[1]
    sent = timezone.now() - dt.timedelta(weeks=2)
    Notification.objects.create(
        invitation=messaged.invitations.first(),
        patient=messaged.patient,
        channel="sms",
        kind="reminder",
        status="delivered",
        idempotency_key="reached",
        not_before=sent,
        sent_at=sent,
    )
    last_contact_refresh(episode_ids=[messaged.pk])
    staff_contact_record(episode=called, by=None, note="Phoned")
    return messaged, called


def test_the_worklist_and_the_drill_down_list_the_same_episodes(silent_then_reached):
    superuser = UserFactory(is_superuser=True)
    listed = set(worklists.no_contact(superuser, 12).values_list("pk", flat=True))

    drilled = set()
    for condition in Condition.objects.values_list("code", flat=True):
        found, total = no_contact_episodes(
            filters=Filters(condition=condition, weeks=12),
            providers=Provider.objects.all(),
            limit=10_000,
        )
        assert total == len(found)
        drilled |= {row["episode"].pk for row in found}

    assert listed and listed == drilled
    assert not {episode.pk for episode in silent_then_reached} & listed


def test_the_published_figure_counts_the_worklists_episodes_per_provider(
    silent_then_reached, settings
):
    settings.DISCLOSURE_MIN_CELL = 0  # compare the raw counts: no suppression, no rounding
    settings.DISCLOSURE_ROUND_TO = 1
    filters = Filters(condition="knee-pain", weeks=12)
    figure = no_contact(filters=filters)
    assert any(row["no_contact"] for row in figure["results"])

    for row in figure["results"]:
        if row["dimension"] != "provider":
            continue
        provider = Provider.objects.get(ods_code=row["group"])
        _found, total = no_contact_episodes(filters=filters, providers=[provider])
        staff = UserFactory()
        provider.staff.add(staff)
        listed = worklists.no_contact(staff, 12).filter(pathway__condition__code="knee-pain")
        assert row["no_contact"] == total == listed.count(), provider.ods_code
