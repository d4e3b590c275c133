"""The board pack's plain-English sentences: what changed (against the previous period, with
the test it uses) and what is flagged, read from the figures, never written by hand."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from outcomes.loading import catalogue
from reports.formatting import number, withheld

if TYPE_CHECKING:
    from reports.packs import PackFilters, Section

Z95 = 1.959964


def timepoint_label(filters: PackFilters) -> str:
    try:
        pathway = catalogue().pathway(filters.condition)
    except KeyError:
        return filters.timepoint
    for timepoint in pathway.timepoints:
        if timepoint.code == filters.timepoint:
            return timepoint.label.lower().replace("your ", "")
    return filters.timepoint


def quintile_label(group: Any) -> str:
    return {
        "1": "1 (most deprived)",
        "5": "5 (least deprived)",
        "unknown": "Not known",
    }.get(str(group), str(group))


def sii_sentence(sii: dict[str, Any]) -> str:
    gap = sii["sii"]
    lower, upper = sii.get("sii_lower"), sii.get("sii_upper")
    beyond_chance = lower is not None and upper is not None and (lower > 0 or upper < 0)
    who = "less" if gap > 0 else "more"
    verdict = (
        "larger than chance would explain" if beyond_chance else "within what chance would explain"
    )
    return (
        f"From the most to the least deprived areas, improvement differs by {number(abs(gap))} "
        f"points (slope index of inequality {number(gap)}, 95% CI {number(lower)} to "
        f"{number(upper)}): people in {who} deprived areas improve more, a gap {verdict}."
    )


def access_sentence(ages: dict, rates: dict, filters: PackFilters) -> str:
    most, least = ages.get("1"), ages.get("5")
    parts = []
    if most and least and not withheld(most) and not withheld(least):
        years = float(least["mean_age"]) - float(most["mean_age"])
        parts.append(
            "People from the most deprived fifth of areas were referred at "
            f"{number(most['mean_age'])} on average, {number(round(years, 1))} years "
            f"{'younger' if years >= 0 else 'older'} than the least deprived fifth "
            f"({number(least['mean_age'])})"
        )
    most, least = rates.get("1"), rates.get("5")
    if (
        most
        and least
        and most.get("response_rate_pct") is not None
        and least.get("response_rate_pct") is not None
    ):
        parts.append(
            f"{number(most['response_rate_pct'])}% of the most deprived answered at "
            f"{timepoint_label(filters)}, against {number(least['response_rate_pct'])}% of the "
            "least deprived"
        )
    if not parts:
        return "Too few referrals to compare age and response by deprivation in this period."
    return "; ".join(parts) + "."


def standard_error(row: dict[str, Any], key: str) -> float | None:
    lower, upper = row.get(f"{key}_lower"), row.get(f"{key}_upper")
    if lower is None or upper is None:
        return None
    return (float(upper) - float(lower)) / (2 * Z95)


def change_verdict(now: dict[str, Any], before: dict[str, Any] | None) -> tuple[str, bool]:
    """Compare mean change with the previous period: words, and whether chance explains it.

    The standard errors are recovered from the published 95% CIs (half-width / 1.96), and the
    difference of two independent means is tested at the 5% level: an approximation that is
    close for the hundreds of patients a period holds (docs/methods.md, board pack).
    """
    if not before or before.get("mean_change") is None or withheld(before):
        return "no figure for the previous period to compare with", False
    difference = float(now["mean_change"]) - float(before["mean_change"])
    se_now, se_before = standard_error(now, "mean_change"), standard_error(before, "mean_change")
    significant = False
    if se_now is not None and se_before is not None:
        se = math.hypot(se_now, se_before)
        significant = se > 0 and abs(difference) > Z95 * se
    direction = "up from" if difference > 0 else "down from" if difference < 0 else "the same as"
    verdict = (
        "a change larger than chance would explain"
        if significant
        else "a difference within what chance would explain"
    )
    return f"{direction} {number(before['mean_change'])} in the previous period, {verdict}", (
        significant
    )


def pack_summary(
    filters: PackFilters, sections: dict[str, Section], previous: dict[str, Any]
) -> list[str]:
    """What changed and what is flagged, each a sentence generated from the figures."""
    titles = {code: outcome.title for code, outcome in catalogue().outcomes.items()}
    lines = []
    earlier = {row["outcome"]: row for row in previous["results"]}
    for row in sections["overview"].figure["results"]:
        name = titles[row["outcome"]]
        if withheld(row) or row.get("mean_change") is None:
            lines.append(f"{name}: too few paired questionnaires to publish.")
            continue
        words, _ = change_verdict(row, earlier.get(row["outcome"]))
        words = words.replace("the previous period", filters.previous().describe())
        lines.append(
            f"{name}: people improved by {number(row['mean_change'])} points on average "
            f"({number(row['pct_improved'])}% by at least the minimal important change), "
            f"{words}."
        )
    for key in ("providers", "practices"):
        section = sections.get(key)
        if section is None:
            continue
        name_key = "provider_name" if key == "providers" else "practice_name"
        for row in section.figure["results"]:
            position = row.get("funnel_position") or ""
            if row.get("outside_998"):
                side = "above" if position.startswith("above") else "below"
                limit = row.get("funnel_upper_998" if side == "above" else "funnel_lower_998")
                lines.append(
                    f"Flagged: {row.get(name_key) or row.get(key[:-1])} — case-mix adjusted "
                    f"change {number(row.get('adjusted_change'))} is {side} the 99.8% limit "
                    f"({number(limit)}): "
                    "unlikely to be chance."
                )
    if not any(line.startswith("Flagged") for line in lines):
        lines.append(
            "Flagged: no provider or practice sits outside the 99.8% funnel limits this period."
        )
    lines.append(sections["equity"].reading)
    return lines
