"""A SYNTHETIC population with a known value-for-money truth, layered on ``surveys.synthetic``.

The base generator makes the patients, episodes, invitations and which ones were answered
(with its deprivation-linked non-response). This layer, for one condition:

- sends each episode to one of the truth's options (services, by provider ODS code);
- replaces its EQ-5D-5L answers so that utility follows a known path: baseline ``u0`` plus
  ``natural_change + effect`` reached in a straight line by the horizon, flat after it. Each
  utility is turned into a real EQ-5D-5L state by *stochastic rounding* between two neighbouring
  states of a ladder of states (each a published England 2018 index), so the expected index
  equals the target utility exactly and the answers are scored by the real scorer;
- records each option's activity per episode (sessions, imaging, ...) for costing.

So an option's true benefit per patient, with the counterfactual set to ``natural_change``, is
``effect x horizon / 2`` QALYs, and its cost is its activity at the loaded unit costs. Only the
demo and the tests use it; nothing here is a real patient or a real effect.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace

from outcomes.loading import catalogue
from outcomes.scoring import parse_answers, score_answers
from surveys import synthetic as base
from surveys.models import Episode, Patient
from value.models import ActivityRecord
from value.selectors import EQ5D

DIMENSIONS = ("mo", "sc", "ua", "pd", "ad")


@dataclass(frozen=True)
class OptionTruth:
    provider: str  # ODS code of a demo provider (surveys.synthetic.PROVIDERS)
    share: float  # of the condition's episodes
    effect: float  # utility gained by the horizon on top of the natural change
    activity: tuple[tuple[str, int], ...]  # activity type, count per episode


@dataclass(frozen=True)
class ValueTruth:
    condition: str
    natural_change: float  # utility change by the horizon without care (the counterfactual)
    horizon_days: int
    options: tuple[OptionTruth, ...]

    def benefit(self, provider: str) -> float:
        """True QALYs gained per patient over the horizon, against the counterfactual."""
        option = next(o for o in self.options if o.provider == provider)
        return option.effect * self.horizon_days / 365.25 / 2


# The demo's truth for back pain: the community physiotherapy service gains more per pound than
# the independent-sector specialist route (more benefit, much less cost).
DEMO_TRUTH = ValueTruth(
    condition="back-pain",
    natural_change=0.04,
    horizon_days=182,
    options=(
        OptionTruth("DEMOCOM", 0.5, 0.10, (("physio-session", 4),)),
        OptionTruth(
            "DEMOIND",
            0.5,
            0.06,
            (("imaging", 1), ("specialist-outpatient", 2), ("injection", 1)),
        ),
    ),
)


def _ladder(value_set: str = "england-2018") -> tuple[list[float], list[dict[str, int]]]:
    """All 3,125 EQ-5D-5L states sorted by their index (ascending), scored by the real scorer."""
    spec = catalogue().instrument(EQ5D)
    states = []
    for code in itertools.product(range(1, 6), repeat=len(DIMENSIONS)):
        values = dict(zip(DIMENSIONS, code, strict=True))
        scored = score_answers(spec, values | {"vas": 50}, {"value_set": value_set})
        states.append((scored["scores"]["index"], values))
    states.sort(key=lambda item: (item[0], sorted(item[1].items())))
    return [index for index, _ in states], [values for _, values in states]


@functools.cache
def _ladder_cached() -> tuple[list[float], list[dict[str, int]]]:
    return _ladder()


def state_for(utility: float, rng: random.Random) -> dict[str, int]:
    """An EQ-5D-5L state whose expected England 2018 index is ``utility`` (clipped to the
    range of the value set): one of the two states whose indices bracket it, chosen in
    proportion to how close each is (stochastic rounding), so the rounding adds no bias."""
    indices, states = _ladder_cached()
    if utility >= indices[-1]:
        return dict(states[-1])
    if utility <= indices[0]:
        return dict(states[0])
    upper = bisect.bisect_left(indices, utility)
    high, low = indices[upper], indices[upper - 1]
    if high == low or rng.random() < (utility - low) / (high - low):
        return dict(states[upper])
    return dict(states[upper - 1])


def value_population_plan(
    context: base.PopulationContext,
    *,
    truth: ValueTruth,
    patients: int,
    today: dt.date,
    exclude: frozenset[str] = frozenset(),
) -> Iterator[base.PatientPlan]:
    """``patients`` plans of the truth's condition with the value layer applied, skipping
    NHS numbers in ``exclude`` (patients already stored, e.g. the demo's own)."""
    pathway = catalogue().pathway(truth.condition).code
    spec = catalogue().instrument(EQ5D)
    made = 0
    for plan in base.population_plan(context, patients=None, today=today):
        episode = plan.episodes[0]
        if episode.pathway != pathway or plan.nhs_number in exclude:
            continue
        rng = random.Random(f"{context.seed}:value:{plan.serial}")  # noqa: S311
        option = _pick_option(truth, rng)
        episode.provider = option.provider
        u0 = rng.uniform(0.35, 0.75)
        for invitation in episode.invitations:
            if invitation.response is None or invitation.event_index is not None:
                continue
            days = (invitation.due_on - episode.referred_on).days
            reached = min(max(days, 0) / truth.horizon_days, 1.0)
            utility = u0 + (truth.natural_change + option.effect) * reached + rng.gauss(0, 0.03)
            invitation.response = _with_state(
                invitation.response, spec, state_for(utility, rng), rng
            )
        yield plan
        made += 1
        if made >= patients:
            return


def _pick_option(truth: ValueTruth, rng: random.Random) -> OptionTruth:
    draw, total = rng.random() * sum(o.share for o in truth.options), 0.0
    for option in truth.options:
        total += option.share
        if draw <= total:
            return option
    return truth.options[-1]


def _with_state(response, spec, state, rng):
    raw = dict(response.answers.get(EQ5D, {})) | state
    raw["vas"] = rng.randint(30, 90)
    values = parse_answers(spec, raw)
    scored = score_answers(spec, values)
    results = [
        (code, version, scored if code == EQ5D else result)
        for code, version, result in response.results
    ]
    return replace(
        response,
        answers=response.answers | {EQ5D: raw},
        parsed=response.parsed | {EQ5D: values},
        results=results,
    )


def value_population_write(
    *, truth: ValueTruth = DEMO_TRUTH, patients: int, seed: int, today: dt.date
) -> int:
    """Generate and store the population, then its per-episode activity; returns episodes."""
    context = base.context_from_database(seed)
    existing = frozenset(
        Patient.objects.filter(nhs_number__gte=base.SYNTHETIC_NHS_FROM).values_list(
            "nhs_number", flat=True
        )
    )
    plans = list(
        value_population_plan(
            context, truth=truth, patients=patients, today=today, exclude=existing
        )
    )
    base.population_write(plans, context=context)
    numbers = [plan.nhs_number for plan in plans]
    activity = {o.provider: o.activity for o in truth.options}
    records = []
    episodes = Episode.objects.filter(patient__nhs_number__in=numbers).values_list(
        "pk", "provider_id", "provider__ods_code", "referred_on"
    )
    for pk, provider_id, ods, referred_on in episodes:
        for activity_type, count in activity.get(ods, ()):
            records.append(
                ActivityRecord(
                    provider_id=provider_id,
                    month=referred_on.replace(day=1),
                    activity_type=activity_type,
                    count=count,
                    episode_id=pk,
                    condition=truth.condition,
                )
            )
    ActivityRecord.objects.bulk_create(records, batch_size=1000)
    return len(plans)
