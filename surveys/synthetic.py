"""A SYNTHETIC Mid-Nottinghamshire-like MSK population for the demo, tests and benchmarks.

Everything here is made up: names from short lists, NHS numbers in the 999 range reserved for
testing, e-mail addresses at example.com, mobiles in Ofcom's drama range (07700 900000-900999),
postcodes that cannot exist (``surveys.reference.synthetic_postcode_areas``). Only the places
(Mid-Notts LSOAs with their IMD 2025 decile), the GP practices and the NHS trusts are real.

How a patient is made (:func:`population_plan`, pure and deterministic for a seed):

- an LSOA from the Mid-Notts districts, so deprivation follows the real IMD mix;
- a condition (back pain, knee pain, fibromyalgia) and an age at referral that is higher for
  knee pain and about 20 years *lower* in the most deprived decile than in the least deprived
  (MSK Together's seed deck: people from deprived areas reach hospital ~20 years earlier);
- a GP practice (weighted by list size, mostly in the patient's district) and a provider;
- a latent severity (0 = no problem, 1 = worst) at referral, worse with deprivation, that
  improves over time by the condition's usual gain plus the provider's and the practice's own
  effect (so providers and practices truly differ), with a larger gain after knee surgery;
- the pathway's timepoints as invitations; each is answered with a probability that falls with
  deprivation (and after a missed one), otherwise it expires, is still open, or is cancelled
  when the episode closes (discharge, withdrawal, death);
- answers to every item drawn around the latent severity at the time of answering (the
  care-experience items around the provider's quality of care), then parsed and scored with the
  instruments' published scoring (``outcomes.scoring``), exactly as ``response_submit`` does.

:func:`population_write` stores the plan: with the real ``response_submit`` service for small
populations (the demo), or in bulk for large ones (benchmarks: a million responses), with COPY
on PostgreSQL and multi-row inserts on SQLite. Both store the same rows (a test compares them);
the scores come from the same functions. Answer sets repeat (latents are rounded, see
``LATENT_LEVELS``), so each distinct one is parsed, scored and JSON-encoded once.

Limitation: the demo's postcodes and the providers' and practices' effects are invented; the
population is for trying the service and measuring it, never for drawing conclusions.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import math
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from outcomes.loading import catalogue
from outcomes.models import Instrument, Pathway
from outcomes.scoring import parse_answers, score_answers
from outcomes.specs import InstrumentSpec, Item
from surveys import reference, scheduling
from surveys.cohorts import COHORT_TABLES, cohorts_forget, cohorts_refresh, tally_rebuild
from surveys.models import (
    Area,
    Episode,
    EpisodeEvent,
    InstrumentResult,
    Invitation,
    PairedResult,
    Patient,
    Practice,
    Provider,
    Response,
)
from surveys.pairs import paired_results_cluster, paired_results_refresh

# Synthetic NHS numbers: 999 + six digits + check digit. Serials below this are left to the
# test factories (tests/factories.py ``nhs_number_for``) and the demo's own patient.
SERIAL_START = 200_000
SERIAL_END = 1_000_000
SYNTHETIC_NHS_FROM = f"999{SERIAL_START:06d}0"  # every generated NHS number sorts at or above
DEMO_PATIENT_SERIAL = 100_000


@dataclass(frozen=True)
class ProviderProfile:
    ods_code: str
    name: str
    kind: str
    effect: float  # extra fall in latent severity over the episode (higher = better outcomes)
    experience: float  # latent for the care-experience items: 0 best, 1 worst
    contact_phone: str
    synthetic: bool  # True: a made-up organisation with a made-up code (not an ODS code)


# RK5 and RHA are real NHS trusts (ODS etr; surveys/data/msk_providers_nottinghamshire.csv);
# their "effects" are invented. The hub, community and independent services are fictional.
PROVIDERS = (
    ProviderProfile(
        "DEMOHUB", "MSK Together Hub", Provider.Kind.MSK_HUB, 0.03, 0.25, "01623 000001", True
    ),
    ProviderProfile(
        "RK5",
        "Sherwood Forest Hospitals NHS Foundation Trust",
        Provider.Kind.TRUST,
        0.00,
        0.35,
        "01623 000002",
        False,
    ),
    ProviderProfile(
        "RHA",
        "Nottinghamshire Healthcare NHS Foundation Trust",
        Provider.Kind.TRUST,
        -0.02,
        0.30,
        "01623 000003",
        False,
    ),
    ProviderProfile(
        "DEMOCOM",
        "Mid-Notts Community MSK Service",
        Provider.Kind.COMMUNITY,
        0.09,  # BETTER_PROVIDER
        0.20,
        "01623 000004",
        True,
    ),
    ProviderProfile(
        "DEMOIND",
        "Sherwood Independent Orthopaedics",
        Provider.Kind.INDEPENDENT,
        -0.05,
        0.40,
        "01623 000005",
        True,
    ),
)


@dataclass(frozen=True)
class ConditionProfile:
    pathway: str
    share: float
    mean_age: float  # at referral, in an average-deprivation area
    female: float
    baseline: float  # mean latent severity at referral
    gain: float  # mean fall in severity by the end of the pathway
    tau_days: float  # how quickly the gain comes
    providers: dict[str, float]  # provider ODS code -> share of this condition's referrals
    procedure_rate: float = 0.0
    procedure: str = ""
    procedure_gain: float = 0.0


CONDITIONS = (
    ConditionProfile(
        "back-pain",
        0.50,
        54,
        0.56,
        0.55,
        0.16,
        90,
        {"DEMOHUB": 0.35, "DEMOCOM": 0.25, "RHA": 0.15, "RK5": 0.15, "DEMOIND": 0.10},
    ),
    ConditionProfile(
        "knee-pain",
        0.35,
        66,
        0.58,
        0.58,
        0.10,
        120,
        {"RK5": 0.35, "DEMOHUB": 0.25, "DEMOIND": 0.20, "DEMOCOM": 0.15, "RHA": 0.05},
        procedure_rate=0.30,
        procedure="total-knee-replacement",
        procedure_gain=0.25,
    ),
    ConditionProfile(
        "fibromyalgia",
        0.15,
        48,
        0.85,
        0.65,
        0.06,
        150,
        {"RHA": 0.40, "DEMOHUB": 0.30, "DEMOCOM": 0.30},
    ),
)

# Answers are drawn around the latent rounded to 1/LATENT_LEVELS, with item-level noise fixed
# per "answer style" (a patient keeps theirs through the episode). So identical answer sets
# recur and are parsed and scored once (PopulationContext.answers): a million responses take
# minutes, not hours, and every one is still scored by the real scoring functions.
LATENT_LEVELS = 50
EXPERIENCE_LEVELS = 20
ANSWER_STYLES = 32
AGE_GAP_ACROSS_DECILES = 20.0  # years between decile 1 and decile 10 (seed deck)
HISTORY_DAYS = 730  # referrals spread over the last two years

# Built-in differences the demo's charts and board packs must reveal (tests/surveys/
# test_synthetic_differences.py checks each is there, within sampling error):
# - a provider that really is better: BETTER_PROVIDER's effect in PROVIDERS is the largest;
# - a deprivation gradient: severity at referral, improvement, response and age at referral
#   all follow the IMD decile (_patient_plan, _episode_plan);
# - a practice that changed: CHANGED_PRACTICE's patients referred in the last
#   PRACTICE_CHANGE_DAYS gain PRACTICE_CHANGE_EFFECT more (say, a new first-contact
#   physiotherapist), so its line on a deciles chart steps up a year ago.
BETTER_PROVIDER = "DEMOCOM"
DEPRIVATION_GAIN = 0.04  # latent gain lost per unit of deprivation (+1 most, -1 least deprived)
CHANGED_PRACTICE = "C84029"  # the largest Mid-Notts list (Newark), so its line is the clearest
PRACTICE_CHANGE_DAYS = 365
PRACTICE_CHANGE_EFFECT = 0.20

GIVEN_NAMES = {
    "female": [
        "Amelia",
        "Ava",
        "Beth",
        "Carol",
        "Chloe",
        "Debbie",
        "Elaine",
        "Emma",
        "Grace",
        "Hannah",
        "Isla",
        "Jane",
        "Julie",
        "Karen",
        "Lily",
        "Linda",
        "Margaret",
        "Mia",
        "Olivia",
        "Pauline",
        "Ruby",
        "Sandra",
        "Sophie",
        "Susan",
        "Tracey",
    ],
    "male": [
        "Alan",
        "Arthur",
        "Barry",
        "Colin",
        "Dave",
        "Ethan",
        "Gary",
        "George",
        "Harry",
        "Ian",
        "Jack",
        "James",
        "Keith",
        "Leo",
        "Mark",
        "Noah",
        "Oliver",
        "Paul",
        "Peter",
        "Reece",
        "Steve",
        "Terry",
        "Thomas",
        "Tony",
        "William",
    ],
}
FAMILY_NAMES = [
    "Allen",
    "Bailey",
    "Baker",
    "Bell",
    "Clarke",
    "Cooper",
    "Davies",
    "Evans",
    "Green",
    "Hall",
    "Harris",
    "Hill",
    "Hughes",
    "Jackson",
    "Jones",
    "King",
    "Lee",
    "Martin",
    "Moore",
    "Parker",
    "Robinson",
    "Shaw",
    "Smith",
    "Taylor",
    "Turner",
    "Walker",
    "Ward",
    "White",
    "Wilson",
    "Wood",
    "Wright",
    "Young",
]
STREETS = (
    "Station Road",
    "Church Street",
    "Park Avenue",
    "Forest Road",
    "Mill Lane",
    "Victoria Street",
    "Chesterfield Road",
    "Sherwood Drive",
    "Kings Walk",
    "Orchard Close",
)
TOWNS = {
    "Ashfield": ("Sutton-in-Ashfield", "Kirkby-in-Ashfield"),
    "Mansfield": ("Mansfield", "Mansfield Woodhouse"),
    "Newark and Sherwood": ("Newark", "Ollerton"),
}
# The district a practice is in, roughly, from its postcode's outcode (for "local" practices).
PRACTICE_OUTCODE_DISTRICTS = {
    "NG15": "Ashfield",
    "NG16": "Ashfield",
    "NG17": "Ashfield",
    "NG18": "Mansfield",
    "NG19": "Mansfield",
    "NG20": "Mansfield",
    "NG21": "Newark and Sherwood",
    "NG22": "Newark and Sherwood",
    "NG23": "Newark and Sherwood",
    "NG24": "Newark and Sherwood",
    "NG25": "Newark and Sherwood",
}


def nhs_number(serial: int) -> str | None:
    """The synthetic NHS number for a serial (999 range), or None if its check digit is 10."""
    base = f"999{serial:06d}"
    total = sum(int(d) * w for d, w in zip(base, range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return None if check == 10 else base + str(check)


def _serials(first: int) -> Iterator[tuple[int, str]]:
    for serial in range(first, SERIAL_END):
        number = nhs_number(serial)
        if number is not None:
            yield serial, number


def demo_patient_nhs_number() -> str:
    return next(_serials(DEMO_PATIENT_SERIAL))[1]


def capacity() -> int:
    """How many synthetic patients fit in the NHS number range."""
    return sum(1 for _ in _serials(SERIAL_START))


# --- plans: plain data, no ORM ---------------------------------------------------------------


@dataclass
class ResponsePlan:
    mode: str
    submitted_at: dt.datetime
    answers: dict[str, dict[str, int | None]]  # raw, as a patient submits them
    parsed: dict[str, dict[str, int | None]]  # as response_submit stores them
    results: list[tuple[str, str, dict]]  # (code, version, {"scores", "outcomes"})


@dataclass
class InvitationPlan:
    timepoint: str
    event_index: int | None  # index into the episode's events of the anchoring event
    due_on: dt.date
    opens_on: dt.date
    closes_on: dt.date
    follow_up: bool
    instruments: list[list[str]]
    status: str
    sent_at: dt.datetime | None = None
    opened_at: dt.datetime | None = None
    next_action_at: dt.datetime | None = None
    response: ResponsePlan | None = None


@dataclass
class EventPlan:
    kind: str
    occurred_on: dt.date
    procedure: str = ""


@dataclass
class EpisodePlan:
    pathway: str
    provider: str
    referred_on: dt.date
    status: str
    closed_on: dt.date | None
    events: list[EventPlan] = field(default_factory=list)
    invitations: list[InvitationPlan] = field(default_factory=list)
    gain: float = 0.0  # the latent improvement this episode was given (for tests)

    @property
    def last_contact_at(self) -> dt.datetime:
        """Episode.last_contact_at for what the load writes (surveys/contact.py): the latest of
        the referral, the events and the answers. The messages that carried the links are the
        demo history's (care/demo.py), which moves it on again."""
        days = [self.referred_on, *(event.occurred_on for event in self.events)]
        answers = [i.response.submitted_at for i in self.invitations if i.response is not None]
        return max([_at(max(days), 0), *answers])


