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

    def patient(number):
        return PatientFactory(
            date_of_birth=dt.date(1940 + number, 3, 1),
            sex=rng.choice(["female", "male"]),
            area=AreaFactory(imd_decile=rng.randint(1, 10)) if number % 7 else None,
            practice=rng.choice(practices),
        )

    _enrol_and_answer(rng, providers, 30, patient, skip=0.4)


@pytest.fixture
def shared_patterns(loaded_definitions):
    """Forty-eight knee-pain episodes of patients alike in age band, sex and deprivation
    across three providers and two practices, every timepoint answered."""
    rng = random.Random(11)
    providers = [ProviderFactory() for _ in range(3)]
    practices = [PracticeFactory() for _ in range(2)]
    areas = [AreaFactory(imd_decile=decile) for decile in (2, 9)]

    def patient(number):
        return PatientFactory(
            date_of_birth=dt.date(1950 + 20 * (number % 2), 3, 1),
            sex=("female", "male")[number // 2 % 2],
            area=areas[number // 4 % 2] if number % 11 else None,
            practice=practices[number // 8 % 2],
        )

    _enrol_and_answer(rng, providers, 48, patient, skip=0.0)


def _enrol_and_answer(rng, providers, count, patient_of, *, skip):
    pathway = pathway_current("knee-pain")
    for number in range(count):
        patient = patient_of(number)
        with time_machine.travel(dt.datetime(2025, 9, 1, 10, tzinfo=dt.UTC), tick=False):
            episode = services.episode_enrol(
                patient=patient,
                pathway=pathway,
                provider=providers[number % 3],
                referred_on=dt.date(2025, 9, 1),
                by=None,
            )
        for invitation in episode.invitations.all():
            if invitation.timepoint != "baseline" and rng.random() < skip:
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


def _without_provider(cells):
    """Cells with the provider left out of the key, merged as the database would."""
    merged = {}
    for cell in cells:
        key = tuple(sorted((k, str(v)) for k, v in cell.key.items() if k != "provider_id"))
        entry = merged.setdefault(key, [0, 0.0, 0.0, 0.0, 0.0, 0.0, 0, 0, 0, 0])
        for index, value in enumerate(
            (
                cell.sums.n,
                cell.sums.sum_b,
                cell.sums.sum_f,
                cell.sums.sum_bb,
                cell.sums.sum_bf,
                cell.sums.sum_ff,
                cell.improved,
                cell.worse,
                cell.improved_any,
                cell.worse_any,
            )
        ):
            entry[index] += value
    return sorted((key, *(round(v, 6) for v in entry)) for key, entry in merged.items())


@pytest.mark.parametrize("series", [None, "quarter"])
def test_cells_without_the_provider_are_the_cells_with_it_merged_across_providers(
    shared_patterns, monkeypatch, series
):
    query = summaries.OutcomeQuery(
        condition="knee-pain", measure=summaries.measure_resolve(), series=series
    )
    by_provider = read_cells.paired_cells(query, by_practice=True)

    for cells in _both_ways(monkeypatch, query, by_practice=True, by_provider=False):
        assert {cell.key["provider_id"] for cell in cells} == {None}
        assert len(cells) < len(by_provider)
        assert _without_provider(cells) == _without_provider(by_provider)


def test_a_provider_kept_apart_has_its_own_cells_and_the_others_are_merged(
    shared_patterns, monkeypatch
):
    query = summaries.OutcomeQuery(condition="knee-pain", measure=summaries.measure_resolve())
    by_provider = read_cells.paired_cells(query, by_practice=True)
    kept = by_provider[0].key["provider_id"]

    for cells in _both_ways(
        monkeypatch, query, by_practice=True, by_provider=False, keep_provider=kept
    ):
        assert {cell.key["provider_id"] for cell in cells} == {kept, None}
        assert _sorted(c for c in cells if c.key["provider_id"] == kept) == _sorted(
            c for c in by_provider if c.key["provider_id"] == kept
        )
        assert _without_provider(cells) == _without_provider(by_provider)


@pytest.fixture
def everything_published(settings):
    settings.DISCLOSURE_ROUND_TO = 0
    settings.DISCLOSURE_MIN_CELL = 1
    settings.DISCLOSURE_MIN_ADJUSTED = 1


@pytest.mark.parametrize(
    "ask",
    [
        {"series": "quarter"},
        {},
        {"practice": "first"},
        {"group_by": "practice"},
        {"group_by": "imd_quintile", "series": "month"},
        {"series": "quarter", "provider": "first"},
        {"group_by": "practice", "provider": "first"},
        {"group_by": "provider", "provider": "first"},
    ],
    ids=[
        "practices-by-quarter",
        "practices",
        "one-practice",
        "summary-by-practice",
        "by-imd",
        "one-providers-practices",
        "one-providers-summary-by-practice",
        "one-provider",
    ],
)
def test_answers_from_cells_without_the_provider_are_those_from_cells_with_it(
    shared_patterns, everything_published, monkeypatch, ask
):
    from analytics.summaries import comparison, practices
    from surveys.models import Practice, Provider

    ask = dict(ask)
    for name, model in (("practice", Practice), ("provider", Provider)):
        if ask.get(name) == "first":
            ask[name] = model.objects.order_by("pk").first().ods_code
    answer = summaries.outcome_summary if "group_by" in ask else summaries.practice_variation
    query = summaries.OutcomeQuery(
        condition="knee-pain", measure=summaries.measure_resolve(), **ask
    )
    quick = answer(query)
    split = read_cells.paired_cells

    def always_by_provider(query, **options):
        return split(query, **(options | {"by_provider": True, "keep_provider": None}))

    monkeypatch.setattr(practices, "paired_cells", always_by_provider)
    monkeypatch.setattr(comparison, "paired_cells", always_by_provider)

    assert answer(query) == quick
    assert any(row.get("n") for row in quick["results"]), "the answer should publish figures"


def test_collection_of_garbage_resumes_once_an_answer_is_given(answered):
    import gc

    summaries.practice_variation(
        summaries.OutcomeQuery(condition="knee-pain", measure=summaries.measure_resolve())
    )

    assert gc.isenabled()
