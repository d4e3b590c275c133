"""Reads for the value report: each episode of a condition as an ``EpisodeRecord`` (cost from
events and activity at the current unit costs, EQ-5D-5L utility at each timepoint on the chosen
value set), with no identifier. Queries are filtered by join, never by long id lists.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from django.utils import timezone

from analytics.summaries import QueryError
from outcomes.loading import catalogue
from outcomes.scoring import eq5d
from surveys.models import Episode as EpisodeModel
from surveys.models import EpisodeEvent, InstrumentResult
from value import crosswalk
from value import economics as econ
from value.activity import ASSESSMENT_EVENT, activity_types
from value.models import ActivityRecord, UnitCostSchedule
from value.services import unit_costs_current

EQ5D = "eq-5d-5l"
OPTION_GROUPINGS = ("provider", "procedure")
NO_PROCEDURE = "no-procedure"


class ValueQueryError(QueryError):
    """A query that cannot be answered (the API says 400 with this message, as for every
    aggregate query error)."""


@dataclass(frozen=True)
class ValueQuery:
    condition: str
    option_by: str = "provider"
    timepoint: str = "6-months"
    value_set: str = "england-2018"
    counterfactual: econ.Counterfactual = field(default_factory=econ.Counterfactual)
    adjust: bool = True
    referred_from: dt.date | None = None
    referred_to: dt.date | None = None
    budget_year: int | None = None
    replicates: int = 1000
    seed: int = 20260401


# --- reading ------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _eq5d_params() -> dict:
    return dict(catalogue().instrument(EQ5D).scoring_params)


def value_sets() -> dict[str, str]:
    """Value set code -> title: the EQ-5D-5L definition file's, then the 5L-to-3L crosswalk."""
    sets = {code: vs["title"] for code, vs in _eq5d_params()["value_sets"].items()}
    return sets | {crosswalk.CODE: crosswalk.TITLE, crosswalk.DSU_CODE: crosswalk.DSU_TITLE}


def _age(born: dt.date | None, on: dt.date | None) -> int | None:
    if born is None or on is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _utility(
    scores: dict,
    answers: dict | None,
    value_set: str,
    *,
    age: int | None = None,
    sex: str | None = None,
) -> float | None:
    """The stored index when it was scored with this value set, else the stored answers
    re-scored with it by the same published scoring (outcomes.scoring.eq5d), or mapped to the
    3L by a published table (value.crosswalk; the DSU mapping needs age and sex)."""
    if scores.get("value_set") == value_set:
        return scores.get("index")
    if not answers:
        return None
    values = {key: value for key, value in answers.items() if isinstance(value, int)}
    if value_set == crosswalk.CODE:
        return crosswalk.crosswalk_index(values)
    if value_set == crosswalk.DSU_CODE:
        return crosswalk.dsu_index(values, age=age, sex=sex)
    return eq5d.score(None, values, _eq5d_params(), {"value_set": value_set})["index"]


def _period(query: ValueQuery, horizon_days: int) -> tuple[dt.date, dt.date]:
    """Default: the 12 months of referrals whose horizon follow-up should have happened by now."""
    to = query.referred_to or timezone.localdate() - dt.timedelta(days=horizon_days + 42)
    start = query.referred_from or to - dt.timedelta(days=364)
    if start > to:
        raise ValueQueryError("referred_from must be on or before referred_to.")
    return start, to


def _timepoints(condition: str) -> dict[str, int]:
    """Referral-anchored timepoints of the condition's current pathway -> days after referral."""
    spec = next((p for p in catalogue().current_pathways() if p.condition == condition), None)
    if spec is None:
        raise ValueQueryError(f"No pathway for condition '{condition}'.")
    return {t.code: t.offset_days for t in spec.timepoints if t.anchor == "referral"}


@dataclass
class Loaded:
    records: list[econ.EpisodeRecord]
    labels: dict[str, str]
    uncosted: dict[str, int]
    schedule: UnitCostSchedule | None
    referred_from: dt.date
    referred_to: dt.date
    horizon_days: int