@dataclass
class PatientPlan:
    serial: int
    nhs_number: str
    given_name: str
    family_name: str
    date_of_birth: dt.date
    sex: str
    address_line_1: str
    town: str
    postcode: str
    lsoa_code: str
    imd_decile: int
    practice: str | None
    mobile: str
    email: str
    preferred_channel: str
    contact_consent: bool
    age_at_referral: int
    episodes: list[EpisodePlan] = field(default_factory=list)


@dataclass(frozen=True)
class AreaRow:
    lsoa_code: str
    name: str
    imd_decile: int


@dataclass(frozen=True)
class PracticeRow:
    ods_code: str
    postcode: str
    list_size: int | None


class PopulationContext:
    """What a plan draws from: Mid-Notts areas with synthetic postcodes, practices, scoring."""

    def __init__(self, *, seed: int, areas: Iterable[AreaRow], practices: Iterable[PracticeRow]):
        self.seed = seed
        self.areas = sorted(
            (a for a in areas if reference.area_district(a.name)), key=lambda a: a.lsoa_code
        )
        if not self.areas:
            raise ValueError("No Mid-Notts LSOAs are loaded: run load_areas first.")
        # Slightly more referrals from deprived areas (more MSK morbidity there).
        self.area_weights = _cumulative([1 + 0.04 * (10 - a.imd_decile) for a in self.areas])
        self.postcodes: dict[str, list[str]] = {}
        for postcode, code in reference.synthetic_postcode_areas(
            (a.lsoa_code, a.name) for a in self.areas
        ):
            self.postcodes.setdefault(code, []).append(postcode)
        practices = sorted(practices, key=lambda p: p.ods_code)
        self.practice_effect: dict[str, float] = {}
        by_district: dict[str | None, list[tuple[str, float]]] = {}
        for practice in practices:
            rng = random.Random(f"{seed}:practice:{practice.ods_code}")  # noqa: S311
            self.practice_effect[practice.ods_code] = rng.gauss(0, 0.03)
            propensity = math.exp(rng.gauss(0, 0.35))  # practices refer at different rates
            weight = (practice.list_size or 0) * propensity
            if weight <= 0:
                continue
            district = PRACTICE_OUTCODE_DISTRICTS.get(practice.postcode.split(" ")[0])
            by_district.setdefault(district, []).append((practice.ods_code, weight))
            by_district.setdefault("*", []).append((practice.ods_code, weight))
        self.practices = {
            district: ([code for code, _ in rows], _cumulative([w for _, w in rows]))
            for district, rows in by_district.items()
        }
        self.providers = {p.ods_code: p for p in PROVIDERS}
        definitions = catalogue()
        self.pathways = {c.pathway: definitions.pathway(c.pathway) for c in CONDITIONS}
        self.conditions = CONDITIONS
        self.condition_weights = _cumulative([c.share for c in CONDITIONS])
        self.instruments: dict[str, InstrumentSpec] = {}
        for spec in self.pathways.values():
            for timepoint in spec.timepoints:
                for code in timepoint.instruments:
                    self.instruments.setdefault(code, definitions.instrument(code))
        self.care_instruments = {
            code
            for code, spec in self.instruments.items()
            if any(item.asked_at == "follow-up" for item in spec.items)
        }
        self._answers: dict[tuple, tuple[dict, dict, dict]] = {}
        self.encoded: dict[int, object] = {}  # id(cached dict) -> its JSON

    def answers(
        self, spec: InstrumentSpec, follow_up: bool, level: int, experience: int, style: int
    ) -> tuple[dict, dict, dict]:
        """Raw answers, stored answers and scores for one instrument (cached).

        ``level`` and ``experience`` are latents in 1/LATENT_LEVELS and 1/EXPERIENCE_LEVELS
        steps (0 best); ``style``
        picks the item-level noise, the same at every level so change over time is smooth.
        """
        care = follow_up and spec.code in self.care_instruments
        key = (spec.code, spec.version, follow_up, level, experience if care else 0, style)
        hit = self._answers.get(key)
        if hit is not None:
            return hit
        rng = random.Random(f"{self.seed}:style:{spec.code}:{style}")  # noqa: S311
        raw = {}
        for item in spec.items:
            if item.asked_at == "follow-up":
                if not follow_up:
                    continue
                raw[item.id] = _answer(rng, item, experience / EXPERIENCE_LEVELS)
            else:
                raw[item.id] = _answer(rng, item, level / LATENT_LEVELS)
        values = parse_answers(spec, raw)
        if not follow_up:  # as response_submit does: care items are not asked at baseline
            for item in spec.items:
                if item.asked_at == "follow-up":
                    values[item.id] = None
        scored = score_answers(spec, values)
        result = (raw, values, scored)
        # Never evicted (at most a few tens of thousands of entries: the latents are rounded),
        # so the ids below stay unique; the fast writer reuses the JSON instead of re-encoding.
        self._answers[key] = result
        self.encoded[id(values)] = json.dumps(values)
        self.encoded[id(scored)] = (json.dumps(scored["scores"]), json.dumps(scored["outcomes"]))
        return result


