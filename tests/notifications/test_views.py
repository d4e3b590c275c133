"""Notify's callbacks, staff opt-outs, resends, the letter batch and the episode include."""

import datetime as dt
import json

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from notifications.letters import letters_print
from notifications.models import Notification
from notifications.sealing import unseal
from notifications.sending import notification_send
from notifications.services import dispatch_due, invitation_resend
from surveys.services import JourneyError
from surveys.tokens import token_hash
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CALLBACK_TOKEN = "a-long-random-callback-token"


@pytest.fixture
def callbacks(settings):
    settings.NOTIFY_CALLBACK_TOKEN = CALLBACK_TOKEN


def post_json(client, url, body, token=CALLBACK_TOKEN):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


def sent_sms(enrol) -> Notification:
    enrol()
    dispatch_due(enqueue=False)
    notification = Notification.objects.get()
    notification_send(notification_id=notification.pk)
    notification.refresh_from_db()
    return notification


@pytest.mark.parametrize("token", ["", "wrong-token"])
def test_a_delivery_receipt_without_the_bearer_token_is_refused(client, callbacks, token):
    response = post_json(client, reverse("notify_callbacks:delivery"), {"status": "x"}, token)

    assert response.status_code == 401


def test_callbacks_are_refused_when_no_token_is_configured(client, settings):
    settings.NOTIFY_CALLBACK_TOKEN = ""

    response = post_json(client, reverse("notify_callbacks:delivery"), {"status": "x"}, "")

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("receipt", "status"),
    [("delivered", "delivered"), ("permanent-failure", "permanent-failure")],
)
def test_a_delivery_receipt_updates_the_notification(
    daytime, enrol, client, callbacks, receipt, status
):
    notification = sent_sms(enrol)

    response = post_json(
        client,
        reverse("notify_callbacks:delivery"),
        {
            "id": "740e5834-3a29-46b4-9a6f-16142fde533a",
            "reference": str(notification.pk),
            "to": "07700900123",
            "status": receipt,
            "created_at": "2026-03-10T10:00:00.000000Z",
            "completed_at": "2026-03-10T10:00:05.000000Z",
            "sent_at": "2026-03-10T10:00:01.000000Z",
            "notification_type": "sms",
        },
    )

    notification.refresh_from_db()
    assert response.json() == {"matched": True}
    assert notification.status == status


def test_a_receipt_for_an_unknown_message_is_accepted_and_ignored(client, callbacks, db):
    response = post_json(
        client,
        reverse("notify_callbacks:delivery"),
        {"id": "x", "reference": "999999", "status": "delivered"},
    )

    assert response.json() == {"matched": False}


def test_a_patient_replying_stop_is_opted_out_and_nothing_more_is_sent(
    daytime, enrol, client, callbacks
):
    episode = enrol()
    daytime.move_to(dt.datetime(2026, 3, 10, 21, 0))
    dispatch_due(enqueue=False)  # held until the morning

    response = post_json(
        client,
        reverse("notify_callbacks:inbound_sms"),
        {
            "id": "b51f9f2b-7d4f-4b1f-9b4b-e4a2a0b1c7de",
            "source_number": "447700900123",
            "destination_number": "07700900000",
            "message": "Stop",
            "date_received": "2026-03-10T21:01:00.000000Z",
        },
    )

    episode.patient.refresh_from_db()
    assert response.json() == {"opted_out": 1}
    assert episode.patient.opted_out_at is not None
    assert Notification.objects.get().status == Notification.Status.CANCELLED
    daytime.move_to(dt.datetime(2026, 3, 14, 10, 0))  # the reminders fall due
    assert dispatch_due(enqueue=False).notifications == 0


def test_a_reply_that_is_not_stop_changes_nothing(daytime, enrol, client, callbacks):
    episode = enrol()

    post_json(
        client,
        reverse("notify_callbacks:inbound_sms"),
        {"source_number": "447700900123", "message": "Thanks, will do"},
    )

    episode.patient.refresh_from_db()
    assert episode.patient.opted_out_at is None


def test_staff_record_an_opt_out(daytime, enrol, client, staff):
    episode = enrol()
    client.force_login(staff)

    response = client.post(
        reverse("notifications:patient_opt_out", args=[episode.patient.pk]),
        {"next": "/staff/"},
    )

    episode.patient.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == "/staff/"
    assert episode.patient.opted_out_at is not None


def test_staff_cannot_opt_out_another_providers_patient(daytime, enrol, client):
    episode = enrol()
    client.force_login(UserFactory(username="elsewhere"))

    response = client.post(reverse("notifications:patient_opt_out", args=[episode.patient.pk]))

    assert response.status_code == 404


def test_opting_out_needs_a_log_in(daytime, enrol, client):
    episode = enrol()

    response = client.post(reverse("notifications:patient_opt_out", args=[episode.patient.pk]))

    assert response.status_code == 302 and "login" in response["Location"]


