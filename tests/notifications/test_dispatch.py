"""The scheduler tick: open, remind, expire; never the wrong person, never twice."""

import datetime as dt
from unittest import mock

import pytest

from notifications import services
from notifications.models import Notification
from notifications.sealing import unseal
from notifications.services import dispatch_due
from outcomes.loading import catalogue, load_catalogue
from outcomes.models import AuditEvent, Pathway
from surveys.models import Episode, EpisodeEvent, Invitation
from surveys.services import episode_enrol, event_record, invitation_link_issue, response_submit
from surveys.tokens import token_hash
from tests.outcomes.definition_files import PATHWAY, changed, write_tree

pytestmark = pytest.mark.django_db


def baseline(episode) -> Invitation:
    return episode.invitations.get(timepoint="baseline")


def test_an_enrolment_gets_its_invite_on_the_first_tick(daytime, enrol):
    episode = enrol()

    report = dispatch_due(enqueue=False)

    invitation = baseline(episode)
    notification = Notification.objects.get()
    assert report.opened == 1
    assert invitation.status == Invitation.Status.SENT
    assert (notification.kind, notification.channel, notification.status) == (
        "invite",
        "sms",
        "pending",
    )
    assert token_hash(unseal(notification.link_token)) == invitation.token_hash
    assert AuditEvent.objects.filter(
        action="invitation.link_issued", object_id=str(invitation.pk)
    ).exists()


def test_the_link_token_is_not_stored_in_plain_text(daytime, enrol):
    enrol()
    dispatch_due(enqueue=False)

    notification = Notification.objects.get()
    token = unseal(notification.link_token)
    assert token and token not in notification.link_token


def test_a_second_tick_sends_nothing_new(daytime, enrol):
    enrol()
    dispatch_due(enqueue=False)

    report = dispatch_due(enqueue=False)

    assert report.processed == 0
    assert Notification.objects.count() == 1


def test_later_timepoints_wait_for_their_window(daytime, enrol):
    episode = enrol()
    dispatch_due(enqueue=False)

    assert episode.invitations.filter(status=Invitation.Status.SCHEDULED).count() == 4


def test_reminders_follow_three_and_seven_days_after_the_first_message(daytime, enrol):
    enrol()
    dispatch_due(enqueue=False)
    kinds = []
    for days in (1, 3, 4, 7, 8, 10):
        daytime.move_to(dt.datetime(2026, 3, 10 + days, 10, 1))
        dispatch_due(enqueue=False)
        kinds.append(Notification.objects.count())

    reminders = Notification.objects.filter(kind="reminder").order_by("created_at")
    assert kinds == [1, 2, 2, 3, 3, 3]
    assert [n.idempotency_key.split(":")[1:] for n in reminders] == [
        ["reminder", "1"],
        ["reminder", "2"],
    ]


def test_a_reminder_carries_the_same_link_as_the_invite(daytime, enrol):
    enrol()
    dispatch_due(enqueue=False)
    daytime.move_to(dt.datetime(2026, 3, 13, 10, 1))
    dispatch_due(enqueue=False)

    invite, reminder = Notification.objects.order_by("created_at")
    assert unseal(invite.link_token) == unseal(reminder.link_token)


def test_a_reminder_after_a_link_was_reissued_elsewhere_carries_a_working_link(daytime, enrol):
    episode = enrol()
    dispatch_due(enqueue=False)
    invitation_link_issue(invitation=baseline(episode))  # e.g. a staff page, not this app
    daytime.move_to(dt.datetime(2026, 3, 13, 10, 1))

    dispatch_due(enqueue=False)

    reminder = Notification.objects.get(kind="reminder")
    assert token_hash(unseal(reminder.link_token)) == baseline(episode).token_hash


def test_no_reminder_once_the_questionnaire_is_completed(daytime, enrol):
    episode = enrol()
    dispatch_due(enqueue=False)
    Invitation.objects.filter(pk=baseline(episode).pk).update(
        status=Invitation.Status.COMPLETED, next_action_at=None
    )
    daytime.move_to(dt.datetime(2026, 3, 14, 10, 1))

    dispatch_due(enqueue=False)

    assert not Notification.objects.filter(kind="reminder").exists()


