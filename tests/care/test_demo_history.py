"""The demo's history: what staff see on the synthetic patients can happen (issue 13)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Max
from django.utils import timezone

from care.demo import ALERTS_OPEN_DAYS, demo_history_write
from care.models import Alert
from surveys import reference, synthetic
from surveys.models import Episode, Invitation


@pytest.fixture
def demo(db):
    reference.areas_load()
    reference.practices_load(mid_notts_only=True)
    synthetic.providers_ensure()
    context = synthetic.context_from_database(5)
    plans = synthetic.population_plan(context, patients=120, today=timezone.localdate())
    synthetic.population_write(plans, context=context)
    demo_history_write()


def test_every_questionnaire_that_went_out_has_its_messages(demo):
    went_out = Invitation.objects.filter(sent_at__isnull=False).exclude(
        episode__patient__mobile="", episode__patient__email="", episode__patient__address_line_1=""
    )

    silent = went_out.filter(notifications__isnull=True)

    assert went_out.filter(status="completed").exists()
    assert not silent.exists()


def test_no_alert_raised_weeks_ago_is_still_waiting_for_someone(demo):
    old = timezone.now() - dt.timedelta(days=ALERTS_OPEN_DAYS)

    assert Alert.objects.filter(raised_at__lt=old).exists()
    assert not Alert.objects.filter(raised_at__lt=old, state="new").exists()


def test_the_demo_has_something_on_each_worklist(demo):
    assert Invitation.objects.filter(locked_at__isnull=False).exists()
    assert Invitation.objects.filter(notifications__status="permanent-failure").exists()


def test_the_messages_of_the_history_count_as_each_episodes_last_contact(demo):
    latest = Episode.objects.annotate(sent=Max("invitations__notifications__sent_at")).filter(
        sent__isnull=False
    )

    assert latest.exists()
    for episode in latest:
        assert episode.last_contact_at >= episode.sent, episode.pk
