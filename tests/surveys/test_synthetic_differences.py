"""The synthetic population's built-in differences are there, within sampling error, so the
demo's charts and board packs have something true to reveal (surveys/synthetic.py)."""

import datetime as dt
import math
import statistics

import pytest

from surveys import synthetic
from tests.surveys.test_synthetic import file_context

TODAY = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def population():
    context = file_context(2026)
    return list(synthetic.population_plan(context, patients=6000, today=TODAY))


def mean_and_se(values):
    return statistics.mean(values), statistics.stdev(values) / math.sqrt(len(values))


def paired_change(episode, outcome="quality-of-life"):
    answered = {i.timepoint: i.response for i in episode.invitations if i.response}
    if "baseline" not in answered or "6-months" not in answered:
        return None
    before = dict((c, s) for c, _, s in answered["baseline"].results)["mskt-core"]
    after = dict((c, s) for c, _, s in answered["6-months"].results)["mskt-core"]
    return after["outcomes"][outcome] - before["outcomes"][outcome]


def test_the_better_provider_gains_more_by_its_built_in_amount(population):
    profiles = {p.ods_code: p for p in synthetic.PROVIDERS}
    better = profiles[synthetic.BETTER_PROVIDER]
    assert better.effect == max(p.effect for p in synthetic.PROVIDERS)
    gains = {"better": [], "RK5": []}
    for patient in population:
        episode = patient.episodes[0]
        if episode.pathway != "back-pain":  # one condition: the same mean gain and case mix
            continue
        if episode.provider == better.ods_code:
            gains["better"].append(episode.gain)
        elif episode.provider == "RK5":
            gains["RK5"].append(episode.gain)
    (better_mean, better_se), (rk5_mean, rk5_se) = (mean_and_se(gains[k]) for k in gains)

    built_in = better.effect - profiles["RK5"].effect
    assert abs((better_mean - rk5_mean) - built_in) < 3 * math.hypot(better_se, rk5_se)


def test_the_better_providers_patients_report_more_improvement_than_chance_explains(population):
    better, others = [], []
    for patient in population:
        change = paired_change(patient.episodes[0])
        if change is None:
            continue
        (better if patient.episodes[0].provider == synthetic.BETTER_PROVIDER else others).append(
            change
        )
    (b, b_se), (o, o_se) = mean_and_se(better), mean_and_se(others)

    assert b - o > 3 * math.hypot(b_se, o_se)


def test_people_in_deprived_areas_start_worse_and_improve_less(population):
    deprived = [p for p in population if p.imd_decile <= 2]
    affluent = [p for p in population if p.imd_decile >= 9]

    def changes(patients):
        return [c for p in patients if (c := paired_change(p.episodes[0])) is not None]

    (d, d_se), (a, a_se) = mean_and_se(changes(deprived)), mean_and_se(changes(affluent))
    assert a - d > 2 * math.hypot(a_se, d_se)


def test_the_changed_practice_gains_more_since_the_change_and_no_other_does(population):
    recent = dt.timedelta(days=synthetic.PRACTICE_CHANGE_DAYS)

    def step(practice):
        before, after = [], []
        for patient in population:
            if patient.practice != practice:
                continue
            episode = patient.episodes[0]
            (after if TODAY - episode.referred_on < recent else before).append(episode.gain)
        (b, b_se), (a, a_se) = mean_and_se(before), mean_and_se(after)
        return a - b, math.hypot(a_se, b_se)

    changed, se = step(synthetic.CHANGED_PRACTICE)
    assert abs(changed - synthetic.PRACTICE_CHANGE_EFFECT) < 3 * se
    unchanged, se = step("C84051")  # the next largest list
    assert abs(unchanged) < 3 * se
