"""The episode page's timeline says what the numbers mean (issue 13's timeline bugs)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from surveys.views_staff import timeline
from tests.surveys.answering import answer

pytestmark = pytest.mark.django_db


def _row(episode, timepoint):
    return next(row for row in timeline(episode) if row["invitation"].timepoint == timepoint)


def test_with_the_baseline_expired_no_change_is_worked_out_against_a_later_answer(episode_a):
    episode_a.invitations.filter(timepoint="baseline").update(status="expired")
    answer(episode_a, "6-weeks", oks=40)
    answer(episode_a, "3-months", oks=20)

    row = _row(episode_a, "3-months")

    assert row["no_baseline"] is True
    assert all(score["change"] is None for score in row["scores"])


def test_the_page_says_why_no_change_since_baseline_is_shown(client_a, episode_a):
    episode_a.invitations.filter(timepoint="baseline").update(status="expired")
    answer(episode_a, "6-weeks", oks=40)

    page = client_a.get(reverse("staff:episode_detail", args=[episode_a.pk])).text

    assert "The baseline questionnaire was not answered, so no change since baseline" in page


def test_change_is_against_the_baseline_and_the_column_names_it(client_a, episode_a):
    answer(episode_a, "baseline", oks=20)
    answer(episode_a, "6-weeks", oks=30)
    answer(episode_a, "3-months", oks=35)

    oks = next(s for s in _row(episode_a, "3-months")["scores"] if s["label"] == "OKS total")
    page = client_a.get(reverse("staff:episode_detail", args=[episode_a.pk])).text

    assert (oks["change"], oks["direction"]) == ("+15", "improved")  # 35 - 20, not 35 - 30
    assert "Change since baseline (Before your first appointment)" in page


def test_each_score_shows_its_range_and_which_way_is_better(client_a, episode_a):
    answer(episode_a, "baseline")

    page = client_a.get(reverse("staff:episode_detail", args=[episode_a.pk])).text

    assert "0 to 48, higher is better" in page  # Oxford Knee Score
    assert "0 to 10, lower is better" in page  # pain 0-10


def test_a_link_locked_by_wrong_dates_of_birth_shows_locked_not_sent(client_a, episode_a):
    baseline = episode_a.invitations.get(timepoint="baseline")
    baseline.status, baseline.locked_at, baseline.dob_attempts = "sent", timezone.now(), 5
    baseline.save()

    page = client_a.get(reverse("staff:episode_detail", args=[episode_a.pk])).text

    assert "Locked (wrong dates of birth)" in page
    assert ">Sent<" not in page


def test_the_messages_table_names_the_questionnaire_in_words(client_a, episode_a):
    invitation = episode_a.invitations.get(timepoint="3-months")
    Notification.objects.create(
        invitation=invitation,
        patient=episode_a.patient,
        channel="sms",
        kind="invite",
        status="delivered",
        idempotency_key="t1",
        not_before=timezone.now(),
    )

    page = client_a.get(reverse("staff:episode_detail", args=[episode_a.pk])).text

    assert "<td><strong>3 months after your referral</strong></td>" in page
    assert "3-months<" not in page
