"""The summary's two sources of pairs agree: the paired-result read model and the responses."""

import datetime as dt
import random

import pytest
import time_machine

from analytics import summaries
from analytics.summaries import cells as read_cells
from outcomes.loading import catalogue
from surveys import services
from tests.factories import (
    AreaFactory,
    PatientFactory,
    PracticeFactory,
    ProviderFactory,
    pathway_current,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(loaded_definitions):
    """Thirty knee-pain episodes over three providers, answered at random timepoints."""
    rng = random.Random(7)
    providers = [ProviderFactory() for _ in range(3)]
    practices = [PracticeFactory() for _ in range(4)]
    pathway = pathway_current("knee-pain")
    for number in range(30):
        patient = PatientFactory(
            date_of_birth=dt.date(1940 + number, 3, 1),
            sex=rng.choice(["female", "male"]),
            area=AreaFactory(imd_decile=rng.randint(1, 10)) if number % 7 else None,
            practice=rng.choice(practices),
        )
        with time_machine.travel(dt.datetime(2025, 9, 1, 10, tzinfo=dt.UTC), tick=False):
            episode = services.episode_enrol(
                patient=patient,
                pathway=pathway,
                provider=providers[number % 3],
                referred_on=dt.date(2025, 9, 1),
                by=None,
            )
        for invitation in episode.invitations.all():
            if invitation.timepoint != "baseline" and rng.random() < 0.4:
                continue
            answers = {
                code: {
                    item.id: rng.choice(item.scale())
                    for item in catalogue().instrument(code, version).items
                }
                for code, version in invitation.instruments
            }
            moment = dt.datetime.combine(invitation.due_on, dt.time(11), tzinfo=dt.UTC)
            with time_machine.travel(moment, tick=False):
                services.response_submit(invitation=invitation, answers=answers, mode="self")


def _both_ways(monkeypatch, query, **options):
    from_read_model = read_cells.paired_cells(query, **options)
    monkeypatch.setattr(read_cells, "paired_baselines", frozenset)
    from_responses = read_cells.paired_cells(query, **options)
    monkeypatch.undo()
    return from_read_model, from_responses


def _sorted(cells):
    return sorted(
        (
            tuple(sorted((k, str(v)) for k, v in c.key.items())),
            c.sums.n,
            round(c.sums.sum_b, 6),
            round(c.sums.sum_f, 6),
            round(c.sums.sum_bb, 6),
            round(c.sums.sum_bf, 6),
            round(c.sums.sum_ff, 6),
            c.improved,
            c.worse,
        )
        for c in cells
    )


@pytest.mark.parametrize(
    ("measure", "timepoint", "series", "period"),
    [
        ({}, "6-months", None, summaries.Period(None, None)),
        ({"instrument": "oks", "score": "total"}, "3-months", None, summaries.Period(None, None)),
        (
            {"instrument": "msk-hq", "outcome": "quality-of-life"},
            "6-weeks",
            "month",
            summaries.Period(None, None),
        ),
        ({}, "12-months", "quarter", summaries.Period(dt.date(2026, 1, 1), dt.date(2027, 1, 1))),
    ],
    ids=["core-qol-6m", "oks-total-3m", "mskhq-qol-monthly", "core-qol-12m-2026"],
)
def test_the_read_model_gives_the_cells_the_responses_give(
    answered, monkeypatch, measure, timepoint, series, period
):
    query = summaries.OutcomeQuery(
        condition="knee-pain",
        measure=summaries.measure_resolve(**measure),
        timepoint=timepoint,
        series=series,
        period=period,
    )

    from_read_model, from_responses = _both_ways(monkeypatch, query, by_practice=True)

    assert from_read_model, "the fixture should answer this timepoint"
    assert _sorted(from_read_model) == _sorted(from_responses)


def test_a_baseline_the_read_model_does_not_hold_is_answered_from_the_responses(answered):
    query = summaries.OutcomeQuery(
        condition="knee-pain",
        measure=summaries.measure_resolve(),
        timepoint="6-months",
        baseline_timepoint="6-weeks",
    )

    cells = read_cells.paired_cells(query)

    assert "6-weeks" not in read_cells.paired_baselines()
    assert sum(cell.sums.n for cell in cells) > 0
