"""Score alerts: raised from stored answers with the alert rules, moved through their states."""

from __future__ import annotations

import pytest

from care.alerts import alert_transition, alerts_raise_all
from care.models import Alert, AlertChange
from outcomes.models import AuditEvent
from surveys.services import JourneyError
from tests.care.conftest import answer


def test_an_oks_fall_of_twice_the_mic_since_the_last_answers_raises_an_urgent_alert(episode_a):
    answer(episode_a, "baseline", oks=30)
    answer(episode_a, "6-weeks", oks=15)  # 15 points worse; MIC 7

    alert = Alert.objects.get(rule="oks-much-worse-since-previous")
    assert (alert.level, alert.state, alert.provider_id) == ("urgent", "new", episode_a.provider_id)
    assert "OKS total: 30 → 15" in alert.summary
    assert alert.rules_version == "1.0.0"


def test_an_oks_fall_of_one_mic_since_baseline_raises_a_routine_alert_only(episode_a):
    answer(episode_a, "baseline", oks=30)
    answer(episode_a, "6-weeks", oks=22)  # 8 worse: at least one MIC (7), less than two

    assert list(Alert.objects.values_list("rule", "level")) == [
        ("oks-worse-since-baseline", "routine")
    ]


def test_an_improvement_raises_no_alert(episode_a):
    answer(episode_a, "baseline", oks=15)
    answer(episode_a, "6-weeks", oks=40)

    assert not Alert.objects.exists()


def test_the_worst_answer_on_a_key_item_raises_an_alert_at_baseline(episode_a):
    answer(episode_a, "baseline", ad=5)  # extremely anxious or depressed

    alert = Alert.objects.get()
    assert (alert.rule, alert.level) == ("eq-5d-extreme-anxiety-depression", "urgent")


def test_no_baseline_answers_means_no_worse_since_baseline_alert(episode_a):
    episode_a.invitations.filter(timepoint="baseline").update(status="expired")
    answer(episode_a, "6-weeks", oks=40)
    answer(episode_a, "3-months", oks=30)  # worse than 6 weeks, but 6 weeks is not the baseline

    assert not Alert.objects.filter(rule="oks-worse-since-baseline").exists()


def test_evaluating_every_response_again_raises_nothing_twice(episode_a):
    answer(episode_a, "baseline", oks=30)
    answer(episode_a, "6-weeks", oks=10)
    before = Alert.objects.count()

    found = alerts_raise_all()

    assert found == before and Alert.objects.count() == before


@pytest.fixture
def alert(episode_a):
    answer(episode_a, "baseline", ad=5)
    return Alert.objects.get()


def test_an_alert_goes_from_new_to_seen_to_acted_on_to_closed_with_who_and_when(alert, staff_a):
    alert_transition(alert=alert, to_state="seen", by=staff_a)
    alert_transition(alert=alert, to_state="acted", by=staff_a, note="Phoned; GP to review")
    alert_transition(alert=alert, to_state="closed", by=staff_a)

    alert.refresh_from_db()
    assert (alert.state, alert.state_changed_by) == ("closed", staff_a)
    steps = list(AlertChange.objects.values_list("from_state", "to_state", "by", "note"))
    assert steps == [
        ("new", "seen", staff_a.pk, ""),
        ("seen", "acted", staff_a.pk, "Phoned; GP to review"),
        ("acted", "closed", staff_a.pk, ""),
    ]
    assert AuditEvent.objects.filter(action="alert.state_changed", actor=staff_a).count() == 3


def test_acting_on_an_alert_needs_a_note(alert, staff_a):
    with pytest.raises(JourneyError, match="what was done"):
        alert_transition(alert=alert, to_state="acted", by=staff_a, note="  ")

    alert.refresh_from_db()
    assert alert.state == "new" and not AlertChange.objects.exists()


def test_closing_an_alert_nobody_acted_on_needs_a_reason(alert, staff_a):
    with pytest.raises(JourneyError, match="why no action"):
        alert_transition(alert=alert, to_state="closed", by=staff_a)


def test_a_closed_alert_cannot_be_reopened_or_closed_twice(alert, staff_a):
    alert_transition(alert=alert, to_state="closed", by=staff_a, note="Known to the team")

    with pytest.raises(JourneyError, match="already closed"):
        alert_transition(alert=alert, to_state="closed", by=staff_a, note="again")


def test_a_patient_still_worse_at_the_next_answers_gets_one_alert_not_one_each_time(episode_a):
    answer(episode_a, "baseline", oks=30)
    answer(episode_a, "6-weeks", oks=22)  # worse than baseline by a MIC or more
    answer(episode_a, "3-months", oks=22)  # still: the same news

    assert Alert.objects.filter(rule="oks-worse-since-baseline").count() == 1


def test_worse_again_after_recovering_raises_a_new_alert(episode_a):
    answer(episode_a, "baseline", oks=30)
    answer(episode_a, "6-weeks", oks=22)
    answer(episode_a, "3-months", oks=30)  # back to baseline
    answer(episode_a, "6-months", oks=22)

    assert Alert.objects.filter(rule="oks-worse-since-baseline").count() == 2
