"""The synthetic population never shows staff what cannot happen (issue 13's demo bugs)."""

from __future__ import annotations

import pytest

from surveys import scheduling
from tests.surveys.test_synthetic import TODAY, plan


@pytest.fixture(scope="module")
def population():
    return plan(11, 3000)


def _episodes(plans):
    return [episode for patient in plans for episode in patient.episodes]


def test_no_active_episode_has_every_questionnaire_behind_it(population):
    stuck = [
        episode
        for episode in _episodes(population)
        if episode.status == "active"
        and episode.invitations
        and all(invitation.closes_on < TODAY for invitation in episode.invitations)
    ]

    assert stuck == []


def test_twelve_month_answers_are_not_a_copy_of_the_six_month_answers(population):
    pairs = []
    for episode in _episodes(population):
        answered = {i.timepoint: i.response for i in episode.invitations if i.response}
        if "6-months" in answered and "12-months" in answered:
            pairs.append((answered["6-months"].answers, answered["12-months"].answers))

    identical = [pair for pair in pairs if pair[0] == pair[1]]

    assert len(pairs) > 100
    assert identical == []  # people never answer every item exactly as six months before


def test_no_episode_gets_a_post_operative_questionnaire_on_top_of_a_coinciding_one(population):
    doubled = []
    for episode in _episodes(population):
        referral = [
            scheduling.Scheduled(i.timepoint, i.due_on, frozenset(c for c, _ in i.instruments))
            for i in episode.invitations
            if i.event_index is None
        ]
        for invitation in episode.invitations:
            if invitation.event_index is None:
                continue
            window = scheduling.Window(
                invitation.timepoint,
                invitation.due_on,
                invitation.opens_on,
                invitation.closes_on,
                invitation.follow_up,
                tuple(c for c, _ in invitation.instruments),
            )
            if scheduling.coinciding(window, referral, 28):
                doubled.append(invitation)

    assert doubled == []
