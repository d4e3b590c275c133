import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from outcomes.loading import catalogue
from outcomes.models import Pathway
from outcomes.services import definitions_load
from surveys import services
from surveys.models import EpisodeEvent, InstrumentResult, Invitation, Response
from tests.factories import PatientFactory, ProviderFactory, UserFactory, pathway_current
from tests.row_locks import holder_then_waiter, needs_row_locks

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def enrolled(loaded_definitions):
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC), tick=False):
        yield services.episode_enrol(
            patient=PatientFactory(),
            pathway=pathway_current("knee-pain"),
            provider=ProviderFactory(),
            referred_on=TODAY,
            by=UserFactory(),
        )


@pytest.fixture
def referred_in_summer(loaded_definitions):
    """Referred in August: a knee replacement in late November is not on a referral timepoint
    (knee-pain 1.2.0 leaves out a post-operative questionnaire that coincides with one)."""
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC), tick=False):
        yield services.episode_enrol(
            patient=PatientFactory(),
            pathway=pathway_current("knee-pain"),
            provider=ProviderFactory(),
            referred_on=dt.date(2026, 8, 20),
            by=UserFactory(),
        )


def test_enrolment_schedules_every_referral_timepoint_of_the_pathway(enrolled):
    timepoints = list(enrolled.invitations.values_list("timepoint", flat=True))

    assert timepoints == ["baseline", "6-weeks", "3-months", "6-months", "12-months"]


def test_enrolment_fixes_each_invitations_instrument_versions(enrolled):
    baseline = enrolled.invitations.get(timepoint="baseline")

    # The current version at enrolment (1.1.0: one question per page), kept for the episode.
    assert ["mskt-core", "1.1.0"] in baseline.instruments
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
            pathway=pathway_current("back-pain"),
            provider=ProviderFactory(),
            referred_on=timezone.localdate() + dt.timedelta(days=1),
            by=None,
        )


def test_a_knee_replacement_starts_the_post_operative_timepoints(referred_in_summer):
    enrolled = referred_in_summer
    with time_machine.travel(dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC), tick=False):
        services.event_record(
            episode=enrolled,
            kind=EpisodeEvent.Kind.PROCEDURE,
            occurred_on=dt.date(2026, 11, 30),
            procedure="total-knee-replacement",
            by=None,
        )

    post_op = enrolled.invitations.filter(anchor_event__isnull=False)
    assert [(i.timepoint, i.due_on) for i in post_op] == [
        ("post-op-6-months", dt.date(2027, 5, 31)),
        ("post-op-12-months", dt.date(2027, 11, 30)),
    ]


@pytest.mark.parametrize("procedure", ["arthroscopy", "injection", "other"])
def test_a_procedure_that_is_not_a_knee_replacement_starts_no_timepoints(enrolled, procedure):
    with time_machine.travel(dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC), tick=False):
        event = services.event_record(
            episode=enrolled,
            kind=EpisodeEvent.Kind.PROCEDURE,
            occurred_on=dt.date(2026, 11, 30),
            procedure=procedure,
            by=None,
        )

    assert event.procedure == procedure
    assert not enrolled.invitations.filter(anchor_event__isnull=False).exists()


def test_a_partial_knee_replacement_starts_the_post_operative_timepoints(referred_in_summer):
    enrolled = referred_in_summer
    services.event_record(
        episode=enrolled,
        kind="procedure",
        occurred_on=TODAY,
        procedure="partial-knee-replacement",
        by=None,
    )

    assert enrolled.invitations.filter(anchor_event__isnull=False).count() == 2


def test_a_procedure_type_the_pathway_does_not_name_is_refused(enrolled):
    with pytest.raises(services.JourneyError, match="type of procedure"):
        services.event_record(
            episode=enrolled,
            kind="procedure",
            occurred_on=TODAY,
            procedure="hip replacement",
            by=None,
        )

    assert not enrolled.events.exists()


def test_an_episode_on_knee_pain_1_0_0_still_starts_post_op_timepoints_after_any_procedure(
    loaded_definitions,
):
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC), tick=False):
        episode = services.episode_enrol(
            patient=PatientFactory(),
            pathway=Pathway.objects.get(code="knee-pain", version="1.0.0"),
            provider=ProviderFactory(),
            referred_on=TODAY,
            by=None,
        )
        services.event_record(
            episode=episode, kind="procedure", occurred_on=TODAY, procedure="Knee op", by=None
        )

    assert episode.invitations.filter(anchor_event__isnull=False).count() == 2


def test_an_assessment_is_recorded_and_keeps_the_episode_open(enrolled):
    event = services.event_record(
        episode=enrolled, kind="assessment", occurred_on=TODAY, procedure="ignored", by=None
    )

    enrolled.refresh_from_db()
    assert enrolled.status == "active"
    assert event.procedure == ""  # only a procedure has a type
    assert not enrolled.invitations.filter(anchor_event__isnull=False).exists()  # none anchored
    assert not enrolled.invitations.filter(status=Invitation.Status.CANCELLED).exists()


@pytest.mark.parametrize(("kind", "status"), [("withdrawal", "withdrawn"), ("death", "died")])
def test_a_withdrawal_or_death_closes_the_episode_and_cancels_what_is_outstanding(
    enrolled, kind, status
):
    services.event_record(episode=enrolled, kind=kind, occurred_on=TODAY, by=None)

    enrolled.refresh_from_db()
    assert (enrolled.status, enrolled.closed_on) == (status, TODAY)
    assert set(enrolled.invitations.values_list("status", flat=True)) == {"cancelled"}
    assert not enrolled.invitations.exclude(token_hash=None).exists()


