"""The cohort read models: what a row holds, and a refresh equal to a rebuild from scratch."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from notifications.models import Notification
from surveys import cohorts, services
from surveys.models import EpisodeCohort, EpisodeEvent, InvitationCohort, InvitationTally
from tests.factories import (
    AreaFactory,
    PatientFactory,
    PracticeFactory,
    ProviderFactory,
    pathway_current,
)

pytestmark = pytest.mark.django_db

REFERRED = dt.date(2026, 1, 5)


def tally(provider_id: int | None = None) -> dict[tuple, int]:
    """The tally's counts by key, its appended differences summed (zeros left out); of one
    provider's invitations only, where given."""
    counts: dict[tuple, int] = {}
    rows = InvitationTally.objects.all()
    if provider_id is not None:
        rows = rows.filter(provider_id=provider_id)
    for *key, n in rows.values_list(*cohorts.TALLY_COLUMNS, "n"):
        counts[tuple(key)] = counts.get(tuple(key), 0) + n
    return {key: n for key, n in counts.items() if n}


def cohort_rows() -> tuple[list[dict], list[dict], dict[tuple, int]]:
    """Every episode and invitation cohort row, in key order, and the tally's counts."""
    return (
        list(EpisodeCohort.objects.order_by("pk").values()),
        list(InvitationCohort.objects.order_by("pk").values()),
        tally(),
    )


def assert_cohorts_match_a_rebuild() -> None:
    """The rows the live writes left are the rows a rebuild from scratch writes."""
    live = cohort_rows()
    cohorts.cohorts_rebuild()
    assert cohort_rows() == live


@pytest.fixture
def practice(db):
    return PracticeFactory()


@pytest.fixture
def episode(loaded_definitions, practice):
    patient = PatientFactory(
        date_of_birth=dt.date(1950, 6, 1),
        sex="male",
        area=AreaFactory(imd_decile=3),
        practice=practice,
    )
    with time_machine.travel(dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC), tick=False):
        episode = services.episode_enrol(
            patient=patient,
            pathway=pathway_current("knee-pain"),
            provider=ProviderFactory(),
            referred_on=REFERRED,
            by=None,
        )
    cohorts.cohorts_refresh(episode_ids=[episode.pk])  # (enrolment refreshes them too)
    return episode


def test_an_episode_row_copies_the_episode_and_its_patient_at_referral(episode, practice):
    EpisodeCohort.objects.all().delete()
    cohorts.cohorts_refresh(episode_ids=[episode.pk])

    row = EpisodeCohort.objects.get(episode=episode)
    assert (row.pathway_id, row.provider_id, row.practice_id) == (
        episode.pathway_id,
        episode.provider_id,
        practice.pk,
    )
    assert row.referred_on == REFERRED and row.status == "active"
    assert (row.age_at_referral, row.age_band) == (75, "70-79")  # 75 on 5 January 2026
    assert (row.sex, row.imd_quintile) == ("male", 2)  # decile 3 is in the second fifth
    assert row.baseline_answered_at is None and row.first_assessment_on is None


def test_an_age_is_in_whole_years_the_day_before_a_birthday(loaded_definitions):
    patient = PatientFactory(date_of_birth=dt.date(1960, 1, 6), area=None, practice=None)
    with time_machine.travel(dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC), tick=False):
        episode = services.episode_enrol(
            patient=patient,
            pathway=pathway_current("knee-pain"),
            provider=ProviderFactory(),
            referred_on=REFERRED,
            by=None,
        )
    cohorts.cohorts_refresh(episode_ids=[episode.pk])

    row = EpisodeCohort.objects.get(episode=episode)
    assert (row.age_at_referral, row.age_band) == (65, "60-69")
    assert row.imd_quintile is None and row.practice_id is None


