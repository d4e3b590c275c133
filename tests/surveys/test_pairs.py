"""The paired-result read model: written with each response, equal to a rebuild from scratch."""

import datetime as dt

import pytest
import time_machine

from outcomes.loading import catalogue
from surveys import pairs, reference, services, synthetic
from surveys.models import PairedResult
from surveys.pairs import measure_slots
from tests.factories import (
    AreaFactory,
    PatientFactory,
    PracticeFactory,
    ProviderFactory,
    pathway_current,
)

pytestmark = pytest.mark.django_db

REFERRED = dt.date(2026, 1, 5)


def _answers(invitation, position: int):
    """Every item answered with its first (0), second (1) or last (-1) option."""
    answers = {}
    for code, version in invitation.instruments:
        spec = catalogue().instrument(code, version)
        answers[code] = {item.id: item.scale()[min(position, 1)] for item in spec.items}
    return answers


@pytest.fixture
def reference_data(loaded_definitions):
    reference.areas_load()
    reference.practices_load(mid_notts_only=True)


@pytest.fixture
def episode(loaded_definitions):
    return knee_pain_episode()


def knee_pain_episode():
    """A man of 75 from a deprived area, referred for knee pain on 5 January 2026."""
    patient = PatientFactory(
        date_of_birth=dt.date(1950, 6, 1),
        sex="male",
        area=AreaFactory(imd_decile=3),
        practice=PracticeFactory(),
    )
    with time_machine.travel(dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC), tick=False):
        return services.episode_enrol(
            patient=patient,
            pathway=pathway_current("knee-pain"),
            provider=ProviderFactory(),
            referred_on=REFERRED,
            by=None,
        )


def _submit(episode, timepoint: str, position: int):
    invitation = episode.invitations.get(timepoint=timepoint)
    return services.response_submit(
        invitation=invitation, answers=_answers(invitation, position), mode="self"
    ).response


def _rows():
    return sorted(
        PairedResult.objects.values_list(
            *[c.removesuffix("_id") if c.endswith("_id") else c for c in pairs.COLUMNS]
        ),
        key=repr,
    )


def test_a_baseline_alone_makes_no_pairs(episode):
    _submit(episode, "baseline", 1)

    assert not PairedResult.objects.exists()


def test_a_follow_up_is_paired_with_the_baseline_for_each_instrument_both_answered(episode):
    _submit(episode, "baseline", 0)
    follow_up = _submit(episode, "6-months", -1)

    paired = PairedResult.objects.filter(timepoint="6-months")
    assert sorted(p.instrument.code for p in paired) == sorted(
        code for code, _ in episode.invitations.get(timepoint="6-months").instruments
    )
    oks = paired.get(instrument__code="oks")
    assert (oks.baseline_timepoint, oks.followed_up_at) == ("baseline", follow_up.submitted_at)
    assert oks.baseline_values != oks.follow_up_values


def test_a_pair_holds_every_score_and_outcome_in_the_instruments_slots(episode):
    _submit(episode, "baseline", 0)
    follow_up = _submit(episode, "6-months", -1)

    pair = PairedResult.objects.get(instrument__code="eq-5d-5l", timepoint="6-months")
    result = follow_up.results.get(instrument__code="eq-5d-5l")
    slots = measure_slots(catalogue().instrument("eq-5d-5l", "1.0.0"))
    assert ("score", "vas") in slots and ("outcome", "quality-of-life") in slots
    assert pair.follow_up_values == [
        (result.scores if kind == "score" else result.outcomes)[name] for kind, name in slots
    ]


def test_a_pair_carries_the_episodes_case_mix_and_organisations(episode):
    _submit(episode, "baseline", 0)
    _submit(episode, "3-months", 1)

    pair = PairedResult.objects.filter(instrument__code="oks").get()
    patient = episode.patient
    assert (pair.provider_id, pair.practice_id, pair.pathway_id) == (
        episode.provider_id,
        patient.practice_id,
        episode.pathway_id,
    )
    assert (pair.age_band, pair.sex, pair.imd_quintile) == ("70-79", "male", 2)


def test_a_baseline_entered_after_a_follow_up_still_pairs(episode):
    _submit(episode, "6-weeks", 1)
    assert not PairedResult.objects.exists()

    _submit(episode, "baseline", 0)

    assert PairedResult.objects.filter(timepoint="6-weeks").count() == 5


def test_refreshing_an_episode_twice_writes_its_pairs_once(episode):
    _submit(episode, "baseline", 0)
    _submit(episode, "6-months", 1)
    before = _rows()

    pairs.paired_results_refresh(episode_ids=[episode.pk, episode.pk])

    assert _rows() == before


def test_a_rebuild_writes_exactly_the_pairs_kept_as_responses_arrived(episode):
    _submit(episode, "baseline", 0)
    _submit(episode, "6-weeks", 1)
    _submit(episode, "6-months", 2)
    kept = _rows()

    written = pairs.paired_results_rebuild()

    assert written == len(kept) == 10
    assert _rows() == kept


def test_a_rebuild_that_finds_nothing_changed_leaves_every_pair_where_it_was(episode):
    _submit(episode, "baseline", 0)
    _submit(episode, "6-weeks", 1)
    before = sorted(PairedResult.objects.values_list("pk", "follow_up_result", "baseline_result"))

    pairs.paired_results_rebuild()

    assert (
        sorted(PairedResult.objects.values_list("pk", "follow_up_result", "baseline_result"))
        == before
    )