def test_a_withdrawal_leaves_an_answered_questionnaire_completed(enrolled):
    baseline = enrolled.invitations.get(timepoint="baseline")
    services.response_submit(invitation=baseline, answers=_baseline_answers(baseline), mode="self")

    services.event_record(episode=enrolled, kind="withdrawal", occurred_on=TODAY, by=None)

    baseline.refresh_from_db()
    assert baseline.status == Invitation.Status.COMPLETED


def test_no_event_can_be_recorded_on_a_closed_episode(enrolled):
    services.event_record(episode=enrolled, kind="death", occurred_on=TODAY, by=None)

    with pytest.raises(services.JourneyError, match="closed"):
        services.event_record(episode=enrolled, kind="assessment", occurred_on=TODAY, by=None)


def test_an_event_before_the_referral_is_refused_politely(enrolled):
    with pytest.raises(services.JourneyError, match="before the referral date"):
        services.event_record(
            episode=enrolled,
            kind="assessment",
            occurred_on=TODAY - dt.timedelta(days=1),
            by=None,
        )

    assert not enrolled.events.exists()


@pytest.mark.parametrize("kind", ["assessment", "procedure", "discharge"])
def test_an_event_in_the_future_is_refused(enrolled, kind):
    with pytest.raises(services.JourneyError, match="cannot be in the future"):
        services.event_record(
            episode=enrolled,
            kind=kind,
            occurred_on=TODAY + dt.timedelta(days=1),
            procedure="total-knee-replacement",
            by=None,
        )

    assert not enrolled.events.exists()
    assert not enrolled.invitations.filter(anchor_event__isnull=False).exists()


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


def test_a_submission_for_an_invitation_cancelled_since_the_page_was_read_is_refused(enrolled):
    invitation = enrolled.invitations.get(timepoint="baseline")  # the page's copy: outstanding
    services.event_record(episode=enrolled, kind="discharge", occurred_on=TODAY, by=None)

    with pytest.raises(services.JourneyError, match="no longer open"):
        services.response_submit(
            invitation=invitation, answers=_baseline_answers(invitation), mode="self"
        )

    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.CANCELLED
    assert not Response.objects.exists() and not InstrumentResult.objects.exists()


@pytest.fixture
def committed_episode(transactional_db):
    definitions_load(definitions=catalogue())  # transactional tests start from a flushed db
    return services.episode_enrol(
        patient=PatientFactory(),
        pathway=pathway_current("knee-pain"),
        provider=ProviderFactory(),
        referred_on=timezone.localdate(),
        by=None,
    )


@needs_row_locks
@pytest.mark.django_db(transaction=True)
def test_a_discharge_committing_during_a_submission_leaves_the_invitation_cancelled(
    committed_episode,
):
    invitation = committed_episode.invitations.get(timepoint="baseline")  # read by the page
    answers = _baseline_answers(invitation)
    cancelled, release = threading.Event(), threading.Event()
    outcomes: list = []

    def discharge():
        try:
            with transaction.atomic():
                services.event_record(
                    episode=committed_episode,
                    kind="discharge",
                    occurred_on=timezone.localdate(),
                    by=None,
                )
                cancelled.set()
                release.wait(timeout=10)  # hold the row locks until the submission waits
        finally:
            connection.close()

    def submit():
        try:
            services.response_submit(invitation=invitation, answers=answers, mode="self")
            outcomes.append("stored")
        except services.JourneyError as error:
            outcomes.append(str(error))
        finally:
            connection.close()

    assert holder_then_waiter(holder=discharge, holding=cancelled, waiter=submit, waiting=release)
    assert outcomes == ["This questionnaire is no longer open for answers."]
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.CANCELLED
    assert not Response.objects.filter(invitation=invitation).exists()


@needs_row_locks
@pytest.mark.django_db(transaction=True)
def test_two_submissions_at_the_same_moment_store_one_response(committed_episode):
    invitation = committed_episode.invitations.get(timepoint="baseline")
    answers = _baseline_answers(invitation)
    both_ready = threading.Barrier(2)
    outcomes: list = []

    def submit():
        try:
            both_ready.wait(timeout=10)
            outcomes.append(
                services.response_submit(invitation=invitation, answers=answers, mode="self")
            )
        except Exception as error:  # reported by the assertion below
            outcomes.append(error)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(getattr(o, "created", o) for o in outcomes) == [False, True]
    assert Response.objects.filter(invitation=invitation).count() == 1
    assert InstrumentResult.objects.filter(response__invitation=invitation).count() == 5


def test_a_patient_recorded_as_having_died_cannot_be_enrolled_again(enrolled):
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC), tick=False):
        services.event_record(
            episode=enrolled, kind=EpisodeEvent.Kind.DEATH, occurred_on=TODAY, by=None
        )
        with pytest.raises(services.JourneyError, match="recorded as having died"):
            services.episode_enrol(
                patient=enrolled.patient,
                pathway=pathway_current("back-pain"),
                provider=enrolled.provider,
                referred_on=TODAY,
                by=None,
            )

    assert enrolled.patient.episodes.count() == 1
