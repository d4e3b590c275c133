"""Sending one notification: claimed before the channel is called, so never twice."""

import datetime as dt
from unittest import mock

import pytest
from django.core import mail
from django.template import TemplateSyntaxError

from notifications.models import Notification, NotificationAttempt
from notifications.sealing import unseal
from notifications.sending import notification_send, outbox_relay
from notifications.services import delivery_receipt_record, dispatch_due, patient_opt_out
from notifications.tasks import dispatch, send_notification

pytestmark = pytest.mark.django_db


def test_a_tick_sends_the_invite_by_sms_on_the_console(
    daytime, enrol, capsys, django_capture_on_commit_callbacks
):
    enrol()

    with django_capture_on_commit_callbacks(execute=True):
        dispatch.delay()  # eager: the tick, the relay on commit, then the send

    notification = Notification.objects.get()
    out = capsys.readouterr().out
    assert notification.status == Notification.Status.SENT
    assert f"https://proms.test/q/{unseal(notification.link_token)}/" in out
    assert "Hello Alex" in out
    assert "+4477009*0123" not in out and "0123" in out  # the number is masked but for 4 digits
    assert notification.attempt_rows.get().outcome == NotificationAttempt.Outcome.ACCEPTED


def test_an_email_patient_gets_an_email_with_a_subject(
    daytime, enrol, django_capture_on_commit_callbacks
):
    enrol(preferred_channel="email")

    with django_capture_on_commit_callbacks(execute=True):
        dispatch.delay()

    assert Notification.objects.get().status == Notification.Status.SENT
    assert mail.outbox[0].subject == "Tell us how you are getting on"
    assert "https://proms.test/q/" in mail.outbox[0].body
    assert mail.outbox[0].to == ["alex.tester@example.com"]


def test_a_task_run_twice_sends_once(daytime, enrol, capsys):
    enrol()
    dispatch_due(enqueue=False)
    notification = Notification.objects.get()

    first = send_notification.delay(notification.pk).get()
    second = send_notification.delay(notification.pk).get()

    assert (first, second) == ("sent", "skipped")
    assert capsys.readouterr().out.count("Hello Alex") == 1


def test_a_message_claimed_by_a_worker_that_died_is_not_sent_again(daytime, enrol, capsys):
    enrol()
    dispatch_due(enqueue=False)
    Notification.objects.update(
        status=Notification.Status.SENDING, claimed_at=dt.datetime.now(dt.UTC)
    )
    notification = Notification.objects.get()

    assert notification_send(notification_id=notification.pk) == "skipped"
    assert capsys.readouterr().out == ""


def test_an_smtp_or_console_send_a_dead_worker_left_is_marked_for_staff_not_resent(
    daytime, enrol, capsys
):
    enrol()
    dispatch_due(enqueue=False)
    Notification.objects.update(
        status=Notification.Status.SENDING, claimed_at=dt.datetime.now(dt.UTC)
    )
    daytime.shift(dt.timedelta(minutes=20))

    outbox_relay()

    notification = Notification.objects.get()
    assert notification.status == Notification.Status.FAILED
    assert notification.error_code == "unknown-outcome"
    assert capsys.readouterr().out == ""


def test_a_patient_who_opts_out_before_the_send_gets_nothing(daytime, enrol, capsys):
    episode = enrol()
    dispatch_due(enqueue=False)
    notification = Notification.objects.get()

    patient_opt_out(patient=episode.patient, source="staff")

    assert notification_send(notification_id=notification.pk) == "skipped"
    assert Notification.objects.get().status == Notification.Status.CANCELLED
    assert capsys.readouterr().out == ""


def test_a_send_that_falls_in_quiet_hours_is_held_to_the_morning(daytime, enrol, capsys):
    enrol()
    dispatch_due(enqueue=False)
    daytime.move_to(dt.datetime(2026, 3, 10, 22, 0))
    notification = Notification.objects.get()

    outcome = notification_send(notification_id=notification.pk)

    notification.refresh_from_db()
    assert outcome == "held"
    assert notification.status == Notification.Status.HELD
    assert capsys.readouterr().out == ""


