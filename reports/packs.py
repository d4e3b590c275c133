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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from analytics import summaries
from dashboard.cache import computed_once
from outcomes.loading import catalogue
from reports.formatting import (
    funnel_limits,
    number,
    percent,
    position_words,
    with_ci,
    withheld,
)
from reports.sentences import (
    access_sentence,
    pack_summary,
    quintile_label,
    sii_sentence,
    timepoint_label,
)
from reports.tables import column_widths

# The personal outcomes that are asked at baseline and follow-up, so have a paired change (the
# care-experience outcomes are asked at follow-up only).
PAIRED_OUTCOMES = ("quality-of-life", "pain", "understanding", "self-management")

# --- the hook for charts -------------------------------------------------------------------------
#
# A section may carry a chart (``Section.svg``: SVG text, or a PNG as a data: URI) that the PDF
# template draws above its table, as an image. ``CHARTS`` maps a section key ("overview",
# "providers", "equity", "access", "practices") to a function that draws that section's figure
# dict ({"meta", "results"}, exactly as the API returns it) as SVG text or a data: URI, or
# returns None; ``pack_build`` calls it inside ``dashboard.charts.drawn_as`` its format.
# ``reports.figures.charts_register`` fills it with the dashboard's own presenters and charts
# (the funnel for "providers", deprivation intervals for "equity", response rates for
# "access"), so the pack shows the same charts as the pages, drawn from the same figures.
# The dashboard pages' figures follow the sections (``Pack.dashboard``, reports/figures.py).
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

    @property
    def image(self) -> str | None:
        """The chart as a data: URI for an <img> (each SVG kept apart from the others')."""
        from reports.figures import image_uri

        return image_uri(self.svg) if self.svg else None

    @property
    def widths(self) -> list[int]:
        """Each column's width in percent, for a fixed table layout (reports/tables.py)."""
        return column_widths(self.columns, self.rows)


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
    # The dashboard's overview and condition pages (reports/figures.py), and what they cover.
    dashboard: list[Any] = field(default_factory=list)
    dashboard_scope: str = ""
    # The same layout serves other reports made of sections (value/pdf.py): what it is called
    # in the page footer, the summary's heading, the note after "Figures as of", the page shape.
    kind: str = "board pack"
    summary_title: str = "What changed and what is flagged"
    asof_note: str = "Higher scores are better on every 0-100 outcome."
    landscape: bool = False


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
            f"at referral and at {timepoint_label(filters)}."
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
            f"Mean at {timepoint_label(filters)}",
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
            rows.append([name, "withheld", "", "", "", "", ""])
            continue
        rows.append(
            [
                name,
                number(row["n"]),
                with_ci(row, "mean_change"),
                percent(row["pct_improved"]),
                number(row.get("adjusted_change")),
                funnel_limits(row),
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
            "95% funnel limits",
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
        label = quintile_label(row["group"])
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
        reading = sii_sentence(sii)
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
                quintile_label(group),
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
        reading=access_sentence(ages, rates, filters),
        figure=figure,
        columns=[
            "Deprivation fifth (IMD 2025)",
            "People referred",
            "Mean age at referral (95% CI)",
            f"Invited at {timepoint_label(filters)}",
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


def pack_build(filters: PackFilters, *, chart_format: str = "png") -> Pack:
    with computed_once():  # a figure the pack shows twice (overview, condition) is computed once
        return _pack_build(filters, chart_format=chart_format)


def _pack_build(filters: PackFilters, *, chart_format: str) -> Pack:
    """Compute every figure of a pack and the sentences that read them; draw its charts as
    ``chart_format``: "png" at print resolution (WeasyPrint embeds it as it is) or "svg" (as
    the pages draw them; WeasyPrint draws each path in Python: bench/board_pack.py)."""
    from dashboard import charts
    from reports import figures as dashboard_part

    dashboard_part.charts_register(CHARTS)  # here, not at start-up: matplotlib loads on use
    definitions = catalogue()
    titles = {code: outcome.title for code, outcome in definitions.outcomes.items()}
    condition = definitions.conditions[filters.condition].title
    overview, previous = _overview(filters, titles)
    equity, access = _equity(filters)
    sections = [overview, _providers(filters), equity, access, _practices(filters)]
    for section in sections:
        chart = CHARTS.get(section.key)
        if chart is not None and section.svg is None:
            with charts.drawn_as(chart_format):
                section.svg = chart(section.figure)
    by_key = {section.key: section for section in sections}
    meta = by_key["providers"].figure["meta"]
    on_dashboard = dashboard_part.dashboard_filters(filters)
    groups = dashboard_part.dashboard_groups(on_dashboard, image_format=chart_format)
    summary = pack_summary(filters, by_key, previous)
    flags = dashboard_part.spc_flags(on_dashboard)
    if flags:  # beside the funnel flags, before the closing equity sentence
        summary[-1:-1] = flags
    scope = [s for s in (filters.provider, filters.practice) if s]
    subtitle = f"Follow-ups at {timepoint_label(filters)} submitted in {filters.describe()}"
    if scope:
        subtitle += f"; only {' and '.join(scope)}"
    return Pack(
        filters=filters,
        title=f"MSK Together board pack: {condition}",
        subtitle=subtitle,
        summary=summary,
        sections=sections,
        dashboard=groups,
        dashboard_scope=dashboard_part.scope_words(on_dashboard),
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
            "Flagged over time: an outcome whose XmR chart (Making Data Count) shows special "
            "cause variation, an improvement or a concern, by the rules on the dashboard's "
            "methods page.",
            *(
                f"{title}: {method}"
                for group in groups
                for title, method in group.methods.items()
                if method
            ),
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
