import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from outcomes.models import Pathway
from surveys import services
from surveys.models import EpisodeEvent, InstrumentResult, Invitation, Response
from tests.factories import PatientFactory, ProviderFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def enrolled(loaded_definitions):
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC), tick=False):
        yield services.episode_enrol(
            patient=PatientFactory(),
            pathway=Pathway.objects.get(code="knee-pain"),
            provider=ProviderFactory(),
            referred_on=TODAY,
            by=UserFactory(),
        )


def test_enrolment_schedules_every_referral_timepoint_of_the_pathway(enrolled):
    timepoints = list(enrolled.invitations.values_list("timepoint", flat=True))

    assert timepoints == ["baseline", "6-weeks", "3-months", "6-months", "12-months"]


def test_enrolment_fixes_each_invitations_instrument_versions(enrolled):
    baseline = enrolled.invitations.get(timepoint="baseline")

    assert ["mskt-core", "1.0.0"] in baseline.instruments
    assert baseline.follow_up is False


def test_enrolling_the_same_referral_twice_is_refused(enrolled):
    with (
        time_machine.travel(dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC), tick=False),
        pytest.raises(services.JourneyError, match="already enrolled"),
    ):
        services.episode_enrol(
            patient=enrolled.patient,
            pathway=enrolled.pathway,
            provider=enrolled.provider,
            referred_on=TODAY,
            by=None,
        )


def test_a_future_referral_date_is_refused(loaded_definitions):
    with pytest.raises(services.JourneyError, match="cannot be in the future"):
        services.episode_enrol(
            patient=PatientFactory(),
            pathway=Pathway.objects.get(code="back-pain"),
            provider=ProviderFactory(),
            referred_on=timezone.localdate() + dt.timedelta(days=1),
            by=None,
        )


def test_a_knee_replacement_starts_the_post_operative_timepoints(enrolled):
    with time_machine.travel(dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC), tick=False):
        services.event_record(
            episode=enrolled,
            kind=EpisodeEvent.Kind.PROCEDURE,
            occurred_on=dt.date(2026, 11, 30),
            procedure="Knee replacement",
            by=None,
        )

    post_op = enrolled.invitations.filter(anchor_event__isnull=False)
    assert [(i.timepoint, i.due_on) for i in post_op] == [
        ("post-op-6-months", dt.date(2027, 5, 31)),
        ("post-op-12-months", dt.date(2027, 11, 30)),
    ]


def test_a_discharge_cancels_everything_outstanding(enrolled):
    with time_machine.travel(dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC), tick=False):
        services.event_record(
            episode=enrolled, kind=EpisodeEvent.Kind.DISCHARGE, occurred_on=TODAY, by=None
        )

    statuses = set(enrolled.invitations.values_list("status", flat=True))
    assert statuses == {Invitation.Status.CANCELLED}
    enrolled.refresh_from_db()
    assert enrolled.status == "discharged"


def test_a_new_link_replaces_the_old_one(enrolled):
    invitation = enrolled.invitations.get(timepoint="baseline")
    first = services.invitation_link_issue(invitation=invitation)

    second = services.invitation_link_issue(invitation=invitation)

    assert services.invitation_for_token(first) is None
    assert services.invitation_for_token(second) == invitation


def test_five_wrong_dates_of_birth_lock_the_link(enrolled):
    invitation = enrolled.invitations.get(timepoint="baseline")
    for _ in range(5):
        services.invitation_confirm_birth_date(
            invitation=invitation, date_of_birth=dt.date(1900, 1, 1)
        )

    right = services.invitation_confirm_birth_date(
        invitation=invitation, date_of_birth=enrolled.patient.date_of_birth
    )

    invitation.refresh_from_db()
    assert right is False and invitation.locked_at is not None


def _baseline_answers(invitation):
    from outcomes.loading import catalogue

    answers = {}
    for code, version in invitation.instruments:
        spec = catalogue().instrument(code, version)
        answers[code] = {item.id: item.scale()[1] for item in spec.items}
    return answers


def test_submitting_scores_every_instrument_and_completes_the_invitation(enrolled):
    invitation = enrolled.invitations.get(timepoint="baseline")

    services.response_submit(
        invitation=invitation, answers=_baseline_answers(invitation), mode="self"
    )

    invitation.refresh_from_db()
    oks = InstrumentResult.objects.get(instrument__code="oks")
    assert invitation.status == Invitation.Status.COMPLETED
    assert oks.scores == {"total": 48}
    assert InstrumentResult.objects.count() == len(invitation.instruments)


def test_follow_up_only_items_are_not_stored_at_baseline(enrolled):
    invitation = enrolled.invitations.get(timepoint="baseline")

    services.response_submit(
        invitation=invitation, answers=_baseline_answers(invitation), mode="self"
    )

    core = Response.objects.get().answers["mskt-core"]
    assert core["time1"] is None and core["qol1"] == 4


def test_submitting_twice_stores_one_response(enrolled):
    invitation = enrolled.invitations.get(timepoint="baseline")
    answers = _baseline_answers(invitation)

    first = services.response_submit(invitation=invitation, answers=answers, mode="self")
    second = services.response_submit(invitation=invitation, answers=answers, mode="self")

    assert first.created and not second.created
    assert Response.objects.count() == 1


def test_an_answer_outside_the_options_is_refused_and_nothing_is_stored(enrolled):
    invitation = enrolled.invitations.get(timepoint="baseline")
    answers = _baseline_answers(invitation)
    answers["oks"]["oks01"] = 9

    with pytest.raises(services.JourneyError, match="oks01"):
        services.response_submit(invitation=invitation, answers=answers, mode="self")

    assert not Response.objects.exists() and not InstrumentResult.objects.exists()
