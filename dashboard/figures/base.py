"""What every figure returns: ``{"meta": {...}, "results": [flat rows]}``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Max
from django.utils import timezone

from outcomes import statistics as st

from .. import disclosure
from ..filters import Filters


def rounded(value: float | None, places: int = 1) -> float | None:
    return None if value is None else round(float(value), places)


def data_as_of() -> dict[str, Any]:
    """When the figures were computed and the latest response they include (real time)."""
    from surveys.models import Response

    latest = Response.objects.aggregate(latest=Max("submitted_at"))["latest"]
    return {
        "computed_at": timezone.localtime().isoformat(timespec="seconds"),
        "latest_response_at": timezone.localtime(latest).isoformat(timespec="seconds")
        if latest
        else None,
    }


def envelope(
    name: str,
    filters: Filters,
    rows: Sequence[dict[str, Any]],
    *,
    method: str,
    **meta: Any,
) -> dict[str, Any]:
    return {
        "meta": {
            "figure": name,
            "filters": filters.describe(),
            "method": method,
            "disclosure": disclosure.policy(),
            "as_of": data_as_of(),
            **meta,
        },
        "results": list(rows),
    }


def mean_columns(prefix: str, n: int, total: float | None, squares: float | None, places: int):
    """mean_<prefix> with its t interval, from sums."""
    if not n or total is None:
        return {prefix: None, f"{prefix}_lower": None, f"{prefix}_upper": None}
    estimate = st.mean_from_sums(int(n), float(total), float(squares or 0))
    return {
        prefix: rounded(estimate.mean, places),
        f"{prefix}_lower": rounded(estimate.lower, places),
        f"{prefix}_upper": rounded(estimate.upper, places),
    }


def rate_columns(prefix: str, successes: int | None, total: int | None) -> dict[str, Any]:
    """A percentage with its Wilson interval, from published (rounded) counts."""
    empty = {f"{prefix}_pct": None, f"{prefix}_lower": None, f"{prefix}_upper": None}
    if not total or successes is None:
        return empty
    interval = st.wilson_interval(int(successes), int(total))
    return {
        f"{prefix}_pct": rounded(100 * successes / total, 1),
        f"{prefix}_lower": rounded(100 * interval[0], 1) if interval else None,
        f"{prefix}_upper": rounded(100 * interval[1], 1) if interval else None,
    }