def test_a_resend_issues_a_new_link_and_replaces_waiting_messages(daytime, enrol, staff):
    episode = enrol()
    daytime.move_to(dt.datetime(2026, 3, 10, 21, 0))
    dispatch_due(enqueue=False)
    invitation = episode.invitations.get(timepoint="baseline")

    resend = invitation_resend(invitation=invitation, by=staff)

    invitation.refresh_from_db()
    invite = Notification.objects.get(kind="invite")
    assert invite.status == Notification.Status.CANCELLED
    assert resend.kind == "resend" and resend.status == Notification.Status.HELD
    assert token_hash(unseal(resend.link_token)) == invitation.token_hash


def test_pressing_resend_twice_queues_one_message(daytime, enrol, staff):
    invitation = enrol().invitations.get(timepoint="baseline")

    first = invitation_resend(invitation=invitation, by=staff)
    second = invitation_resend(invitation=invitation, by=staff)

    assert first.pk == second.pk
    assert Notification.objects.filter(kind="resend").count() == 1


def test_no_resend_to_a_patient_who_opted_out(daytime, enrol, staff):
    episode = enrol(opted_out_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))

    with pytest.raises(JourneyError):
        invitation_resend(invitation=episode.invitations.first(), by=staff)


def letter_patients(enrol, count=2):
    for n in range(count):
        enrol(mobile="", email="", address_line_1=f"{n + 1} Test Street", town="Mansfield")
    dispatch_due(enqueue=False)


def test_the_letter_batch_prints_one_page_per_letter_and_marks_them_sent(daytime, enrol, staff):
    letter_patients(enrol)

    pdf, pages = letters_print(by=staff)

    assert pdf.startswith(b"%PDF") and pages == 2
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    assert letters_print(by=staff) is None  # printed once only


def test_a_letter_shows_the_address_link_and_qr_code(daytime, enrol):
    from notifications.letters import letter_content

    letter_patients(enrol, count=1)
    notification = Notification.objects.get()
    token = unseal(notification.link_token)
    content = letter_content(notification, token, dt.date(2026, 3, 10), "ABCD-1234")

    html = render_to_string("notifications/letter_batch.html", {"letters": [content]})
    assert "1 Test Street" in html and "NG18 1AA" in html
    assert "https://proms.test/l/ABCD-1234" in html
    assert token not in html.replace(content["qr"], "")  # the full link only in the QR code
    assert content["qr"].startswith("data:image/svg+xml")


def test_staff_download_their_letters_from_the_staff_pages(daytime, enrol, client, staff):
    letter_patients(enrol)
    client.force_login(staff)

    page = client.get(reverse("notifications:letters"))
    download = client.post(reverse("notifications:letters"))

    assert b"2 letters are waiting" in page.content
    assert download["Content-Type"] == "application/pdf"
    assert download.content.startswith(b"%PDF")


def test_staff_of_another_provider_see_no_letters(daytime, enrol, client):
    letter_patients(enrol)
    client.force_login(UserFactory(username="elsewhere"))

    client.post(reverse("notifications:letters"))

    assert not Notification.objects.filter(status="sent").exists()


def test_the_episode_include_lists_the_messages(daytime, enrol):
    episode = enrol()
    daytime.move_to(dt.datetime(2026, 3, 10, 21, 0))
    dispatch_due(enqueue=False)

    html = render_to_string("notifications/_episode_notifications.html", {"episode": episode})

    assert "Messages to the patient" in html
    assert "Held (quiet hours)" in html and "until 11 Mar 08:00" in html


def test_the_staff_episode_page_shows_its_messages(daytime, enrol, client, staff):
    episode = enrol()
    daytime.move_to(dt.datetime(2026, 3, 10, 21, 0))
    dispatch_due(enqueue=False)
    client.force_login(staff)

    page = client.get(reverse("staff:episode_detail", args=[episode.pk]))

    assert page.status_code == 200
    assert "Messages to the patient" in page.content.decode()
    assert "Held (quiet hours)" in page.content.decode()


def test_staff_stop_messages_from_the_patient_page(daytime, enrol, client, staff):
    episode = enrol()
    client.force_login(staff)
    url = reverse("staff:patient_detail", args=[episode.patient.pk])

    page = client.get(url)
    response = client.post(
        reverse("notifications:patient_opt_out", args=[episode.patient.pk]), {"next": url}
    )

    episode.patient.refresh_from_db()
    assert "Stop all messages to this patient" in page.content.decode()
    assert response["Location"] == url
    assert episode.patient.opted_out_at is not None
    assert "asked not to be contacted" in client.get(url).content.decode()


def test_a_delivery_receipt_nested_thousands_deep_is_400_not_500(db, client, settings):
    settings.NOTIFY_CALLBACK_TOKEN = "callback-token"
    page = client.post(
        reverse("notify_callbacks:delivery"),
        "[" * 5000 + "]" * 5000,
        content_type="application/json",
        headers={"Authorization": "Bearer callback-token"},
    )

    assert page.status_code == 400