def test_the_first_of_each_event_is_kept(episode):
    for kind, day in (
        ("assessment", 20),
        ("assessment", 10),
        ("procedure", 25),
        ("discharge", 30),
    ):
        EpisodeEvent.objects.create(
            episode=episode, kind=kind, occurred_on=dt.date(2026, 1, day), procedure="x"
        )
    cohorts.cohorts_refresh(episode_ids=[episode.pk])

    row = EpisodeCohort.objects.get(episode=episode)
    assert row.first_assessment_on == dt.date(2026, 1, 10)
    assert row.first_procedure_on == dt.date(2026, 1, 25)
    assert row.discharged_on == dt.date(2026, 1, 30)


def test_every_invitation_has_a_row_with_its_episodes_attributes(episode):
    rows = InvitationCohort.objects.filter(episode=episode)

    assert rows.count() == episode.invitations.count() > 1
    for row in rows:
        invitation = episode.invitations.get(pk=row.pk)
        assert (row.timepoint, row.due_on, row.closes_on, row.status) == (
            invitation.timepoint,
            invitation.due_on,
            invitation.closes_on,
            invitation.status,
        )
        assert (row.age_band, row.sex, row.imd_quintile, row.channel) == (
            "70-79",
            "male",
            2,
            "none",
        )


def _message(invitation, *, status: str, channel: str = "sms", kind: str = "invite", n: int = 1):
    return Notification.objects.create(
        invitation=invitation,
        patient=invitation.episode.patient,
        channel=channel,
        kind=kind,
        template="t",
        status=status,
        idempotency_key=f"{invitation.pk}:{kind}:{n}",
        not_before=dt.datetime(2026, 1, 5, tzinfo=dt.UTC),
    )


def test_the_channel_is_that_of_the_first_invite_handed_to_a_channel(episode):
    invitation = episode.invitations.get(timepoint="baseline")
    _message(invitation, status="cancelled", channel="email", n=1)
    _message(invitation, status="pending", channel="letter", n=2)
    _message(invitation, status="sent", channel="letter", kind="reminder", n=3)
    _message(invitation, status="delivered", channel="sms", n=4)
    cohorts.cohorts_refresh(episode_ids=[episode.pk])

    assert InvitationCohort.objects.get(pk=invitation.pk).channel == "sms"


def test_the_baseline_answer_time_is_copied_to_the_episode_and_its_invitations(episode):
    from tests.surveys.test_pairs import _submit

    with time_machine.travel(dt.datetime(2026, 1, 6, 9, tzinfo=dt.UTC), tick=False):
        _submit(episode, "baseline", 0)
    cohorts.cohorts_refresh(episode_ids=[episode.pk])

    answered = dt.datetime(2026, 1, 6, 9, tzinfo=dt.UTC)
    assert EpisodeCohort.objects.get(episode=episode).baseline_answered_at == answered
    assert set(
        InvitationCohort.objects.filter(episode=episode).values_list(
            "baseline_answered_at", flat=True
        )
    ) == {answered}


def test_a_refresh_replaces_rows_in_place_and_matches_a_rebuild(episode, practice):
    other = PracticeFactory()
    episode.patient.practice = other
    episode.patient.save()
    cohorts.cohorts_refresh(episode_ids=[episode.pk, episode.pk])

    assert EpisodeCohort.objects.get(episode=episode).practice_id == other.pk
    assert set(
        InvitationCohort.objects.filter(episode=episode).values_list("practice_id", flat=True)
    ) == {other.pk}
    assert_cohorts_match_a_rebuild()


def test_a_refresh_of_no_episodes_does_nothing(db):
    assert cohorts.cohorts_refresh(episode_ids=[]) == 0


def test_a_refresh_of_more_episodes_than_a_chunk_writes_them_all(episode, monkeypatch):
    monkeypatch.setattr(cohorts, "CHUNK", 1)
    EpisodeCohort.objects.all().delete()
    InvitationCohort.objects.all().delete()
    InvitationTally.objects.all().delete()

    cohorts.cohorts_refresh(episode_ids=[episode.pk, episode.pk + 1000])

    assert EpisodeCohort.objects.filter(episode=episode).exists()
    assert_cohorts_match_a_rebuild()