def _cumulative(weights: list[float]) -> list[float]:
    total, result = 0.0, []
    for weight in weights:
        total += weight
        result.append(total)
    return result


def _pick(rng: random.Random, values: list, cumulative: list[float]):
    return rng.choices(values, cum_weights=cumulative)[0]


def _clip(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


def population_plan(
    context: PopulationContext, *, patients: int | None, today: dt.date
) -> Iterator[PatientPlan]:
    """Yield ``patients`` synthetic patients (all that fit when None); the same for a seed.

    Patient *n* depends only on the seed, *n* and ``today``, so a smaller population is a
    prefix of a larger one.
    """
    for index, (serial, number) in enumerate(_serials(SERIAL_START)):
        if patients is not None and index >= patients:
            return
        rng = random.Random(f"{context.seed}:patient:{serial}")  # noqa: S311
        yield _patient_plan(context, rng, serial, number, today)


def _patient_plan(context, rng, serial, number, today) -> PatientPlan:
    area = _pick(rng, context.areas, context.area_weights)
    district = reference.area_district(area.name)
    condition = _pick(rng, list(context.conditions), context.condition_weights)
    sex = "female" if rng.random() < condition.female else "male"
    # Deprived patients reach services younger: decile 1 is AGE_GAP years below decile 10.
    mean_age = condition.mean_age + AGE_GAP_ACROSS_DECILES * (area.imd_decile - 5.5) / 9
    age = round(_clip(rng.gauss(mean_age, 11), 18, 95))
    referred_on = today - dt.timedelta(days=rng.randint(0, HISTORY_DAYS))
    date_of_birth = referred_on - dt.timedelta(days=age * 365 + rng.randint(0, 364))
    given = rng.choice(GIVEN_NAMES[sex])
    family = rng.choice(FAMILY_NAMES)
    local = context.practices.get(district) if rng.random() < 0.8 else None
    codes, weights = local or context.practices.get("*", ([], []))
    practice = _pick(rng, codes, weights) if codes else None
    channel = _pick(
        rng, ["sms", "email", "letter"], _cumulative([0.65, 0.2, 0.15 + 0.003 * (age - 50)])
    )
    plan = PatientPlan(
        serial=serial,
        nhs_number=number,
        given_name=given,
        family_name=family,
        date_of_birth=date_of_birth,
        sex=sex,
        address_line_1=f"{rng.randint(1, 199)} {rng.choice(STREETS)}",
        town=rng.choice(TOWNS[district]),
        postcode=rng.choice(context.postcodes[area.lsoa_code]),
        lsoa_code=area.lsoa_code,
        imd_decile=area.imd_decile,
        practice=practice,
        mobile=f"+447700900{serial % 1000:03d}",  # Ofcom's drama range
        email=f"{given}.{family}.{serial}@example.com".lower(),
        preferred_channel=channel,
        contact_consent=rng.random() < 0.95,
        age_at_referral=age,
    )
    plan.episodes.append(_episode_plan(context, rng, plan, condition, referred_on, today))
    return plan


def _episode_plan(context, rng, patient, condition, referred_on, today) -> EpisodePlan:
    provider = context.providers[
        _pick(rng, list(condition.providers), _cumulative(list(condition.providers.values())))
    ]
    deprivation = (5.5 - patient.imd_decile) / 4.5  # +1 most deprived, -1 least
    severity0 = _clip(rng.gauss(condition.baseline + 0.06 * deprivation, 0.12), 0.05, 0.95)
    gain = (
        condition.gain
        + provider.effect
        + context.practice_effect.get(patient.practice, 0.0)
        - DEPRIVATION_GAIN * deprivation
        + rng.gauss(0, 0.07)
    )
    gain += practice_change_effect(patient.practice, referred_on, today)
    episode = EpisodePlan(
        pathway=condition.pathway,
        provider=provider.ods_code,
        referred_on=referred_on,
        status=Episode.Status.ACTIVE,
        closed_on=None,
        gain=gain,
    )
    assessed = referred_on + dt.timedelta(days=rng.randint(7, 35))
    if assessed <= today:
        episode.events.append(EventPlan(EpisodeEvent.Kind.ASSESSMENT, assessed))
    operated_on = None
    if condition.procedure and rng.random() < condition.procedure_rate:
        operated_on = referred_on + dt.timedelta(days=rng.randint(100, 300))
        if operated_on <= today:
            episode.events.append(
                EventPlan(EpisodeEvent.Kind.PROCEDURE, operated_on, condition.procedure)
            )
        else:
            operated_on = None
    # How the episode ends, if it has ended by today.
    draw = rng.random()
    if draw < 0.06:
        closing = (EpisodeEvent.Kind.WITHDRAWAL, referred_on + dt.timedelta(rng.randint(20, 250)))
    elif draw < 0.065 and patient.age_at_referral > 70:
        closing = (EpisodeEvent.Kind.DEATH, referred_on + dt.timedelta(rng.randint(30, 400)))
    elif draw < 0.75:
        last = operated_on + dt.timedelta(days=420) if operated_on else referred_on
        closing = (EpisodeEvent.Kind.DISCHARGE, last + dt.timedelta(rng.randint(300, 430)))
    else:
        closing = None
    if closing and closing[1] <= today:
        episode.events.append(EventPlan(*closing))
        episode.closed_on = closing[1]
        episode.status = {
            EpisodeEvent.Kind.WITHDRAWAL: Episode.Status.WITHDRAWN,
            EpisodeEvent.Kind.DEATH: Episode.Status.DIED,
            EpisodeEvent.Kind.DISCHARGE: Episode.Status.DISCHARGED,
        }[closing[0]]
        if operated_on and operated_on > episode.closed_on:
            episode.events = [e for e in episode.events if e.kind != EpisodeEvent.Kind.PROCEDURE]
            operated_on = None
    episode.events.sort(key=lambda e: e.occurred_on)

    spec = context.pathways[condition.pathway]
    windows = [(w, None) for w in scheduling.windows(spec, "referral", referred_on)]
    if operated_on:
        index = next(
            i for i, e in enumerate(episode.events) if e.kind == EpisodeEvent.Kind.PROCEDURE
        )
        # The pathway's coinciding-timepoints rule, as surveys.services._schedule applies it.
        scheduled = [
            scheduling.Scheduled(w.timepoint, w.due_on, frozenset(w.instruments))
            for w, _ in windows
        ]
        windows += [
            (w, index)
            for w in scheduling.windows(spec, "procedure", operated_on, condition.procedure)
            if scheduling.coinciding(w, scheduled, spec.coinciding_within_days) is None
        ]
    windows.sort(key=lambda pair: pair[0].due_on)
    if episode.closed_on is None and windows and windows[-1][0].closes_on < today:
        # Every questionnaire is behind the patient: the service would have discharged them
        # (an episode "Active" with nothing left to ask cannot happen). A few weeks after the
        # last window closed, never in the future.
        last = max(w.closes_on for w, _ in windows)
        discharged = min(today, last + dt.timedelta(days=rng.randint(7, 42)))
        episode.events.append(EventPlan(EpisodeEvent.Kind.DISCHARGE, discharged))
        episode.closed_on, episode.status = discharged, Episode.Status.DISCHARGED

    def severity(on: dt.date) -> float:
        days = (on - referred_on).days
        value = severity0 - gain * (1 - math.exp(-days / condition.tau_days))
        if operated_on and on > operated_on:
            value -= condition.procedure_gain * (1 - math.exp(-(on - operated_on).days / 60))
        return _clip(value + rng.gauss(0, 0.04), 0.0, 1.0)

    # Fewer answers from deprived areas and by letter; older people answer a little more often.
    willing = 0.65 - 0.2 * deprivation + 0.002 * (patient.age_at_referral - 60)
    if patient.preferred_channel == "letter":
        willing -= 0.1
    style = rng.randrange(ANSWER_STYLES)
    answered_last = True
    for number, (window, event_index) in enumerate(windows):
        invitation = InvitationPlan(
            timepoint=window.timepoint,
            event_index=event_index,
            due_on=window.due_on,
            opens_on=window.opens_on,
            closes_on=window.closes_on,
            follow_up=window.follow_up,
            instruments=[[code, context.instruments[code].version] for code in window.instruments],
            status=Invitation.Status.SCHEDULED,
        )
        episode.invitations.append(invitation)
        chance = _clip(willing * (1.0 if answered_last else 0.6), 0.05, 0.97)
        answers = rng.random() < chance
        if answers:
            span = (window.closes_on - window.opens_on).days
            answered_on = window.opens_on + dt.timedelta(days=min(span, int(rng.expovariate(0.2))))
        else:
            answered_on = None
        end = min(today, episode.closed_on) if episode.closed_on else today
        if window.opens_on > end:
            if episode.closed_on:
                invitation.status = Invitation.Status.CANCELLED
            else:
                invitation.next_action_at = _at(window.opens_on, 9)
            continue
        invitation.sent_at = _at(window.opens_on, 9)
        if answered_on is not None and answered_on <= end:
            submitted_at = _at(answered_on, rng.randint(8, 21), rng.randint(0, 59))
            invitation.status = Invitation.Status.COMPLETED
            invitation.opened_at = submitted_at - dt.timedelta(minutes=rng.randint(4, 20))
            # Each questionnaire gets its own item-level noise: people never answer every item
            # exactly as last time, even when they are no better or worse (at 6 and 12 months).
            invitation.response = _response_plan(
                context,
                rng,
                provider,
                window,
                severity(answered_on),
                submitted_at,
                patient,
                (style + number) % ANSWER_STYLES,
            )
            answered_last = True
            continue
        answered_last = answered_on is not None
        if window.closes_on < end:
            invitation.status = Invitation.Status.EXPIRED
        elif episode.closed_on:
            invitation.status = Invitation.Status.CANCELLED
        else:
            invitation.status = Invitation.Status.SENT
    return episode


def practice_change_effect(practice: str | None, referred_on: dt.date, today: dt.date) -> float:
    """The extra latent gain of CHANGED_PRACTICE's recent referrals (none before the change)."""
    if practice == CHANGED_PRACTICE and (today - referred_on).days < PRACTICE_CHANGE_DAYS:
        return PRACTICE_CHANGE_EFFECT
    return 0.0


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A local time on ``day`` (what ``timezone.make_aware`` gives, without its overhead)."""
    zone = timezone.get_default_timezone()  # cached by Django
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)


def _response_plan(context, rng, provider, window, severity, submitted_at, patient, style):
    mode = Response.Mode.SELF_PHONE
    draw = rng.random()
    if patient.preferred_channel == "letter" and draw < 0.7:
        mode = Response.Mode.PAPER
    elif draw < 0.08:
        mode = Response.Mode.STAFF_ASSISTED
    experience = round(_clip(rng.gauss(provider.experience, 0.15), 0.0, 1.0) * EXPERIENCE_LEVELS)
    level = round(severity * LATENT_LEVELS)
    answers, parsed, results = {}, {}, []
    for code in window.instruments:
        spec = context.instruments[code]
        raw, values, scored = context.answers(spec, window.follow_up, level, experience, style)
        answers[code] = raw
        parsed[code] = values
        results.append((code, spec.version, scored))
    return ResponsePlan(mode, submitted_at, answers, parsed, results)


def _answer(rng: random.Random, item: Item, latent: float) -> int | None:
    """One item's answer around a latent 0 (best) to 1 (worst).

    Choice options are listed best first in every definition file (tests check this against
    the scoring); integer items run best-to-worst unless their top anchor says "best".
    """
    if not item.required and rng.random() < 0.15:
        return None
    if item.kind == "choice":
        not_applicable = item.not_applicable_codes()
        if not_applicable and rng.random() < 0.05:
            return min(not_applicable)
        codes = [o.code for o in item.options if not o.not_applicable]
        position = round(latent * (len(codes) - 1) + rng.gauss(0, 0.6))
        return codes[int(_clip(position, 0, len(codes) - 1))]
    low, high = item.minimum, item.maximum
    value = latent * (high - low) + rng.gauss(0, 0.08 * (high - low))
    value = round(_clip(value, 0, high - low))
    best_is_high = "best" in str(item.anchors.get("max", "")).lower()
    return high - value if best_is_high else low + value


# --- writing ---------------------------------------------------------------------------------


def providers_ensure() -> dict[str, Provider]:
    """Create or update the demo providers (idempotent)."""
    result = {}
    for profile in PROVIDERS:
        provider, _ = Provider.objects.update_or_create(
            ods_code=profile.ods_code,
            defaults={
                "name": profile.name,
                "kind": profile.kind,
                "contact_phone": profile.contact_phone,
            },
        )
        result[profile.ods_code] = provider
    return result


def context_from_database(seed: int) -> PopulationContext:
    areas = Area.objects.values_list("lsoa_code", "name", "imd_decile")
    practices = Practice.objects.values_list("ods_code", "postcode", "list_size")
    return PopulationContext(
        seed=seed,
        areas=[AreaRow(*row) for row in areas],
        practices=[PracticeRow(*row) for row in practices],
    )


@dataclass
class WriteStats:
    patients: int = 0
    episodes: int = 0
    invitations: int = 0
    responses: int = 0
    results: int = 0
    seconds: float = 0.0


class _Keys:
    """Primary keys the writer needs, read once."""

    def __init__(self):
        self.areas = dict(Area.objects.values_list("lsoa_code", "pk"))
        self.practices = dict(Practice.objects.values_list("ods_code", "pk"))
        self.providers = {code: p.pk for code, p in providers_ensure().items()}
        definitions = catalogue()
        self.pathways = {}
        for condition in CONDITIONS:
            spec = definitions.pathway(condition.pathway)
            self.pathways[condition.pathway] = Pathway.objects.get(
                code=spec.code, version=spec.version
            ).pk
        self.instruments = {(i.code, i.version): i.pk for i in Instrument.objects.all()}


def population_write(
    plans: Iterable[PatientPlan],
    *,
    via_services: bool = False,
    batch_size: int = 1000,
    stop_after_responses: int | None = None,
    progress: Callable[[WriteStats], None] | None = None,
    context: PopulationContext | None = None,
) -> WriteStats:
    """Store planned patients in batches (one transaction each) and return counts and timing.

    ``via_services`` stores each response with ``surveys.services.response_submit`` (then dates
    it when it was answered). Otherwise every row is written in bulk with the scores the plan
    computed with the same scoring functions: streamed with COPY on PostgreSQL, which is what
    makes a million responses quick, and multi-row inserts elsewhere. Pass the plans' ``context``
    so answer sets already encoded as JSON are not encoded again.
    """
    keys = _Keys()
    keys.encoded = context.encoded if context is not None else {}
    stats = WriteStats()
    started = time.perf_counter()
    batch: list[PatientPlan] = []

    def flush():
        if via_services:
            _write_batch_services(batch, keys, stats)
        else:
            _write_batch_rows(batch, keys, stats)
        batch.clear()
        stats.seconds = time.perf_counter() - started
        if progress:
            progress(stats)

    with _quiet_service_log() if via_services else contextlib.nullcontext():
        for plan in plans:
            batch.append(plan)
            if len(batch) >= batch_size:
                flush()
                if stop_after_responses is not None and stats.responses >= stop_after_responses:
                    break
        if batch:
            flush()
    # Each batch (and each stored response) appended the tally's differences; one count of the
    # cohort rows compacts them, as the nightly rebuild does, so a load leaves one row per key.
    tally_rebuild(truncate=True)
    # And the pairs in the order the nightly rebuild leaves them, not patient by patient.
    paired_results_cluster()
    population_analyze()
    return stats


def population_analyze() -> None:
    """Refresh the planner's statistics of the tables a load filled, as the load ends.

    Without them the planner guesses (a fresh table has none until autovacuum's analyze runs,
    and some servers run with autovacuum off): the outcome summary at a million responses then
    takes about 2 s instead of 0.1 s (docs/benchmarks.md, board pack and dashboard).

    On PostgreSQL outside a transaction (a load's command, not a test) also VACUUM, as
    autovacuum would after so many inserts if it runs: until then no page is marked
    all-visible, so every index-only read of the cohort rows fetches the table's pages too,
    and the first readers of each page write its hint bits (docs/adr/0009).
    """
    tables = [
        model._meta.db_table
        for model in (Patient, Episode, EpisodeEvent, Invitation, Response, InstrumentResult)
    ] + [PairedResult._meta.db_table, *COHORT_TABLES]
    verb = "ANALYZE"
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        verb = "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"{verb} {connection.ops.quote_name(table)}")


@contextlib.contextmanager
def _quiet_service_log():
    """One INFO line per stored response is right for patients, noise for a generated batch."""
    log = logging.getLogger("surveys.services")
    level = log.level
    log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        log.setLevel(level)


@transaction.atomic
def _write_batch_services(batch: list[PatientPlan], keys: _Keys, stats: WriteStats):
    from surveys.services import response_submit  # the services import this module's app

    patients = Patient.objects.bulk_create(
        Patient(
            nhs_number=p.nhs_number,
            given_name=p.given_name,
            family_name=p.family_name,
            date_of_birth=p.date_of_birth,
            sex=p.sex,
            address_line_1=p.address_line_1,
            town=p.town,
            postcode=p.postcode,
            area_id=keys.areas.get(p.lsoa_code),
            practice_id=keys.practices.get(p.practice),
            mobile=p.mobile,
            email=p.email,
            preferred_channel=p.preferred_channel,
            contact_consent=p.contact_consent,
        )
        for p in batch
    )
    episode_plans = [
        (e, patient) for p, patient in zip(batch, patients, strict=True) for e in p.episodes
    ]
    episodes = Episode.objects.bulk_create(
        Episode(
            patient=patient,
            pathway_id=keys.pathways[e.pathway],
            provider_id=keys.providers[e.provider],
            referred_on=e.referred_on,
            status=e.status,
            closed_on=e.closed_on,
            last_contact_at=e.last_contact_at,
        )
        for e, patient in episode_plans
    )
    event_rows = []
    for (plan, _), episode in zip(episode_plans, episodes, strict=True):
        for event in plan.events:
            event_rows.append(
                EpisodeEvent(
                    episode=episode,
                    kind=event.kind,
                    occurred_on=event.occurred_on,
                    procedure=event.procedure,
                )
            )
    EpisodeEvent.objects.bulk_create(event_rows)
    events = iter(event_rows)
    invitation_rows, response_plans = [], []
    for (plan, _), episode in zip(episode_plans, episodes, strict=True):
        episode_events = [next(events) for _ in plan.events]
        for item in plan.invitations:
            completed = item.response is not None
            invitation = Invitation(
                episode=episode,
                timepoint=item.timepoint,
                anchor_event=(
                    episode_events[item.event_index] if item.event_index is not None else None
                ),
                due_on=item.due_on,
                opens_on=item.opens_on,
                closes_on=item.closes_on,
                follow_up=item.follow_up,
                instruments=item.instruments,
                # Submitted into an opened invitation, as a patient would.
                status=Invitation.Status.OPENED if completed else item.status,
                sent_at=item.sent_at,
                opened_at=item.opened_at,
                completed_at=item.response.submitted_at if completed else None,
                next_action_at=item.next_action_at,
            )
            invitation_rows.append(invitation)
            if completed:
                response_plans.append((invitation, item.response))
    Invitation.objects.bulk_create(invitation_rows)
    for invitation, plan in response_plans:
        submission = response_submit(
            invitation=invitation, answers=plan.answers, mode=plan.mode, by=None
        )
        # Dated when the synthetic patient answered, not when the demo was built.
        Response.objects.filter(pk=submission.response.pk).update(submitted_at=plan.submitted_at)
        Invitation.objects.filter(pk=invitation.pk).update(completed_at=plan.submitted_at)
    # Re-dated above, so the pairs' follow-up dates are written again, and the last contact
    # (response_submit moved it to now) is the planned one.
    paired_results_refresh(episode_ids=[episode.pk for episode in episodes], in_order=True)
    Episode.objects.bulk_update(episodes, ["last_contact_at"], batch_size=500)
    cohorts_refresh(episode_ids=[episode.pk for episode in episodes], live=False)
    stats.results += InstrumentResult.objects.filter(
        response__invitation__in=[i for i, _ in response_plans]
    ).count()
    stats.patients += len(patients)
    stats.episodes += len(episodes)
    stats.invitations += len(invitation_rows)
    stats.responses += len(response_plans)


# Every column of the tables the bulk path writes, in the order its rows list them. A test
# checks these against the models, so a new field cannot be silently left out.
COPY_COLUMNS = {
    Patient: [
        "id",
        "nhs_number",
        "given_name",
        "family_name",
        "date_of_birth",
        "sex",
        "address_line_1",
        "address_line_2",
        "town",
        "postcode",
        "area_id",
        "practice_id",
        "mobile",
        "email",
        "preferred_channel",
        "preferred_language",
        "contact_consent",
        "opted_out_at",
        "created_at",
        "created_by_id",
    ],
    Episode: [
        "id",
        "patient_id",
        "pathway_id",
        "provider_id",
        "referred_on",
        "status",
        "closed_on",
        "last_contact_at",
        "created_at",
        "created_by_id",
    ],
    EpisodeEvent: [
        "id",
        "episode_id",
        "kind",
        "occurred_on",
        "procedure",
        "recorded_at",
        "recorded_by_id",
    ],
    Invitation: [
        "id",
        "episode_id",
        "timepoint",
        "anchor_event_id",
        "due_on",
        "opens_on",
        "closes_on",
        "follow_up",
        "instruments",
        "status",
        "token_hash",
        "dob_attempts",
        "locked_at",
        "draft_answers",
        "sent_at",
        "opened_at",
        "completed_at",
        "next_action_at",
    ],
    Response: ["id", "invitation_id", "mode", "answers", "submitted_at", "entered_by_id"],
    InstrumentResult: ["id", "response_id", "instrument_id", "scores", "outcomes"],
}


class _CopySink:
    """PostgreSQL: ids from each table's own sequence, rows streamed with COPY."""

    def __init__(self, wrapper):
        self.cursor = wrapper.cursor  # psycopg's own cursor

    def reserve_ids(self, model, count: int) -> list[int]:
        if not count:
            return []
        self.cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in self.cursor.fetchall()]

    def write(self, model, rows: list[tuple]) -> None:
        quote = connection.ops.quote_name
        columns = ", ".join(quote(model._meta.get_field(n).column) for n in COPY_COLUMNS[model])
        with self.cursor.copy(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


class _InsertSink:
    """Other databases (SQLite): ids after the table's highest (the batch holds the write
    lock), rows in multi-row INSERTs with dates and times adapted as Django stores them."""

    def __init__(self, wrapper):
        self.cursor = wrapper

    def reserve_ids(self, model, count: int) -> list[int]:
        table = connection.ops.quote_name(model._meta.db_table)
        self.cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
        highest = self.cursor.fetchone()[0]
        return list(range(highest + 1, highest + 1 + count))

    def write(self, model, rows: list[tuple]) -> None:
        if not rows:
            return
        quote = connection.ops.quote_name
        fields = [model._meta.get_field(n) for n in COPY_COLUMNS[model]]
        columns = ", ".join(quote(f.column) for f in fields)
        sql = (
            f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(fields))})"
        )
        ops = connection.ops
        adapted = [
            tuple(
                ops.adapt_datetimefield_value(v)
                if isinstance(v, dt.datetime)
                else ops.adapt_datefield_value(v)
                if isinstance(v, dt.date)
                else v
                for v in row
            )
            for row in rows
        ]
        self.cursor.executemany(sql, adapted)