def test_held_messages_go_out_at_eight_through_the_relay(daytime, enrol, capsys):
    enrol()
    daytime.move_to(dt.datetime(2026, 3, 10, 22, 0))
    dispatch_due(enqueue=False)
    assert outbox_relay().queued == []

    daytime.move_to(dt.datetime(2026, 3, 11, 8, 0, 30))
    report = outbox_relay()

    assert len(report.queued) == 1
    assert Notification.objects.get().status == Notification.Status.SENT
    assert "Hello Alex" in capsys.readouterr().out


def test_letters_are_not_sent_by_the_relay(daytime, enrol):
    enrol(mobile="", email="", address_line_1="1 Test Street")
    dispatch_due(enqueue=False)

    assert outbox_relay().queued == []
    assert Notification.objects.get().status == Notification.Status.PENDING


def test_the_embedded_scheduler_runs_one_tick_and_sends(daytime, enrol, capsys):
    from django.core.management import call_command

    enrol()

    call_command("run_scheduler", "--once")

    assert Notification.objects.get().status == Notification.Status.SENT
    assert "Hello Alex" in capsys.readouterr().out


def test_the_admin_lists_notifications_without_their_link(daytime, enrol, admin_client):
    enrol()
    dispatch_due(enqueue=False)
    notification = Notification.objects.get()

    listing = admin_client.get("/admin/notifications/notification/")
    detail = admin_client.get(f"/admin/notifications/notification/{notification.pk}/change/")

    assert listing.status_code == 200 and detail.status_code == 200
    assert notification.link_token not in detail.content.decode()


def broken_wording(*args, **kwargs):
    """A wording file that no longer renders (a bad edit), naming what it was given."""
    raise TemplateSyntaxError(f"bad template given {args} {kwargs}")


def test_an_unexpected_error_puts_the_message_back_with_only_its_error_class(
    daytime, enrol, monkeypatch
):
    enrol()
    dispatch_due(enqueue=False)
    notification = Notification.objects.get()
    token = unseal(notification.link_token)
    monkeypatch.setattr("notifications.sending.render_to_string", broken_wording)

    assert notification_send(notification_id=notification.pk) == "retry"

    notification.refresh_from_db()
    attempt = notification.attempt_rows.get()
    assert notification.status == Notification.Status.PENDING
    assert notification.error_code == "error-TemplateSyntaxError"
    assert attempt.outcome == NotificationAttempt.Outcome.TEMPORARY_FAILURE
    assert attempt.error_message == "TemplateSyntaxError"
    assert token not in attempt.error_message + attempt.error_code


def test_an_unexpected_error_gives_up_after_the_last_attempt(daytime, enrol, settings, monkeypatch):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    enrol()
    dispatch_due(enqueue=False)
    notification = Notification.objects.get()
    monkeypatch.setattr("notifications.sending.render_to_string", broken_wording)

    outcomes = []
    for _ in range(3):
        outcomes.append(notification_send(notification_id=notification.pk))
        daytime.shift(dt.timedelta(hours=1))

    notification.refresh_from_db()
    assert outcomes == ["retry", "failed", "skipped"]
    assert notification.status == Notification.Status.FAILED
    assert notification.link_token == ""


def test_a_stale_claim_on_the_last_attempt_is_given_up_not_put_back(daytime, enrol, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 1
    enrol()
    dispatch_due(enqueue=False)
    notification = Notification.objects.get()
    with (
        mock.patch("notifications.channels.ConsoleBackend.send", side_effect=SystemExit),
        pytest.raises(SystemExit),
    ):
        notification_send(notification_id=notification.pk)
    daytime.shift(dt.timedelta(minutes=20))

    with mock.patch("notifications.channels.ConsoleBackend.lookup", return_value=None):
        outbox_relay()

    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED
    assert notification.error_code == "worker-stopped"


def test_a_delivery_receipt_that_comes_before_the_send_is_recorded_is_not_overwritten(
    daytime, enrol
):
    enrol()
    dispatch_due(enqueue=False)
    notification = Notification.objects.get()

    def send_and_receipt_first(self, message):
        delivery_receipt_record(
            provider_id="provider-1", reference=message.reference, status="delivered"
        )
        return "provider-1"

    with mock.patch("notifications.channels.ConsoleBackend.send", send_and_receipt_first):
        assert notification_send(notification_id=notification.pk) == "sent"

    notification.refresh_from_db()
    assert notification.status == Notification.Status.DELIVERED
    assert notification.sent_at is not None and notification.delivered_at is not None