def test_a_rebuild_neither_rewrites_nor_locks_a_pair_when_nothing_changed(episode):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a row's physical place (ctid) and its locker (xmax) are PostgreSQL's")
    _submit(episode, "baseline", 0)
    _submit(episode, "6-weeks", 1)

    def places() -> list:
        # a lock would set xmax, dirtying the page: the whole table written again each night
        with connection.cursor() as cursor:
            cursor.execute("SELECT ctid::text, xmax::text FROM surveys_pairedresult ORDER BY 1")
            return cursor.fetchall()

    before = places()
    pairs.paired_results_rebuild()

    assert places() == before


def test_a_rebuild_corrects_a_pair_that_went_stale(episode):
    _submit(episode, "baseline", 0)
    _submit(episode, "6-weeks", 1)
    kept = _rows()
    PairedResult.objects.update(imd_quintile=5, sex="female", practice=None)

    pairs.paired_results_rebuild()

    assert _rows() == kept


def test_a_rebuild_deletes_a_pair_the_responses_no_longer_make(episode):
    _submit(episode, "baseline", 0)
    six_weeks = _submit(episode, "6-weeks", 1)
    six_months = _submit(episode, "6-months", 2)
    kept = _rows()
    # Two follow-ups are never a pair: only a pathway's first timepoint is a baseline.
    stray = PairedResult.objects.filter(follow_up_result__response=six_months).first()
    stray.pk = None
    stray.baseline_result = six_weeks.results.get(instrument=stray.instrument)
    stray.baseline_timepoint = "6-weeks"
    stray.save()

    written = pairs.paired_results_rebuild()

    assert written == len(kept)
    assert _rows() == kept


def test_a_pair_stored_with_a_response_waits_for_the_night_to_be_put_in_order(episode):
    from surveys.tasks import rebuild_paired_results

    _submit(episode, "baseline", 0)
    _submit(episode, "6-weeks", 1)
    assert not PairedResult.objects.filter(in_order=True).exists()
    kept = _rows()

    rebuild_paired_results()

    assert not PairedResult.objects.filter(in_order=False).exists()
    assert _rows() == kept


def test_the_night_lays_the_days_pairs_out_in_the_order_of_the_summary_index(episode):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a row's physical place (ctid) is PostgreSQL's")
    later = episode
    with time_machine.travel(dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC), tick=False):
        sooner = services.episode_enrol(
            patient=PatientFactory(date_of_birth=dt.date(1960, 1, 1), sex="female"),
            pathway=pathway_current("knee-pain"),
            provider=later.provider,
            referred_on=REFERRED,
            by=None,
        )
    _submit(later, "baseline", 0)
    _submit(sooner, "baseline", 0)
    with time_machine.travel(dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)):
        _submit(later, "6-weeks", 1)  # stored first, answered later: its pairs sort second
    with time_machine.travel(dt.datetime(2026, 2, 20, 10, tzinfo=dt.UTC)):
        _submit(sooner, "6-weeks", 1)

    moved = pairs.paired_results_order()

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT instrument_id, timepoint, followed_up_at FROM surveys_pairedresult"
            " ORDER BY (ctid::text::point)[0], (ctid::text::point)[1]"
        )
        laid_out = cursor.fetchall()
    assert moved == len(laid_out) == 10
    assert laid_out == sorted(laid_out)


def test_a_bulk_load_leaves_its_pairs_in_order(reference_data):
    context = synthetic.context_from_database(3)
    plans = synthetic.population_plan(context, patients=20, today=dt.date(2026, 11, 23))
    synthetic.population_write(plans, via_services=False, batch_size=9, context=context)

    assert PairedResult.objects.exists()
    assert not PairedResult.objects.filter(in_order=False).exists()


def test_the_bulk_load_keeps_the_pairs_a_rebuild_would_write(reference_data):
    context = synthetic.context_from_database(3)
    plans = synthetic.population_plan(context, patients=40, today=dt.date(2026, 11, 23))
    synthetic.population_write(plans, via_services=False, batch_size=9, context=context)
    loaded = _rows()

    pairs.paired_results_rebuild()

    assert len(loaded) > 50
    assert _rows() == loaded


def test_deleting_generated_patients_deletes_their_pairs(reference_data):
    context = synthetic.context_from_database(3)
    plans = synthetic.population_plan(context, patients=20, today=dt.date(2026, 11, 23))
    synthetic.population_write(plans, via_services=False, batch_size=9, context=context)
    assert PairedResult.objects.exists()

    synthetic.population_delete()

    assert not PairedResult.objects.exists()


def test_the_nightly_task_rebuilds_pairs_lost_from_the_read_model(episode):
    from surveys.tasks import rebuild_paired_results

    _submit(episode, "baseline", 0)
    _submit(episode, "6-months", 1)
    kept = _rows()
    PairedResult.objects.all().delete()

    assert rebuild_paired_results.apply().get() == len(kept)
    assert _rows() == kept


def test_beat_schedules_the_rebuild_at_night():
    from proms.celery import app

    entry = app.conf.beat_schedule["surveys-rebuild-paired-results"]

    assert entry["task"] == "surveys.rebuild_paired_results"
    assert entry["schedule"].hour == {2}


@pytest.mark.django_db(transaction=True)
def test_the_nightly_rebuild_vacuums_the_pairs_it_rewrote_on_postgresql():
    from django.db import connection

    from surveys.tasks import rebuild_paired_results

    if connection.vendor != "postgresql":
        pytest.skip("VACUUM is PostgreSQL's")

    def vacuums() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT vacuum_count FROM pg_stat_user_tables"
                " WHERE relname = 'surveys_pairedresult'"
            )
            return cursor.fetchone()[0]

    before = vacuums()
    rebuild_paired_results()

    assert vacuums() == before + 1