@transaction.atomic
def _write_batch_rows(batch: list[PatientPlan], keys: _Keys, stats: WriteStats) -> None:
    """The bulk path: the rows the services would write, without a model instance each."""
    now = timezone.now()
    encoded = {}  # JSON of small values (invitation instruments) within this batch
    episodes = [(e, p) for p in batch for e in p.episodes]
    events = [(v, e) for e, _ in episodes for v in e.events]
    invitations = [(i, e) for e, _ in episodes for i in e.invitations]
    responses = [i.response for i, _ in invitations if i.response is not None]
    results = sum(len(r.results) for r in responses)
    with connection.cursor() as wrapper:
        sink = (_CopySink if connection.vendor == "postgresql" else _InsertSink)(wrapper)
        patient_ids = sink.reserve_ids(Patient, len(batch))
        episode_ids = sink.reserve_ids(Episode, len(episodes))
        event_ids = sink.reserve_ids(EpisodeEvent, len(events))
        invitation_ids = sink.reserve_ids(Invitation, len(invitations))
        response_ids = sink.reserve_ids(Response, len(responses))
        result_ids = iter(sink.reserve_ids(InstrumentResult, results))
        sink.write(
            Patient,
            [
                (
                    pk,
                    p.nhs_number,
                    p.given_name,
                    p.family_name,
                    p.date_of_birth,
                    p.sex,
                    p.address_line_1,
                    "",
                    p.town,
                    p.postcode,
                    keys.areas.get(p.lsoa_code),
                    keys.practices.get(p.practice),
                    p.mobile,
                    p.email,
                    p.preferred_channel,
                    "en",
                    p.contact_consent,
                    None,
                    now,
                    None,
                )
                for pk, p in zip(patient_ids, batch, strict=True)
            ],
        )
        patient_of = {id(p): pk for pk, p in zip(patient_ids, batch, strict=True)}
        episode_of = {id(e): pk for pk, (e, _) in zip(episode_ids, episodes, strict=True)}
        sink.write(
            Episode,
            [
                (
                    pk,
                    patient_of[id(p)],
                    keys.pathways[e.pathway],
                    keys.providers[e.provider],
                    e.referred_on,
                    e.status,
                    e.closed_on,
                    e.last_contact_at,
                    now,
                    None,
                )
                for pk, (e, p) in zip(episode_ids, episodes, strict=True)
            ],
        )
        event_of = {id(v): pk for pk, (v, _) in zip(event_ids, events, strict=True)}
        sink.write(
            EpisodeEvent,
            [
                (pk, episode_of[id(e)], v.kind, v.occurred_on, v.procedure, now, None)
                for pk, (v, e) in zip(event_ids, events, strict=True)
            ],
        )
        invitation_rows = []
        for pk, (i, e) in zip(invitation_ids, invitations, strict=True):
            key = repr(i.instruments)
            if key not in encoded:
                encoded[key] = json.dumps(i.instruments)
            invitation_rows.append(
                (
                    pk,
                    episode_of[id(e)],
                    i.timepoint,
                    event_of[id(e.events[i.event_index])] if i.event_index is not None else None,
                    i.due_on,
                    i.opens_on,
                    i.closes_on,
                    i.follow_up,
                    encoded[key],
                    i.status,
                    None,
                    0,
                    None,
                    "{}",
                    i.sent_at,
                    i.opened_at,
                    i.response.submitted_at if i.response else None,
                    i.next_action_at,
                )
            )
        sink.write(Invitation, invitation_rows)
        answered = [
            pk for pk, (i, _) in zip(invitation_ids, invitations, strict=True) if i.response
        ]
        known = keys.encoded
        response_rows, result_rows = [], []
        for pk, invitation_pk, r in zip(response_ids, answered, responses, strict=True):
            answers = ", ".join(
                f"{json.dumps(code)}: {known.get(id(values)) or json.dumps(values)}"
                for code, values in r.parsed.items()
            )
            response_rows.append(
                (pk, invitation_pk, r.mode, "{" + answers + "}", r.submitted_at, None)
            )
            for code, version, scored in r.results:
                scores, outcomes = known.get(id(scored)) or (
                    json.dumps(scored["scores"]),
                    json.dumps(scored["outcomes"]),
                )
                result_rows.append(
                    (next(result_ids), pk, keys.instruments[(code, version)], scores, outcomes)
                )
        sink.write(Response, response_rows)
        sink.write(InstrumentResult, result_rows)
    paired_results_refresh(episode_ids=episode_ids, in_order=True)  # CLUSTERed as the load ends
    cohorts_refresh(episode_ids=episode_ids, live=False)
    stats.patients += len(batch)
    stats.episodes += len(episodes)
    stats.invitations += len(invitations)
    stats.responses += len(responses)
    stats.results += results


def population_delete() -> int:
    """Delete every generated patient (NHS numbers from the synthetic serial range) and their
    episodes, events, invitations, responses and results. Returns the number of patients."""
    return patients_delete(Patient.objects.filter(nhs_number__gte=SYNTHETIC_NHS_FROM))


@transaction.atomic
def patients_delete(patients) -> int:
    """Delete these patients with everything of theirs (responses are protected, so first)."""
    PairedResult.objects.filter(episode__patient__in=patients).delete()
    cohorts_forget(
        episode_ids=Episode.objects.filter(patient__in=patients).values_list("pk", flat=True)
    )
    InstrumentResult.objects.filter(response__invitation__episode__patient__in=patients).delete()
    Response.objects.filter(invitation__episode__patient__in=patients).delete()
    Invitation.objects.filter(episode__patient__in=patients).delete()
    EpisodeEvent.objects.filter(episode__patient__in=patients).delete()
    Episode.objects.filter(patient__in=patients).delete()
    count, _ = patients.delete()
    return count
