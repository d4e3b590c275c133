"""The dashboard in a board pack: the overview and condition pages' charts, readings and tables.

Every figure is ``dashboard.figures.figure_compute`` for the dashboard filters the pack maps to
(``dashboard_filters``), drawn by ``dashboard.presentation`` and ``dashboard.charts``: the dict
the page, its CSV and ``/api/v1/dashboard/<figure>/`` give, the SVG the page shows (from the
same cache, keyed by the data version), the page's reading, and its table cells formatted by
the page's own ``cell`` tag. So a number in this part of the PDF is the number on the page and
in the API for the same filters (tests/reports/test_consistency.py).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from analytics import summaries
from dashboard import presentation
from dashboard.cache import cached, chart_cached
from dashboard.figures import figure_compute
from dashboard.filters import Filters, period_words
from dashboard.layout import OVERVIEW, SELF_CARE, VALUE_AREAS
from dashboard.templatetags.dashboard import cell
from reports.tables import dashboard_table

# A chart over time keeps its latest periods in the PDF's table; every period is in the
# dashboard's CSV (the pack says so under the table).
TABLE_PERIODS = 12


@dataclass
class Chart:
    """One chart of a dashboard figure as the pack prints it."""

    figure: str
    key: str | None
    title: str
    reading: str
    image: str | None  # a data: URI of the page's chart, as PNG for print (or the page's SVG)
    description: str
    columns: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)
    widths: list[int] = field(default_factory=list)  # percent of the table, per column


@dataclass
class ChartGroup:
    title: str
    intro: str
    charts: list[Chart]
    methods: dict[str, str] = field(default_factory=dict)  # figure title -> its method


def dashboard_filters(pack_filters) -> Filters:
    """The dashboard filters that show what a pack covers: its condition, provider, practice
    and timepoint, and its months as the dashboard's period: one month stays a month
    (2026-11), a calendar quarter a quarter (2026Q3), any other window the range of its
    first and last months (2025-12..2026-11). So the pack's dashboard part covers the pack's
    own months, and the same link on the dashboard shows the same figures."""
    start, months = pack_filters.date_from, pack_filters.months
    if months == 1:
        period = f"{start:%Y-%m}"
    elif months == 3 and start.month % 3 == 1:
        period = f"{start.year}Q{(start.month + 2) // 3}"
    else:
        period = f"{start:%Y-%m}..{pack_filters.date_to:%Y-%m}"
    return Filters(
        condition=pack_filters.condition,
        provider=pack_filters.provider,
        practice=pack_filters.practice,
        period=period,
        timepoint=pack_filters.timepoint,
    )


def scope_words(filters: Filters) -> str:
    """What the pack's dashboard part covers, in words and as the dashboard's period filter:
    'December 2025 to November 2026 (period 2025-12..2026-11), as the dashboard ...'."""
    words = period_words(filters.period)
    if filters.period:
        words += f" (period {filters.period})"
    return f"{words}, as the dashboard shows them for the same filters"


def image_uri(chart: str) -> str:
    """A chart for an <img>: SVG text as a data: URI; a PNG is drawn as one already."""
    if chart.startswith("data:"):
        return chart
    return "data:image/svg+xml;base64," + base64.b64encode(chart.encode()).decode("ascii")


def _nothing_published(row: dict) -> bool:
    """A row whose every figure is empty or zero (its text cells are only labels)."""
    return all(value in (None, 0, False) for value in row.values() if not isinstance(value, str))


def _chart(name: str, part: presentation.Part, filters: Filters, image_format: str) -> Chart:
    rows, notes = part.rows, []
    if rows and all(row.get("suppressed") or _nothing_published(row) for row in rows):
        # Nothing to read in a table of "withheld" and "–": the sentence says so, the
        # dashboard's table and CSV have the rows.
        notes.append(f"None of the {len(rows)} rows has a figure to publish: too few patients.")
        rows = []
    if len(rows) > TABLE_PERIODS and all("period" in row for row in rows):
        notes.append(
            f"The latest {TABLE_PERIODS} of {len(rows)} periods; the dashboard's CSV has every one."
        )
        rows = rows[-TABLE_PERIODS:]
    table, table_notes = dashboard_table(part.columns, rows, cell)
    notes[:0] = table_notes
    drawn = None
    if part.has_chart:
        drawn = chart_cached(name, filters=filters, part=part, image_format=image_format)
    return Chart(
        figure=name,
        key=part.key,
        title=part.title,
        reading=part.reading,
        image=image_uri(drawn) if drawn else None,
        description=part.description or part.title,
        columns=table.columns,
        rows=table.rows,
        notes=notes,
        widths=table.widths,
    )


def _group(
    title: str,
    intro: str,
    names: tuple[str, ...],
    filters: Filters,
    *,
    only: dict[str, set] | None = None,
    shown: set[tuple[str, str | None]],
    image_format: str,
) -> ChartGroup:
    group = ChartGroup(title=title, intro=intro, charts=[])
    for name in names:
        try:
            answer = figure_compute(name, filters=filters)
        except summaries.QueryError as error:
            group.intro += f" {error}"
            continue
        method = answer["meta"].get("method") or ""
        if isinstance(method, dict):  # the analytics figures: their summary sentence
            method = method.get("summary") or ""
        group.methods[answer["meta"].get("title") or name] = method
        for part in presentation.figure_parts(name, answer):
            if only and name in only and part.key not in only[name]:
                continue
            if (name, part.key) in shown:  # printed once, under the first page that shows it
                group.intro += f" {part.title}: shown above."
                continue
            shown.add((name, part.key))
            group.charts.append(_chart(name, part, filters, image_format))
    return group


def dashboard_groups(filters: Filters, *, image_format: str = "png") -> list[ChartGroup]:
    """The overview page, then the condition page's five value areas, their charts drawn as
    ``image_format`` ("png" for print; "svg" as the pages draw them)."""
    shown: set[tuple[str, str | None]] = set()
    groups = [
        _group(
            "The triple aim at a glance",
            "People enrolled and answering, the equity gap, and each agreed outcome over time.",
            OVERVIEW,
            filters,
            shown=shown,
            image_format=image_format,
        )
    ]
    for area in VALUE_AREAS:
        title, names, intro = area.title, area.figures, area.intro
        groups.append(
            _group(
                title,
                intro,
                names,
                filters,
                only=SELF_CARE,
                shown=shown,
                image_format=image_format,
            )
        )
    return groups


def spc_flags(filters: Filters) -> list[str]:
    """Sentences for the summary: each outcome whose XmR chart shows special cause variation
    in its latest months (the icon the overview page shows beside the chart)."""
    try:
        answer = figure_compute("outcome_spc", filters=filters)
    except summaries.QueryError:
        return []
    lines = []
    for chart in answer["meta"].get("charts", {}).values():
        variation: str = chart.get("variation") or ""
        if variation.startswith(("improvement", "concern")):
            words = (chart.get("variation_text") or variation).lower()
            lines.append(f"Flagged: {chart['title']} by month on the dashboard: {words}.")
    return lines


def section_chart(name: str, key: str | None):
    """A ``reports.packs.CHARTS`` function: the dashboard's chart ``key`` of figure ``name``
    (its presenter and SVG), drawn from a pack section's own figure dict, which has the shape
    of that dashboard figure (``provider_funnel`` and ``equity`` are ``outcome_summary`` and
    ``outcome_equity`` as the API answers). Drawn in the format ``pack_build`` asks for
    (``charts.drawn_as``)."""
    from dashboard import charts

    def draw(figure: dict) -> str | None:
        for part in presentation.figure_parts(name, figure):
            if part.key == key and part.has_chart:
                meta = figure["meta"]
                identity = [meta.get("filters"), meta.get("measure")]
                prefix = f"pack-chart:{name}:{key}:{charts.image_format()}"
                return cached(prefix, identity, part.svg)
        return None

    return draw


def charts_register(charts: dict) -> None:
    """Give the pack's sections the dashboard's charts, where none is registered already
    (``pack_build`` calls this; a test may register its own first)."""
    charts.setdefault("providers", section_chart("provider_funnel", None))
    charts.setdefault("equity", section_chart("equity", "imd_quintile"))
    charts.setdefault("access", section_chart("equity", "response_rate"))
