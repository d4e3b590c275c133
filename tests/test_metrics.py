"""/healthz/metrics: what operators watch (queue length, outbox age), for a token or staff."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from notifications.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/healthz/metrics"


def test_metrics_need_a_token_or_a_staff_log_in(settings):
    settings.METRICS_TOKEN = "a-monitoring-token"

    assert Client().get(URL).status_code == 401
    assert Client().get(URL, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert (
        Client().get(URL, headers={"Authorization": "Bearer a-monitoring-token"}).status_code == 200
    )


def test_staff_need_a_verified_session_to_read_the_metrics():
    staff = UserFactory(is_staff=True)
    unverified, verified = Client(), Client()
    unverified.force_login(staff, second_factor=False)
    verified.force_login(staff)

    assert unverified.get(URL).status_code == 401
    assert verified.get(URL).status_code == 200


def test_the_outbox_age_is_that_of_the_oldest_message_due(settings, enrolled_with_messages):
    settings.METRICS_TOKEN = "t"
    now = timezone.now()
    Notification.objects.filter(channel="sms").update(
        status="pending", not_before=now - dt.timedelta(minutes=10)
    )

    body = Client().get(URL, headers={"Authorization": "Bearer t"}).json()

    assert body["database"] == "ok"
    assert body["outbox"]["due"] == 1  # the held e-mail is not due yet, the letter is staff's
    assert 590 <= body["outbox"]["oldest_due_seconds"] <= 700
    assert set(body) == {"database", "redis", "queue_length", "outbox"}


@pytest.fixture
def enrolled_with_messages(db):
    from surveys import services
    from tests.factories import PatientFactory, ProviderFactory, pathway_current

    patient = PatientFactory()
    episode = services.episode_enrol(
        patient=patient,
        pathway=pathway_current("knee-pain"),
        provider=ProviderFactory(),
        referred_on=timezone.localdate(),
        by=None,
    )
    invitation = episode.invitations.get(timepoint="baseline")
    for channel, status in (("sms", "sent"), ("email", "held"), ("letter", "pending")):
        Notification.objects.create(
            invitation=invitation,
            patient=patient,
            channel=channel,
            kind="invite",
            status=status,
            idempotency_key=f"metrics-{channel}",
            not_before=timezone.now() + dt.timedelta(hours=1),
        )
