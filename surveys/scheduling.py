"""Pure window arithmetic: when each timepoint of a pathway is due and how long it stays open."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from outcomes.specs import PathwaySpec


@dataclass(frozen=True)
class Window:
    timepoint: str
    due_on: dt.date
    opens_on: dt.date
    closes_on: dt.date
    follow_up: bool
    instruments: tuple[str, ...]


def windows(
    pathway: PathwaySpec, anchor: str, anchor_date: dt.date, procedure: str | None = None
) -> list[Window]:
    """The windows of every timepoint anchored on ``anchor`` (referral, assessment, procedure).

    ``procedure`` is the procedure type code of a procedure event: a timepoint that names the
    types it follows (a knee replacement, not an injection) starts only after one of them.
    """
    result = []
    for timepoint in pathway.timepoints:
        if timepoint.anchor != anchor or not timepoint.starts_after(procedure):
            continue
        due = anchor_date + dt.timedelta(days=timepoint.offset_days)
        result.append(
            Window(
                timepoint=timepoint.code,
                due_on=due,
                opens_on=due - dt.timedelta(days=timepoint.opens_before_days),
                closes_on=due + dt.timedelta(days=timepoint.closes_after_days),
                follow_up=timepoint.follow_up,
                instruments=timepoint.instruments,
            )
        )
    return result


@dataclass(frozen=True)
class Scheduled:
    """A questionnaire the episode already has: its timepoint, due date and instrument codes."""

    timepoint: str
    due_on: dt.date
    instruments: frozenset[str]


def coinciding(window: Window, scheduled: list[Scheduled], within_days: int) -> Scheduled | None:
    """The questionnaire that already covers ``window``, if any (the coinciding-timepoints rule).

    A knee replacement on the referral day would add "6 months after your operation" with the
    window of "6 months after your referral": two questionnaires at once. The pathway's
    ``coinciding_within_days`` decides: a new window due within that many days of a
    questionnaire the episode already has, which asks every instrument the new one asks, is not
    scheduled; that questionnaire serves for both, so no question goes unasked. Only
    event-anchored windows are tested (the caller passes them), never the referral's own.
    """
    if within_days <= 0:
        return None
    wanted = set(window.instruments)
    for other in sorted(scheduled, key=lambda s: abs((s.due_on - window.due_on).days)):
        if abs((other.due_on - window.due_on).days) <= within_days and wanted <= other.instruments:
            return other
    return None
