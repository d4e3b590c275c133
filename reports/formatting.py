"""How a board pack writes a figure: as the API gives it (its rounding), in the dashboard's
table style, "withheld" where disclosure control withholds it."""

from __future__ import annotations

from typing import Any

from dashboard.templatetags.dashboard import cell


def percent(value: Any) -> str:
    """A published percentage, or "withheld" where its count is too small to publish."""
    return "withheld" if value is None else f"{number(value)}%"


def number(value: Any, places: int | None = None) -> str:
    """A figure as published: as the API gives it (its rounding), written as the dashboard's
    tables write it (thousands separated, no trailing zeros), so the page and the pack read
    the same."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (places == 0 and float(value).is_integer()):
        return f"{int(value):,}"
    if places is not None:
        return f"{float(value):,.{places}f}"
    return cell({"value": float(value)}, "value")


def with_ci(row: dict[str, Any], key: str) -> str:
    if row.get(key) is None:
        return "–"
    lower, upper = number(row.get(f"{key}_lower")), number(row.get(f"{key}_upper"))
    return f"{number(row[key])} ({lower} to {upper})"


def funnel_limits(row: dict[str, Any]) -> str:
    """The 95% funnel limits around the programme mean at this unit's size: the interval its
    adjusted change is judged against (the 'interval' of the funnel plot)."""
    lower, upper = row.get("funnel_lower_95"), row.get("funnel_upper_95")
    if lower is None or upper is None:
        return "–"
    return f"{number(lower)} to {number(upper)}"


def withheld(row: dict[str, Any], flag: str = "suppressed") -> bool:
    return bool(row.get(flag))


POSITIONS = {
    "above_99.8": "above the 99.8% limit: better than chance explains",
    "above_95": "above the 95% limit only",
    "within": "within the limits",
    "below_95": "below the 95% limit only",
    "below_99.8": "below the 99.8% limit: worse than chance explains",
}


def position_words(row: dict[str, Any]) -> str:
    position = row.get("funnel_position")
    if position is None:
        return "too few patients to compare" if row.get("n") else "–"
    return POSITIONS.get(position, position)
