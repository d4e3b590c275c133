"""Answer questionnaires in tests with chosen scores (OKS total, EQ-5D anxiety, pain)."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.utils import timezone

from outcomes.loading import catalogue
from surveys import services


def oks_items(total: int) -> dict[str, int]:
    """Oxford Knee Score answers (12 items, 0-4 each, higher is better) summing to ``total``."""
    codes = []
    for _ in range(12):
        step = min(4, total)
        codes.append(step)
        total -= step
    return {f"oks{n:02d}": code for n, code in enumerate(codes, start=1)}


def answers_for(invitation, *, oks: int = 24, ad: int = 1, pain: int = 5) -> dict:
    """Plausible answers to every instrument of ``invitation``: middle answers, with the OKS
    total, the EQ-5D anxiety/depression level and the 0-10 pain given."""
    answers = {}
    for code, version in invitation.instruments:
        spec = catalogue().instrument(code, version)
        values = {}
        for item in spec.items:
            low, high = item.scale()
            values[item.id] = (low + high) // 2
        if code == "oks":
            values = oks_items(oks)
        if code == "eq-5d-5l":
            values["ad"] = ad
        if code == "nrs-pain":
            values["nrs01"] = pain
        answers[code] = values
    return answers


def answer(episode, timepoint: str, **levels):
    """Submit the patient's answers to ``timepoint`` on a day its window is open."""
    invitation = episode.invitations.get(timepoint=timepoint, anchor_event__isnull=True)
    day = max(invitation.opens_on, timezone.localdate())
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(11, 0)))
    with time_machine.travel(moment, tick=False):
        return services.response_submit(
            invitation=invitation, answers=answers_for(invitation, **levels), mode="self"
        ).response
