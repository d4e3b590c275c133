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