def test_a_closed_window_expires_and_its_waiting_messages_are_cancelled(daytime, enrol):
    episode = enrol()
    daytime.move_to(dt.datetime(2026, 3, 10, 21, 0))  # quiet hours: the invite is held
    dispatch_due(enqueue=False)
    daytime.move_to(dt.datetime(2026, 4, 8, 0, 1))  # the 28-day window closed at midnight

    report = dispatch_due(enqueue=False)

    invitation = baseline(episode)
    assert report.expired == 1
    assert invitation.status == Invitation.Status.EXPIRED and invitation.token_hash is None
    assert Notification.objects.get().status == Notification.Status.CANCELLED


def test_messages_in_quiet_hours_are_held_to_eight_in_the_morning(daytime, enrol):
    enrol()
    daytime.move_to(dt.datetime(2026, 3, 10, 21, 30))

    dispatch_due(enqueue=False)

    notification = Notification.objects.get()
    assert notification.status == Notification.Status.HELD
    assert notification.not_before == dt.datetime(2026, 3, 11, 8, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "patient",
    [{"opted_out_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}, {"contact_consent": False}],
)
def test_no_message_to_a_patient_who_opted_out_or_did_not_consent(daytime, enrol, patient):
    episode = enrol(**patient)

    report = dispatch_due(enqueue=False)

    assert report.silent == 1
    assert not Notification.objects.exists()
    assert baseline(episode).status == Invitation.Status.SCHEDULED  # staff may still phone


def test_a_patient_without_phone_or_email_gets_a_letter(daytime, enrol):
    enrol(mobile="", email="", address_line_1="1 Test Street", preferred_channel="sms")

    dispatch_due(enqueue=False)

    assert Notification.objects.get().channel == Notification.Channel.LETTER


def test_a_patient_who_prefers_email_gets_email(daytime, enrol):
    enrol(preferred_channel="email")

    dispatch_due(enqueue=False)

    assert Notification.objects.get().channel == Notification.Channel.EMAIL


def test_a_discharge_cancels_waiting_messages_at_once(daytime, enrol, staff):
    episode = enrol()
    daytime.move_to(dt.datetime(2026, 3, 10, 21, 0))
    dispatch_due(enqueue=False)

    event_record(
        episode=episode, kind=EpisodeEvent.Kind.DISCHARGE, occurred_on=episode.referred_on, by=staff
    )

    assert Notification.objects.get().status == Notification.Status.CANCELLED
    assert Notification.objects.get().link_token == ""


def test_a_worker_killed_mid_dispatch_leaves_nothing_half_done(daytime, enrol):
    episode = enrol()
    real_insert = services._insert

    def insert_then_die(objects, **kwargs):
        if isinstance(objects[0], AuditEvent):  # the notifications are written by now
            raise SystemExit("worker killed")
        real_insert(objects, **kwargs)

    with mock.patch.object(services, "_insert", insert_then_die), pytest.raises(SystemExit):
        dispatch_due(enqueue=False)
    assert not Notification.objects.exists()
    assert baseline(episode).status == Invitation.Status.SCHEDULED

    dispatch_due(enqueue=False)

    assert Notification.objects.count() == 1


def test_the_tick_query_count_does_not_grow_with_the_number_due(
    daytime, enrol, django_assert_max_num_queries
):
    for _ in range(3):
        enrol()
    # The tick's own statements and one refresh of the cohort rows it changed (surveys/cohorts.py:
    # two upserts, the tally's differences and the note for a nightly rebuild running
    # meanwhile: surveys/rebuild.py), whatever the number due.
    with django_assert_max_num_queries(10) as few:
        dispatch_due(enqueue=False)
    for _ in range(30):
        enrol()
    daytime.move_to(dt.datetime(2026, 3, 13, 10, 1))  # reminders for 3, invites for 30

    with django_assert_max_num_queries(len(few.captured_queries) + 1):  # + reading links
        report = dispatch_due(enqueue=False)

    assert (report.opened, report.reminded) == (30, 3)


def test_a_death_on_one_episode_stops_messages_on_the_patients_other_episodes(
    daytime, enrol, staff
):
    knee = enrol()
    back = episode_enrol(
        patient=knee.patient,
        pathway=Pathway.objects.get(code="back-pain"),
        provider=knee.provider,
        referred_on=knee.referred_on,
        by=staff,
    )
    daytime.move_to(dt.datetime(2026, 3, 10, 21, 0))  # quiet hours: both invites wait
    dispatch_due(enqueue=False)
    assert Notification.objects.filter(status=Notification.Status.HELD).count() == 2

    event_record(episode=knee, kind=EpisodeEvent.Kind.DEATH, occurred_on=knee.referred_on, by=staff)

    back.refresh_from_db()
    assert back.status == Episode.Status.DIED and back.closed_on == knee.referred_on
    assert not back.invitations.filter(status__in=Invitation.OUTSTANDING).exists()
    assert set(Notification.objects.values_list("status", flat=True)) == {"cancelled"}
    assert AuditEvent.objects.filter(action="episode.closed", object_id=str(back.pk)).exists()
    daytime.move_to(dt.datetime(2026, 3, 11, 9, 0))
    assert dispatch_due(enqueue=False).notifications == 0


def test_a_pathway_with_reminders_on_days_2_and_5_reminds_on_those_days(
    daytime, enrol, tmp_path, monkeypatch
):
    two_and_five = changed(PATHWAY, "reminder_days", [5, 2])  # the back-pain test pathway
    definitions = load_catalogue(write_tree(tmp_path, pathway=two_and_five))
    monkeypatch.setattr(services, "pathway_spec", lambda pathway: definitions.pathway(pathway.code))
    episode = enrol(pathway="back-pain")
    reminded_on = []
    for day in range(8):
        daytime.move_to(dt.datetime(2026, 3, 10 + day, 10, 0, tzinfo=dt.UTC))
        if dispatch_due(enqueue=False).reminded:
            reminded_on.append(day)

    assert reminded_on == [2, 5]
    assert list(
        Notification.objects.filter(invitation__episode=episode)
        .order_by("created_at")
        .values_list("kind", flat=True)
    ) == ["invite", "reminder", "reminder"]


def test_an_opted_out_patient_gets_no_reminder_but_staff_can_still_enter_their_answers(
    daytime, enrol, staff
):
    episode = enrol()
    dispatch_due(enqueue=False)
    services.patient_opt_out(patient=episode.patient, by=staff)
    daytime.move_to(dt.datetime(2026, 3, 13, 10, 0))  # the first reminder is due

    report = dispatch_due(enqueue=False)
    invitation = baseline(episode)
    answers = {
        code: {item.id: item.scale()[0] for item in catalogue().instrument(code, version).items}
        for code, version in invitation.instruments
    }
    submitted = response_submit(invitation=invitation, answers=answers, mode="staff", by=staff)

    assert report.notifications == 0
    assert submitted.created
    assert baseline(episode).status == Invitation.Status.COMPLETED


def test_a_questionnaire_parked_for_want_of_consent_goes_out_once_consent_is_recorded(
    daytime, enrol
):
    episode = enrol(contact_consent=False)
    assert dispatch_due(enqueue=False).silent == 1  # parked until its window ends
    daytime.shift(dt.timedelta(hours=3))

    patient = episode.patient
    patient.contact_consent = True
    patient.save(update_fields=["contact_consent"])

    report = dispatch_due(enqueue=False)
    assert report.opened == 1
    assert Notification.objects.get().kind == Notification.Kind.INVITE


def test_adding_a_mobile_number_later_sends_the_invite_at_the_next_tick(daytime, enrol):
    episode = enrol(mobile="", email="")
    dispatch_due(enqueue=False)
    daytime.shift(dt.timedelta(days=2))

    patient = episode.patient
    patient.mobile = "+447700900123"
    patient.save()

    assert dispatch_due(enqueue=False).opened == 1
    assert Notification.objects.get().channel == Notification.Channel.SMS


def test_saving_a_patient_without_contact_changes_leaves_parked_questionnaires_parked(
    daytime, enrol
):
    episode = enrol(contact_consent=False)
    dispatch_due(enqueue=False)

    patient = episode.patient
    patient.given_name = "Sam"
    patient.save(update_fields=["given_name"])

    assert dispatch_due(enqueue=False).processed == 0