def episode_records(query: ValueQuery) -> Loaded:
    """One ``EpisodeRecord`` per episode of the condition referred in the period."""
    offsets = _timepoints(query.condition)
    if query.timepoint not in offsets or query.timepoint == "baseline":
        raise ValueQueryError(
            f"timepoint: choose a follow-up of the {query.condition} pathway: "
            + ", ".join(code for code in offsets if code != "baseline")
        )
    if query.value_set not in value_sets():
        raise ValueQueryError(f"value_set: choose one of {', '.join(value_sets())}.")
    horizon_days = offsets[query.timepoint] - offsets["baseline"]
    start, end = _period(query, horizon_days)
    episodes = list(
        EpisodeModel.objects.filter(
            pathway__condition__code=query.condition, referred_on__range=(start, end)
        ).values_list(
            "pk", "provider_id", "provider__ods_code", "provider__name", "patient__area__imd_decile"
        )
    )

    schedule = unit_costs_current()
    prices = {c.activity_type: float(c.cost) for c in schedule.costs.all()} if schedule else {}
    uncosted: dict[str, int] = defaultdict(int)
    costs: dict[int, float] = defaultdict(float)

    def add(episode_id: int, activity: str, count: int) -> None:
        if activity in prices:
            costs[episode_id] += prices[activity] * count
        else:
            uncosted[activity] += count

    procedures: dict[int, str] = {}
    # Filtered by join, not by a list of ids: a parameter per episode is slow to compile.
    in_period = {
        "episode__pathway__condition__code": query.condition,
        "episode__referred_on__range": (start, end),
    }
    events = EpisodeEvent.objects.filter(
        **in_period, kind__in=[EpisodeEvent.Kind.ASSESSMENT, EpisodeEvent.Kind.PROCEDURE]
    ).values_list("episode_id", "kind", "procedure")
    for episode_id, kind, procedure in events.iterator():
        if kind == EpisodeEvent.Kind.ASSESSMENT:
            add(episode_id, ASSESSMENT_EVENT, 1)
        else:
            add(episode_id, procedure, 1)
            procedures.setdefault(episode_id, procedure)
    attributed = ActivityRecord.objects.filter(**in_period).values_list(
        "episode_id", "activity_type", "count"
    )
    for episode_id, activity, count in attributed.iterator():
        add(episode_id, activity, count)

    # Activity counted for a provider's condition without episodes: spread evenly over that
    # provider's episodes in the period (top-down costing, docs/value.md §2).
    pooled: dict[int, float] = defaultdict(float)
    unattributed = ActivityRecord.objects.filter(
        episode__isnull=True,
        condition=query.condition,
        month__range=(start.replace(day=1), end),
    ).values_list("provider_id", "activity_type", "count")
    for provider_id, activity, count in unattributed.iterator():
        if activity in prices:
            pooled[provider_id] += prices[activity] * count
        else:
            uncosted[activity] += count
    per_provider: dict[int, int] = defaultdict(int)
    for row in episodes:
        per_provider[row[1]] += 1

    utilities: dict[int, dict[str, float | None]] = defaultdict(dict)
    results = InstrumentResult.objects.filter(
        instrument__code=EQ5D,
        response__invitation__episode__pathway__condition__code=query.condition,
        response__invitation__episode__referred_on__range=(start, end),
        response__invitation__anchor_event__isnull=True,
        response__invitation__timepoint__in=list(offsets),
    )
    # Only the keys the utility needs, not whole documents: a response's answers hold every
    # instrument's, and decoding them was a seventh of the report at 20,000 episodes.
    fields = [
        "response__invitation__episode_id",
        "response__invitation__timepoint",
        "scores__value_set",
        "scores__index",
        f"response__answers__{EQ5D}",
    ]
    # The DSU mapping depends on age (when answered) and sex: read them only for that set.
    dsu = query.value_set == crosswalk.DSU_CODE
    if dsu:
        fields += [
            "response__invitation__episode__patient__date_of_birth",
            "response__invitation__episode__patient__sex",
            "response__submitted_at",
        ]
    for row in results.values_list(*fields).iterator():
        episode_id, timepoint, stored_set, index, answers = row[:5]
        person = (
            {"age": _age(row[5], timezone.localdate(row[7]) if row[7] else None), "sex": row[6]}
            if dsu
            else {}
        )
        utilities[episode_id][timepoint] = _utility(
            {"value_set": stored_set, "index": index},
            answers if isinstance(answers, dict) else None,
            query.value_set,
            **person,
        )

    follow_up_codes = [
        code
        for code, days in sorted(offsets.items(), key=lambda item: item[1])
        if code != "baseline" and days <= offsets[query.timepoint]
    ]
    labels: dict[str, str] = {}
    procedure_labels = activity_types()
    records = []
    for pk, provider_id, ods, name, decile in episodes:
        if query.option_by == "provider":
            option, label = ods, name
        else:
            option = procedures.get(pk) or NO_PROCEDURE
            label = procedure_labels.get(option, "No procedure recorded")
        labels[option] = label
        seen = utilities.get(pk, {})
        records.append(
            econ.EpisodeRecord(
                option=option,
                cost=costs.get(pk, 0.0) + pooled.get(provider_id, 0.0) / per_provider[provider_id],
                baseline=seen.get("baseline"),
                follow_ups=tuple(
                    ((offsets[c] - offsets["baseline"]) / econ.DAYS_PER_YEAR, seen.get(c))
                    for c in follow_up_codes
                ),
                imd_quintile=None if decile is None else (decile + 1) // 2,
            )
        )
    return Loaded(records, labels, dict(uncosted), schedule, start, end, horizon_days)
