"""The one place the dashboard applies disclosure control to counts it computes itself.

Figures taken from ``analytics.summaries`` arrive already protected. Every count the dashboard
adds (activity, procedures, waits, loss to follow-up...) goes through :func:`protect` here, so
a change of the service's rule (``analytics.disclosure``) reaches every dashboard figure by
changing this module alone.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from analytics import disclosure


def whole_table(row: dict[str, Any]) -> Hashable:
    return None


def protect(
    rows: Sequence[dict[str, Any]],
    *,
    count_keys: Sequence[str] = ("n",),
    partitions: Sequence[Callable[[dict[str, Any]], Hashable]] = (whole_table,),
    rounded_keys: Sequence[str] | None = None,
    keep_keys: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Primary and secondary suppression and rounding (analytics.disclosure.protect_rows):
    ``partitions`` name the sets of rows that add up to a total someone can obtain."""
    return disclosure.protect_rows(
        rows,
        count_keys=count_keys,
        partitions=partitions,
        rounded_keys=rounded_keys,
        keep_keys=keep_keys,
    )


def round_count(count: int | None) -> int | None:
    return disclosure.round_count(count)


def min_cell() -> int:
    return disclosure.min_cell()


def policy() -> dict[str, Any]:
    return disclosure.policy()
