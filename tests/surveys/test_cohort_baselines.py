"""The episode cohort row carries the common questionnaire's baseline result, in the slots the
paired results use, so baseline severity is read without joining responses and results."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from outcomes.loading import catalogue
from surveys import cohorts, services
from surveys.models import EpisodeCohort, InstrumentResult
from surveys.pairs import measure_slots
from tests.factories import AreaFactory, PatientFactory, ProviderFactory, pathway_current

pytestmark = pytest.mark.django_db


@pytest.fixture
def episode(loaded_definitions):
    patient = PatientFactory(date_of_birth=dt.date(1950, 6, 1), area=AreaFactory(imd_decile=3))
    with time_machine.travel(dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC), tick=False):
        return services.episode_enrol(
            patient=patient,
            pathway=pathway_current("knee-pain"),
            provider=ProviderFactory(),
            referred_on=dt.date(2026, 1, 5),
            by=None,
        )


def _submit_baseline(episode) -> None:
    invitation = episode.invitations.get(timepoint="baseline")
    answers = {}
    for code, version in invitation.instruments:
        spec = catalogue().instrument(code, version)
        answers[code] = {item.id: item.scale()[1] for item in spec.items}
    with time_machine.travel(dt.datetime(2026, 1, 6, 10, tzinfo=dt.UTC), tick=False):
        services.response_submit(invitation=invitation, answers=answers, mode="self")


def test_an_episode_without_a_baseline_answer_has_no_baseline_values(episode):
    cohorts.cohorts_refresh(episode_ids=[episode.pk])
    row = EpisodeCohort.objects.get(episode=episode)
    assert row.baseline_instrument_id is None and row.baseline_values is None


def test_the_baseline_values_are_the_common_questionnaires_measures_in_their_slots(episode):
    _submit_baseline(episode)
    cohorts.cohorts_refresh(episode_ids=[episode.pk])
    row = EpisodeCohort.objects.get(episode=episode)
    result = InstrumentResult.objects.get(
        response__invitation__episode=episode,
        instrument__code=cohorts.BASELINE_INSTRUMENT,
    )
    assert row.baseline_instrument_id == result.instrument_id
    spec = catalogue().instrument(result.instrument.code, result.instrument.version)
    for slot, (kind, name) in enumerate(measure_slots(spec)):
        stored = (result.scores if kind == "score" else result.outcomes).get(name)
        assert row.baseline_values[slot] == (None if stored is None else float(stored))