def test_a_rebuild_writes_every_row_from_scratch(episode):
    EpisodeCohort.objects.all().delete()
    InvitationCohort.objects.all().delete()

    assert cohorts.cohorts_rebuild() == 1
    assert InvitationCohort.objects.count() == episode.invitations.count()


def test_deleting_an_episode_deletes_its_cohort_rows(episode):
    from surveys.models import Patient
    from surveys.synthetic import patients_delete

    patients_delete(Patient.objects.filter(pk=episode.patient_id))

    assert not EpisodeCohort.objects.exists() and not InvitationCohort.objects.exists()
    assert tally() == {}


def test_the_tally_counts_the_invitation_rows_by_status_and_month(episode):
    tally_rows = tally()

    assert sum(tally_rows.values()) == episode.invitations.count()
    assert all(key[3] == "scheduled" for key in tally_rows)
    assert {key[4].day for key in tally_rows} == {1}  # first days of months


def test_a_refresh_that_changes_nothing_appends_nothing_to_the_tally(episode):
    before = InvitationTally.objects.count()

    cohorts.cohorts_refresh(episode_ids=[episode.pk])

    assert InvitationTally.objects.count() == before


def test_a_rebuild_compacts_the_tally_to_one_row_per_key(episode):
    episode.invitations.update(status="sent")
    cohorts.cohorts_refresh(episode_ids=[episode.pk])
    assert InvitationTally.objects.filter(n__lt=0).exists()

    cohorts.cohorts_rebuild()

    assert InvitationTally.objects.count() == len(tally())
    assert not InvitationTally.objects.filter(n__lt=0).exists()


def test_a_rebuild_leaves_the_tally_rows_already_right_in_place(episode):
    # This episode's provider only: rows other tests left behind may need compacting.
    mine = InvitationTally.objects.filter(provider_id=episode.provider_id)
    baseline = episode.invitations.get(timepoint="baseline")
    baseline.status = "sent"
    baseline.save()
    cohorts.cohorts_refresh(episode_ids=[episode.pk])
    counts = tally(episode.provider_id)
    untouched = set(
        mine.exclude(status="sent")
        .exclude(due_month=baseline.due_on.replace(day=1))
        .values_list("pk", flat=True)
    )

    cohorts.cohorts_rebuild()

    assert tally(episode.provider_id) == counts
    assert mine.count() == len(counts)
    assert untouched and untouched <= set(mine.values_list("pk", flat=True))


def test_a_rebuild_drops_a_tally_key_no_invitation_has_any_more(episode):
    InvitationTally.objects.create(
        pathway_id=episode.pathway_id,
        provider_id=episode.provider_id,
        practice_id=None,
        status="sent",
        due_month=dt.date(2020, 1, 1),
        closes_month=dt.date(2020, 1, 1),
        completed_month=None,
        n=3,
    )
    counts = tally(episode.provider_id)

    cohorts.cohorts_rebuild()

    assert tally(episode.provider_id) == {
        key: n for key, n in counts.items() if key[4] != dt.date(2020, 1, 1)
    }


def test_a_rebuild_corrects_a_row_that_went_stale(episode):
    EpisodeCohort.objects.filter(episode=episode).update(imd_quintile=5, sex="female")
    InvitationCohort.objects.filter(episode=episode).update(imd_quintile=5)

    cohorts.cohorts_rebuild()

    row = EpisodeCohort.objects.get(episode=episode)
    assert (row.imd_quintile, row.sex) == (2, "male")
    assert set(
        InvitationCohort.objects.filter(episode=episode).values_list("imd_quintile", flat=True)
    ) == {2}


def test_a_rebuild_that_finds_nothing_changed_neither_rewrites_nor_locks_a_row(episode):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a row's physical place (ctid) and its locker (xmax) are PostgreSQL's")

    def places() -> list:
        # a lock would set xmax, dirtying the page: the whole table written again each night
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT ctid::text, xmax::text FROM surveys_episodecohort UNION ALL "
                "SELECT ctid::text, xmax::text FROM surveys_invitationcohort ORDER BY 1"
            )
            return cursor.fetchall()

    before = places()
    cohorts.cohorts_rebuild()

    assert places() == before
