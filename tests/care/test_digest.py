"""The daily alert e-mail: opt-in, counts and a link only, once a day."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from care.digest import alert_digests_send
from care.models import AlertEmailSubscription
from care.tasks import send_alert_digests
from tests.care.conftest import answer


@pytest.fixture
def alerting(episode_a):
    answer(episode_a, "baseline", ad=5)
    return episode_a


def test_a_clinician_who_opted_in_gets_counts_and_a_link_without_patient_details(alerting, staff_a):
    staff_a.email = "clinician@example.nhs.uk"
    staff_a.save()
    AlertEmailSubscription.objects.create(user=staff_a)

    assert send_alert_digests() == 1

    (message,) = mail.outbox
    assert message.to == ["clinician@example.nhs.uk"]
    assert "1 score alerts to review (1 urgent)" in message.body
    assert reverse("care:home") in message.body
    patient = alerting.patient
    for detail in (patient.given_name, patient.family_name, patient.nhs_number, patient.mobile):
        assert detail not in message.body and detail not in message.subject


def test_the_email_goes_once_a_day_however_often_beat_runs(alerting, staff_a):
    staff_a.email = "clinician@example.nhs.uk"
    staff_a.save()
    AlertEmailSubscription.objects.create(user=staff_a)

    alert_digests_send()
    alert_digests_send()

    assert len(mail.outbox) == 1


def test_nobody_gets_the_email_without_opting_in(alerting, staff_a):
    staff_a.email = "clinician@example.nhs.uk"
    staff_a.save()

    assert alert_digests_send() == 0 and not mail.outbox


def test_staff_opt_in_on_the_page_only_with_an_email_address(client_a, staff_a):
    refused = client_a.post(reverse("care:alert_email"), {"enabled": "on"})
    staff_a.email = "clinician@example.nhs.uk"
    staff_a.save()
    client_a.post(reverse("care:alert_email"), {"enabled": "on"})

    assert refused.status_code == 200 and "no e-mail address" in refused.text
    assert AlertEmailSubscription.objects.get(user=staff_a).enabled is True
