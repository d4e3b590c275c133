"""What a board pack says: sections of figures from ``analytics.summaries``, and the plain-English
summary generated from them.

Every figure comes from the functions the API answers with (``outcome_summary``,
``outcome_equity``, ``practice_variation``), called with the query the API would build for the
same filters, so a number in the PDF is the number the API gives (tests/reports/test_packs.py).
Each section keeps the figure dict it was built from (``{"meta", "results"}``), as the API
returns it, and may carry a chart: see ``CHARTS``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from analytics import summaries
from outcomes.loading import catalogue

# The personal outcomes that are asked at baseline and follow-up, so have a paired change (the
# care-experience outcomes are asked at follow-up only).
PAIRED_OUTCOMES = ("quality-of-life", "pain", "understanding", "self-management")
Z95 = 1.959964

# --- the hook for charts -------------------------------------------------------------------------
#
# A section may carry an SVG string (``Section.svg``) that the PDF template draws above its
# table (WeasyPrint renders inline SVG). ``CHARTS`` maps a section key ("overview", "providers",
# "equity", "access", "practices") to a function that draws that section's figure dict
# ({"meta", "results"}, exactly as the API returns it) as an SVG string, or returns None.
# The dashboard registers its chart functions here, e.g. in its AppConfig.ready():
#     from reports.packs import CHARTS
#     CHARTS["providers"] = dashboard.charts.funnel_svg
# so the pack shows the same charts as the pages, drawn from the same figures.
ChartFunction = Callable[[dict[str, Any]], str | None]
CHARTS: dict[str, ChartFunction] = {}


@dataclass(frozen=True)
class PackFilters:
    """A pack's filters, as the API takes them (``from``/``to`` are whole months)."""

    condition: str
    date_from: dt.date
    date_to: dt.date
    timepoint: str = "6-months"
    provider: str | None = None
    practice: str | None = None

    @property
    def months(self) -> int:
        return (
            (self.date_to.year - self.date_from.year) * 12
            + self.date_to.month
            - self.date_from.month
            + 1
        )

    def previous(self) -> PackFilters:
        """The same number of months just before (what "changed" is measured against)."""
        end = self.date_from - dt.timedelta(days=1)
        month = end.year * 12 + end.month - 1 - (self.months - 1)
        start = dt.date(month // 12, month % 12 + 1, 1)
        return PackFilters(self.condition, start, end, self.timepoint, self.provider, self.practice)

    def query(self, *, outcome: str | None = None, group_by: str = "provider"):
        """The ``OutcomeQuery`` the API builds for these filters (analytics/api.py)."""
        return summaries.OutcomeQuery(
            condition=self.condition,
            measure=summaries.measure_resolve(None, None, outcome),
            timepoint=self.timepoint,
            provider=self.provider,
            practice=self.practice,
            period=summaries.period_parse(None, self.date_from, self.date_to),
            group_by=group_by,
        )

    def describe(self) -> str:
        """'the 12 months to November 2026' or 'November 2026'."""
        if self.months == 1:
            return f"{self.date_to:%B %Y}"
        return f"the {self.months} months to {self.date_to:%B %Y}"


@dataclass
class Section:
    key: str
    title: str
    reading: str  # one plain-English sentence above the table
    figure: dict[str, Any]  # {"meta", "results"} as the API answers
    columns: list[str]
    rows: list[list[str]]  # formatted cells
    notes: list[str] = field(default_factory=list)
    svg: str | None = None  # a chart of ``figure`` (see CHARTS), drawn above the table


@dataclass
class Pack:
    filters: PackFilters
    title: str
    subtitle: str
    summary: list[str]  # what changed and what is flagged, in plain English
    sections: list[Section]
    methods: list[str]
    disclosure: list[str]
    made_at: dt.datetime | None = None
    # The same layout serves other reports made of sections (value/pdf.py): what it is called
    # in the page footer, the summary's heading, the note after "Figures as of", the page shape.
    kind: str = "board pack"
    summary_title: str = "What changed and what is flagged"
    asof_note: str = "Higher scores are better on every 0-100 outcome."
    landscape: bool = False


# --- formatting ------------------------------------------------------------------------------


def percent(value: Any) -> str:
    """A published percentage, or "withheld" where its count is too small to publish."""
    return "withheld" if value is None else f"{number(value)}%"


def number(value: Any, places: int | None = None) -> str:
    """A figure as published: as the API gives it (its rounding), thousands separated."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (places == 0 and float(value).is_integer()):
        return f"{int(value):,}"
    if places is not None:
        return f"{float(value):,.{places}f}"
    return f"{float(value):,}"


def with_ci(row: dict[str, Any], key: str) -> str:
    if row.get(key) is None:
        return "–"
    lower, upper = number(row.get(f"{key}_lower")), number(row.get(f"{key}_upper"))
    return f"{number(row[key])} ({lower} to {upper})"


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


# --- sections --------------------------------------------------------------------------------


def _overview(filters: PackFilters, titles: dict[str, str]) -> tuple[Section, dict[str, Any]]:
    """One row per paired personal outcome, and the same for the previous period."""
    current, previous, meta = [], [], None
    before = filters.previous()
    for outcome in PAIRED_OUTCOMES:
        answer = summaries.outcome_summary(filters.query(outcome=outcome, group_by="none"))
        meta = meta or answer["meta"]
        for row in answer["results"]:
            current.append({"outcome": outcome, **row})
        earlier = summaries.outcome_summary(before.query(outcome=outcome, group_by="none"))
        for row in earlier["results"]:
            previous.append({"outcome": outcome, **row})
    figure = {"meta": {**meta, "outcomes": list(PAIRED_OUTCOMES)}, "results": current}
    earlier_by_outcome = {row["outcome"]: row for row in previous}
    rows = []
    for row in current:
        if withheld(row):
            rows.append([titles[row["outcome"]], "withheld", "", "", "", "", ""])
            continue
        earlier = earlier_by_outcome.get(row["outcome"])
        rows.append(
            [
                titles[row["outcome"]],
                number(row["n"]),
                number(row["mean_baseline"]),
                number(row["mean_follow_up"]),
                with_ci(row, "mean_change"),
                percent(row["pct_improved"]),
                number(earlier.get("mean_change")) if earlier else "–",
            ]
        )
    reading = "No personal outcome has enough paired questionnaires to publish for this period."
    headline = next((r for r in current if not withheld(r)), None)
    if headline:
        reading = (
            f"{titles[headline['outcome']]} rose by {number(headline['mean_change'])} points on "
            f"average (0-100, higher is better) for {number(headline['n'])} people who answered "
            f"at referral and at {_timepoint_label(filters)}."
        )
    section = Section(
        key="overview",
        title="Personal outcomes at a glance",
        reading=reading,
        figure=figure,
        columns=[
            "Outcome",
            "People",
            "Mean at referral",
            f"Mean at {_timepoint_label(filters)}",
            "Mean change (95% CI)",
            "Improved",
            "Change, previous period",
        ],
        rows=rows,
        notes=[f"Previous period: {before.describe()}."],
    )
    return section, {"results": previous}


def _providers(filters: PackFilters) -> Section:
    figure = summaries.outcome_summary(filters.query(group_by="provider"))
    rows = []
    for row in figure["results"]:
        name = row.get("provider_name") or row.get("provider") or ""
        if withheld(row):
            rows.append([name, "withheld", "", "", "", ""])
            continue
        rows.append(
            [
                name,
                number(row["n"]),
                with_ci(row, "mean_change"),
                percent(row["pct_improved"]),
                number(row.get("adjusted_change")),
                position_words(row),
            ]
        )
    flagged = [r for r in figure["results"] if r.get("outside_998")]
    compared = [r for r in figure["results"] if r.get("funnel_position")]
    if flagged:
        names = ", ".join(r.get("provider_name") or r["provider"] for r in flagged)
        reading = (
            f"{len(flagged)} of {len(compared)} providers compared sit outside the 99.8% funnel "
            f"limits after case-mix adjustment: {names}."
        )
    elif compared:
        reading = (
            f"All {len(compared)} providers compared are within the 99.8% funnel limits after "
            "case-mix adjustment: their differences are within what chance would explain."
        )
    else:
        reading = "Too few paired questionnaires to compare providers in this period."
    return Section(
        key="providers",
        title=f"Providers: {figure['meta']['measure']['label']}",
        reading=reading,
        figure=figure,
        columns=[
            "Provider",
            "People",
            "Mean change (95% CI)",
            "Improved",
            "Case-mix adjusted change",
            "Against the funnel limits",
        ],
        rows=rows,
        notes=[
            "Adjusted change: the mean change each provider would have with the programme's "
            "mix of age, sex, deprivation and baseline score. Limits: 95% and 99.8% funnel "
            "limits around the programme mean; compare intervals, not ranks."
        ],
    )


def _equity(filters: PackFilters) -> tuple[Section, Section]:
    figure = summaries.outcome_equity(filters.query())
    results = figure["results"]
    by_deprivation = [
        r for r in results if r["table"] == "outcomes" and r["dimension"] == "imd_quintile"
    ]
    rows = []
    for row in by_deprivation:
        label = _quintile_label(row["group"])
        if withheld(row):
            rows.append([label, "withheld", "", "", ""])
            continue
        rows.append(
            [
                label,
                number(row["n"]),
                number(row["mean_baseline"]),
                with_ci(row, "mean_change"),
                percent(row["pct_improved"]),
            ]
        )
    sii = next((r for r in results if r["table"] == "slope_index_of_inequality"), None)
    if sii and sii.get("sii") is not None:
        reading = _sii_sentence(sii)
    else:
        reading = "Too few paired questionnaires to measure the gap between deprived and "
        reading += "less deprived areas in this period."
    equity = Section(
        key="equity",
        title="Equity: improvement by deprivation",
        reading=reading,
        figure=figure,
        columns=[
            "Deprivation fifth (IMD 2025)",
            "People",
            "Mean at referral",
            "Mean change (95% CI)",
            "Improved",
        ],
        rows=rows,
        notes=[sii["note"]] if sii and sii.get("note") else [],
    )

    ages = {
        r["group"]: r
        for r in results
        if r["table"] == "age_at_enrolment" and r["dimension"] == "imd_quintile"
    }
    rates = {
        r["group"]: r
        for r in results
        if r["table"] == "response_rate"
        and r["dimension"] == "imd_quintile"
        and r.get("timepoint") == filters.timepoint
    }
    access_rows = []
    for group in sorted(set(ages) | set(rates), key=str):
        age, rate = ages.get(group, {}), rates.get(group, {})
        access_rows.append(
            [
                _quintile_label(group),
                "withheld" if withheld(age) else number(age.get("n")),
                "withheld" if withheld(age) else with_ci(age, "mean_age"),
                "withheld" if withheld(rate) else number(rate.get("invited")),
                "withheld"
                if withheld(rate)
                else (
                    f"{number(rate.get('response_rate_pct'))}% "
                    f"({number(rate.get('response_rate_lower'))} to "
                    f"{number(rate.get('response_rate_upper'))})"
                    if rate.get("response_rate_pct") is not None
                    else "–"
                ),
            ]
        )
    access = Section(
        key="access",
        title="Access: age at referral and response by deprivation",
        reading=_access_sentence(ages, rates, filters),
        figure=figure,
        columns=[
            "Deprivation fifth (IMD 2025)",
            "People referred",
            "Mean age at referral (95% CI)",
            f"Invited at {_timepoint_label(filters)}",
            "Answered (95% CI)",
        ],
        rows=access_rows,
    )
    return equity, access


def _practices(filters: PackFilters) -> Section:
    figure = summaries.practice_variation(filters.query())
    rows = []
    for row in figure["results"]:
        name = row.get("practice_name") or row["practice"]
        if withheld(row):
            rows.append([name, "withheld", "", "", "", "", ""])
            continue
        outcome_hidden = withheld(row, "outcome_suppressed")
        rows.append(
            [
                name,
                number(row.get("enrolled")),
                number(row.get("enrolment_rate_per_1000")),
                "withheld" if outcome_hidden else number(row.get("n")),
                "withheld" if outcome_hidden else with_ci(row, "mean_change"),
                "" if outcome_hidden else number(row.get("adjusted_change")),
                "" if outcome_hidden else position_words(row),
            ]
        )
    published = [r for r in figure["results"] if not withheld(r, "outcome_suppressed")]
    flagged = [r for r in figure["results"] if r.get("outside_998")]
    if flagged:
        names = ", ".join(r.get("practice_name") or r["practice"] for r in flagged)
        tail = f"{len(flagged)} sit outside the 99.8% funnel limits: {names}."
    else:
        tail = "none sits outside the 99.8% funnel limits."
    reading = (
        f"{len(published)} of {len(figure['results'])} practices have enough paired "
        f"questionnaires to publish their outcomes; {tail}"
    )
    return Section(
        key="practices",
        title="GP practices",
        reading=reading,
        figure=figure,
        columns=[
            "Practice",
            "Referred",
            "Per 1,000 registered",
            "People paired",
            "Mean change (95% CI)",
            "Adjusted change",
            "Against the funnel limits",
        ],
        rows=rows,
        notes=[
            "Referred per 1,000 registered patients: "
            + (figure["results"][0].get("enrolment_rate_method") or "crude")
            + "."
            if figure["results"]
            else "No practices."
        ],
    )


# --- sentences ---------------------------------------------------------------------------------


def _timepoint_label(filters: PackFilters) -> str:
    try:
        pathway = catalogue().pathway(filters.condition)
    except KeyError:
        return filters.timepoint
    for timepoint in pathway.timepoints:
        if timepoint.code == filters.timepoint:
            return timepoint.label.lower().replace("your ", "")
    return filters.timepoint


def _quintile_label(group: Any) -> str:
    return {
        "1": "1 (most deprived)",
        "5": "5 (least deprived)",
        "unknown": "Not known",
    }.get(str(group), str(group))


def _sii_sentence(sii: dict[str, Any]) -> str:
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


def _access_sentence(ages: dict, rates: dict, filters: PackFilters) -> str:
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
            f"{_timepoint_label(filters)}, against {number(least['response_rate_pct'])}% of the "
            "least deprived"
        )
    if not parts:
        return "Too few referrals to compare age and response by deprivation in this period."
    return "; ".join(parts) + "."


def _standard_error(row: dict[str, Any], key: str) -> float | None:
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
    se_now, se_before = _standard_error(now, "mean_change"), _standard_error(before, "mean_change")
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


def pack_build(filters: PackFilters) -> Pack:
    """Compute every figure of a pack and the sentences that read them."""
    definitions = catalogue()
    titles = {code: outcome.title for code, outcome in definitions.outcomes.items()}
    condition = definitions.conditions[filters.condition].title
    overview, previous = _overview(filters, titles)
    equity, access = _equity(filters)
    sections = [overview, _providers(filters), equity, access, _practices(filters)]
    for section in sections:
        chart = CHARTS.get(section.key)
        if chart is not None and section.svg is None:
            section.svg = chart(section.figure)
    by_key = {section.key: section for section in sections}
    meta = by_key["providers"].figure["meta"]
    scope = [s for s in (filters.provider, filters.practice) if s]
    subtitle = f"Follow-ups at {_timepoint_label(filters)} submitted in {filters.describe()}"
    if scope:
        subtitle += f"; only {' and '.join(scope)}"
    return Pack(
        filters=filters,
        title=f"MSK Together board pack: {condition}",
        subtitle=subtitle,
        summary=pack_summary(filters, by_key, previous),
        sections=sections,
        methods=[
            meta["method"]["summary"],
            meta["method"]["case_mix"],
            "What changed: each outcome's mean change against the same number of months just "
            "before, tested at the 5% level with standard errors recovered from the published "
            "95% confidence intervals.",
            "Flagged: only a provider or practice outside the 99.8% funnel limits (about 1 in "
            "500 by chance alone); outside the 95% limits only is listed in the tables, not "
            "flagged.",
            "Minimal important change: "
            + (meta["measure"].get("mic_source") or "see docs/methods.md"),
            "Full methods: docs/methods.md in the proms repository.",
        ],
        disclosure=[
            f"Figures from fewer than {meta['disclosure']['min_cell']} patients are withheld "
            '("withheld" in the tables), and so is one more group wherever a withheld one '
            "could be worked out by subtraction. Counts are rounded to the nearest "
            f"{meta['disclosure']['round_counts_to']}, and percentages come from the rounded "
            f"counts. Case-mix adjusted figures need {meta['disclosure']['min_n_for_adjusted']} "
            "patients.",
            "The rule as the API publishes it: " + meta["disclosure"]["rule"],
            "Aggregate figures only: this pack holds no patient-level data and may be shared "
            "with the board.",
        ],
    )
