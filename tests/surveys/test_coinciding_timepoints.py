"""Coinciding timepoints (knee-pain 1.2.0): a knee replacement on the referral day must not give
the patient "6 months after your operation" on top of "6 months after your referral"."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import time_machine

from outcomes.loading import DefinitionError, catalogue, parse_pathway
from outcomes.models import AuditEvent
from surveys import scheduling, services
from tests.factories import PatientFactory, ProviderFactory, pathway_current

TODAY = dt.date(2026, 12, 5)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(dt.datetime(2026, 12, 5, 10, tzinfo=dt.UTC), tick=False):
        yield


def _knee_replacement(days_after_referral: int):
    referred_on = TODAY - dt.timedelta(days=days_after_referral)
    episode = services.episode_enrol(
        patient=PatientFactory(),
        pathway=pathway_current("knee-pain"),
        provider=ProviderFactory(),
        referred_on=referred_on,
        by=None,
    )
    services.event_record(
        episode=episode,
        kind="procedure",
        occurred_on=TODAY,
        procedure="total-knee-replacement",
        by=None,
    )
    return episode


def test_new_knee_pain_enrolments_use_the_version_with_the_coinciding_rule():
    spec = catalogue().pathway("knee-pain")

    assert (spec.version, spec.coinciding_within_days) == ("1.2.0", 28)


def test_a_knee_replacement_on_the_referral_day_adds_no_second_questionnaire():
    episode = _knee_replacement(0)

    timepoints = sorted(episode.invitations.values_list("timepoint", flat=True))
    assert timepoints == ["12-months", "3-months", "6-months", "6-weeks", "baseline"]
    audit = AuditEvent.objects.get(action="episode.event_recorded")
    assert audit.details["served_by"] == {
        "post-op-6-months": "6-months",
        "post-op-12-months": "12-months",
    }


def test_the_questionnaire_that_serves_both_asks_every_post_operative_question():
    episode = _knee_replacement(0)

    six_months = episode.invitations.get(timepoint="6-months")
    post_op = catalogue().pathway("knee-pain").timepoint("post-op-6-months")
    assert set(post_op.instruments) <= {code for code, _ in six_months.instruments}


def test_a_knee_replacement_months_after_referral_gets_its_own_questionnaires():
    episode = _knee_replacement(100)  # post-op 6 months due 83 days before referral 12 months

    assert episode.invitations.filter(anchor_event__isnull=False).count() == 2


def test_only_the_post_operative_questionnaire_that_coincides_is_left_out():
    episode = _knee_replacement(183)  # 6 months after the operation = 12 months after referral

    post_op = set(
        episode.invitations.filter(anchor_event__isnull=False).values_list("timepoint", flat=True)
    )
    assert post_op == {"post-op-12-months"}


def _window(due: dt.date, instruments=("oks",)) -> scheduling.Window:
    return scheduling.Window("post-op", due, due, due, True, instruments)


def test_a_window_asking_something_the_other_does_not_is_kept():
    other = scheduling.Scheduled("6-months", TODAY, frozenset({"oks"}))

    assert scheduling.coinciding(_window(TODAY, ("oks", "ohs")), [other], 28) is None
    assert scheduling.coinciding(_window(TODAY), [other], 28) == other


def test_the_rule_is_off_at_zero_days_and_stops_at_its_limit():
    other = scheduling.Scheduled("6-months", TODAY, frozenset({"oks"}))

    assert scheduling.coinciding(_window(TODAY), [other], 0) is None
    assert scheduling.coinciding(_window(TODAY + dt.timedelta(days=28)), [other], 28) == other
    assert scheduling.coinciding(_window(TODAY + dt.timedelta(days=29)), [other], 28) is None


def test_a_negative_number_of_days_is_refused_in_the_definition(tmp_path):
    path = Path(catalogue().pathway("knee-pain").path)
    raw = json.loads(path.read_text())
    raw["coinciding_within_days"] = -1

    with pytest.raises(DefinitionError, match="coinciding_within_days"):
        parse_pathway(raw, tmp_path / "1.2.0.json")
