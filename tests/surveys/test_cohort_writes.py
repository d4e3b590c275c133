"""Every write of the patient journey leaves the cohort rows a rebuild would write."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from surveys import services, synthetic
from surveys.models import EpisodeCohort, Invitation, InvitationCohort, PairedResult
from tests.factories import (
    AreaFactory,
    PatientFactory,
    PostcodeAreaFactory,
    PracticeFactory,
    ProviderFactory,
    UserFactory,
    pathway_current,
)
from tests.surveys.test_cohorts import REFERRED, assert_cohorts_match_a_rebuild
from tests.surveys.test_pairs import _submit

pytestmark = pytest.mark.django_db

MORNING = dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC)


@pytest.fixture
def episode(loaded_definitions):
    patient = PatientFactory(
        date_of_birth=dt.date(1950, 6, 1),
        sex="male",
        area=AreaFactory(imd_decile=3),
        practice=PracticeFactory(),
    )
    with time_machine.travel(MORNING, tick=False):
        return services.episode_enrol(
            patient=patient,
            pathway=pathway_current("knee-pain"),
            provider=ProviderFactory(),
            referred_on=REFERRED,
            by=None,
        )


@pytest.fixture
def reference_data(loaded_definitions):
    from surveys import reference

    reference.areas_load()
    reference.practices_load(mid_notts_only=True)


def _status(invitation) -> str:
    return InvitationCohort.objects.get(pk=invitation.pk).status


def test_enrolment_writes_the_episode_and_its_invitations(episode):
    assert EpisodeCohort.objects.filter(episode=episode).exists()
    assert InvitationCohort.objects.filter(episode=episode).count() == (episode.invitations.count())
    assert_cohorts_match_a_rebuild()


def test_a_bulk_upload_writes_the_rows_of_every_episode_it_enrols(loaded_definitions):
    from tests.surveys.staff.test_bulk import referral, upload

    user = UserFactory()
    ProviderFactory(ods_code="RK5").staff.add(user)
    PracticeFactory(ods_code="C84001")
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC), tick=False):
        result = upload([referral(1), referral(2)], user)

    assert len(result.enrolled) == 2
    assert EpisodeCohort.objects.count() == 2
    assert_cohorts_match_a_rebuild()


def test_an_assessment_schedules_invitations_and_dates_the_first_assessment(episode):
    with time_machine.travel(dt.datetime(2026, 2, 2, 10, tzinfo=dt.UTC), tick=False):
        services.event_record(
            episode=episode, kind="assessment", occurred_on=dt.date(2026, 2, 2), by=None
        )

    assert EpisodeCohort.objects.get(episode=episode).first_assessment_on == dt.date(2026, 2, 2)
    assert InvitationCohort.objects.filter(episode=episode).count() == (episode.invitations.count())
    assert_cohorts_match_a_rebuild()


def test_a_discharge_cancels_the_invitations_and_closes_the_episode(episode):
    with time_machine.travel(dt.datetime(2026, 2, 2, 10, tzinfo=dt.UTC), tick=False):
        services.event_record(
            episode=episode, kind="discharge", occurred_on=dt.date(2026, 2, 1), by=None
        )

    row = EpisodeCohort.objects.get(episode=episode)
    assert (row.status, row.discharged_on) == ("discharged", dt.date(2026, 2, 1))
    assert set(InvitationCohort.objects.values_list("status", flat=True)) == {"cancelled"}
    assert_cohorts_match_a_rebuild()


def test_a_death_closes_the_patients_other_episodes_too(episode):
    with time_machine.travel(MORNING, tick=False):
        other = services.episode_enrol(
            patient=episode.patient,
            pathway=pathway_current("back-pain"),
            provider=episode.provider,
            referred_on=REFERRED,
            by=None,
        )
    with time_machine.travel(dt.datetime(2026, 2, 2, 10, tzinfo=dt.UTC), tick=False):
        services.event_record(
            episode=episode, kind="death", occurred_on=dt.date(2026, 2, 1), by=None
        )

    assert EpisodeCohort.objects.get(episode=other).status == "died"
    assert_cohorts_match_a_rebuild()


def test_issuing_a_link_marks_the_invitation_sent(episode):
    invitation = episode.invitations.get(timepoint="baseline")
    services.invitation_link_issue(invitation=invitation)

    assert _status(invitation) == "sent"
    assert_cohorts_match_a_rebuild()


def test_confirming_the_date_of_birth_marks_the_invitation_opened(episode):
    invitation = episode.invitations.get(timepoint="baseline")
    services.invitation_confirm_birth_date(
        invitation=invitation, date_of_birth=episode.patient.date_of_birth
    )

    assert _status(invitation) == "opened"
    assert_cohorts_match_a_rebuild()


def test_the_first_page_answered_marks_the_invitation_partly_answered(episode):
    invitation = episode.invitations.get(timepoint="baseline")
    services.invitation_link_issue(invitation=invitation)
    invitation.refresh_from_db()
    services.invitation_save_answers(invitation=invitation, instrument_code="oks", answers={})

    assert _status(invitation) == "partial"
    assert_cohorts_match_a_rebuild()


def test_a_submitted_response_completes_the_invitation_and_dates_the_baseline(episode):
    with time_machine.travel(dt.datetime(2026, 1, 6, 9, tzinfo=dt.UTC), tick=False):
        _submit(episode, "baseline", 0)

    assert _status(episode.invitations.get(timepoint="baseline")) == "completed"
    assert EpisodeCohort.objects.get(episode=episode).baseline_answered_at is not None
    assert_cohorts_match_a_rebuild()


def test_a_changed_practice_area_sex_or_birth_date_rewrites_cohorts_and_pairs(episode):
    with time_machine.travel(dt.datetime(2026, 1, 6, 9, tzinfo=dt.UTC), tick=False):
        _submit(episode, "baseline", 0)
    follow_up = episode.invitations.get(timepoint="6-months")
    Invitation.objects.filter(pk=follow_up.pk).update(opens_on=dt.date(2026, 1, 6))
    with time_machine.travel(dt.datetime(2026, 1, 7, 9, tzinfo=dt.UTC), tick=False):
        _submit(episode, "6-months", -1)
    practice = PracticeFactory()
    PostcodeAreaFactory(postcode="NG18 2AA", area=AreaFactory(imd_decile=9))

    services.patient_update(
        patient=episode.patient,
        by=None,
        practice=practice,
        postcode="NG18 2AA",
        sex="female",
        date_of_birth=dt.date(1970, 6, 1),
    )

    row = EpisodeCohort.objects.get(episode=episode)
    assert (row.practice_id, row.imd_quintile, row.sex, row.age_band) == (
        practice.pk,
        5,
        "female",
        "50-59",
    )
    pair = PairedResult.objects.filter(episode=episode).first()
    assert (pair.practice_id, pair.imd_quintile, pair.sex) == (practice.pk, 5, "female")
    assert_cohorts_match_a_rebuild()


def test_a_change_to_contact_details_alone_writes_no_cohort_rows(episode):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        services.patient_update(patient=episode.patient, by=None, town="Mansfield Woodhouse")

    assert not [q for q in captured.captured_queries if "cohort" in q["sql"]]


@pytest.mark.parametrize("via_services", [False, True])
def test_the_synthetic_loader_writes_the_rows_of_each_batch(reference_data, via_services):
    context = synthetic.context_from_database(3)
    plans = synthetic.population_plan(context, patients=20, today=dt.date(2026, 11, 23))
    synthetic.population_write(plans, via_services=via_services, batch_size=9, context=context)

    assert EpisodeCohort.objects.count() == 20
    assert_cohorts_match_a_rebuild()


def test_the_nightly_task_rebuilds_the_cohorts(episode):
    from surveys.tasks import rebuild_paired_results

    EpisodeCohort.objects.all().delete()
    InvitationCohort.objects.all().delete()

    rebuild_paired_results.apply().get()

    assert EpisodeCohort.objects.filter(episode=episode).exists()
    assert InvitationCohort.objects.filter(episode=episode).exists()
