"""From a figure's dict to what a reader sees: its charts ("parts"), a one-sentence reading
above each, the table beside it. Pure: takes the figure dict, never queries.

Public interface (pages and board pack):

- ``figure_parts(name, answer) -> list[Part]``: the charts of a figure (a figure with no
  chart gives one part with ``has_chart=False``: a table only);
- ``Part.svg() -> str`` draws the chart (charts.py), ``Part.reading`` is the sentence,
  ``Part.rows`` and ``Part.columns`` the table (the rows the chart shows);
- ``column_label(key) -> str`` for any row key (unknown keys get a readable label, so new
  fields of a figure flow through to tables and CSVs without code here).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from . import charts, spc

COLUMN_LABELS = {
    "n": "Patients (n)",
    "period": "Period",
    "mean_change": "Mean change",
    "mean_change_lower": "Change: lower 95%",
    "mean_change_upper": "Change: upper 95%",
    "mean_baseline": "Mean baseline",
    "mean_follow_up": "Mean follow-up",
    "suppressed": "Withheld",
    "process_mean": "Process mean",
    "lower_process_limit": "Lower process limit",
    "upper_process_limit": "Upper process limit",
    "special_cause": "Special cause rule",
    "signal": "Signal",
    "imd_quintile": "IMD quintile (1 = most deprived)",
    "adjusted_change": "Adjusted change",
    "funnel_position": "Funnel position",
    "n_modelled": "Modelled patients",
    "provider": "Provider (ODS)",
    "provider_name": "Provider",
    "practice": "Practice (ODS)",
    "practice_name": "Practice",
    "response_rate_pct": "Response rate %",
    "no_contact_pct": "No contact %",
    "lost_pct": "Lost to follow-up %",
    "complete_pct": "Complete %",
    "median_days": "Median days",
    "p25_days": "25th percentile",
    "p75_days": "75th percentile",
    "p90_days": "90th percentile",
}
HIDDEN = {"outcome_title", "condition", "dimension", "measure", "item", "table"}


def column_label(key: str) -> str:
    if key in COLUMN_LABELS:
        return COLUMN_LABELS[key]
    text = key.replace("_", " ").replace(" pct", " %").replace("per 1000", "per 1,000")
    return text[:1].upper() + text[1:]


def columns_of(rows: list[dict[str, Any]], hide: set[str] = HIDDEN) -> list[tuple[str, str]]:
    keys: dict[str, None] = {}
    for row in rows:
        for key in row:
            if not key.startswith("_") and key not in hide:
                keys.setdefault(key)
    return [(key, column_label(key)) for key in keys]


@dataclass
class Part:
    figure: str
    key: str | None
    title: str
    reading: str
    rows: list[dict[str, Any]]
    draw: Callable[[], str] | None = None
    description: str = ""
    columns: list[tuple[str, str]] = field(default_factory=list)
    icons: dict[str, Any] = field(default_factory=dict)

    @property
    def has_chart(self) -> bool:
        return self.draw is not None

    def svg(self) -> str:
        if self.draw is None:
            raise LookupError(f"{self.figure} has no chart")
        return self.draw()

    def __post_init__(self):
        if not self.columns:
            self.columns = columns_of(self.rows)

    def table_body(self) -> SafeString:
        """The table's rows as HTML, each value as ``cell_text`` words it: built here in one
        pass rather than by a template tag per cell (the overview's tables hold about 1,700
        cells, which took the template 40 ms of a 57 ms page)."""
        keys = [key for key, _ in self.columns]
        withheld = ' class="dash-row--withheld"'
        return mark_safe(  # noqa: S308 (every value escaped here)
            "".join(
                f"<tr{withheld if row.get('suppressed') else ''}>"
                + "".join(f"<td>{escape(cell_text(row, key))}</td>" for key in keys)
                + "</tr>"
                for row in self.rows
            )
        )


def cell_text(row: dict[str, Any], key: str) -> str:
    """A table cell in words: a withheld value says so, a boolean reads Yes or No, numbers
    with thousands separators and without trailing zeros."""
    value = row.get(key)
    if value is None:
        return "withheld" if row.get("suppressed") and key != "suppressed" else "–"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return (
            f"{value:,.3f}".rstrip("0").rstrip(".")
            if abs(value) < 1
            else f"{value:,.2f}".rstrip("0").rstrip(".")
        )
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


VARIATION_READING = {
    "common-cause": "only common cause variation (no sign of change)",
    "improvement-high": "special cause variation: an improvement",
    "improvement-low": "special cause variation: an improvement",
    "concern-high": "special cause variation: a concern",
    "concern-low": "special cause variation: a concern",
    "neutral-high": "special cause variation: higher",
    "neutral-low": "special cause variation: lower",
}
ASSURANCE_READING = {
    "pass": "it will consistently reach the reference gain of {target:g} points",
    "fail": "it will consistently fall short of the reference gain of {target:g} points",
    "hit-and-miss": "it will sometimes reach the reference gain of {target:g} points and "
    "sometimes not",
}


FUNNEL_TEXT = {
    "below_99.8": "below the 99.8% limit",
    "below_95": "below the 95% limit",
    "above_95": "above the 95% limit",
    "above_99.8": "above the 99.8% limit",
}
DECILE_AXIS = {
    "enrolment_rate_per_1000": "Per 1,000 registered",
    "mean_change": "Mean gain (points)",
    "adjusted_change": "Adjusted gain (points)",
}


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "withheld"
    return f"{value:g}{unit}" if isinstance(value, float) else f"{value}{unit}"


# --- per figure --------------------------------------------------------------------------------


def _outcome_spc(answer: dict[str, Any]) -> list[Part]:
    meta = answer["meta"]
    parts = []
    for code, chart in meta.get("charts", {}).items():
        rows = [r for r in answer["results"] if r["outcome"] == code]
        published = [r for r in rows if r["mean_change"] is not None]
        title = f"{chart['title']}: mean change from baseline, by month"
        if not published:
            reading = f"{chart['title']}: no month has enough patients to publish yet."
        else:
            last = published[-1]
            reading = (
                f"{chart['title']}: the mean gain was {_fmt(last['mean_change'])} points in "
                f"{last['period']}; "
            )
            if chart["variation"]:
                reading += VARIATION_READING[chart["variation"]]
                if chart["assurance"]:
                    reading += "; " + ASSURANCE_READING[chart["assurance"]].format(
                        target=chart["target"]
                    )
                reading += "."
            else:
                reading += (
                    f"limits are drawn once {spc.MINIMUM_POINTS} months are published "
                    f"({chart['points']} so far)."
                )
        points = [
            {
                "period": r["period"],
                "value": r["mean_change"],
                "mean": r["process_mean"],
                "lower": r["lower_process_limit"],
                "upper": r["upper_process_limit"],
                "signal": r["signal"],
            }
            for r in published
        ]
        description = (
            f"XmR chart of {len(points)} monthly points. "
            + (
                f"Mean {chart['mean']}, process limits {chart['lower']} to {chart['upper']}. "
                if chart["mean"] is not None
                else ""
            )
            + "Special-cause points are marked with triangles (improvement) or squares "
            "(concern). " + reading
        )
        parts.append(
            Part(
                figure="outcome_spc",
                key=code,
                title=title,
                reading=reading,
                rows=rows,
                description=description,
                icons={
                    "variation": chart["variation"],
                    "variation_text": chart["variation_text"],
                    "assurance": chart["assurance"],
                    "assurance_text": chart["assurance_text"],
                },
                draw=None
                if not points
                else lambda points=points, title=title, description=description, chart=chart: (
                    charts.xmr_svg(
                        points,
                        title=title,
                        description=description,
                        y_label="Mean change (points, 0-100)",
                        target=chart["target"],
                    )
                ),
            )
        )
    return parts


def _intervals_part(
    figure: str,
    key: str | None,
    title: str,
    rows: list[dict[str, Any]],
    *,
    label: Callable[[dict], str],
    value: str,
    lower: str | None,
    upper: str | None,
    x_label: str,
    reading: str,
    unit: str = "",
) -> Part:
    items = [
        {
            "label": label(r),
            "value": r.get(value),
            "lower": r.get(lower) if lower else None,
            "upper": r.get(upper) if upper else None,
        }
        for r in rows
    ]
    description = (
        reading + " " + "; ".join(f"{i['label']}: {_fmt(i['value'], unit)}" for i in items)
    )
    return Part(
        figure=figure,
        key=key,
        title=title,
        reading=reading,
        rows=rows,
        description=description,
        draw=None
        if all(i["value"] is None for i in items)
        else lambda: charts.intervals_svg(
            items, title=title, description=description, x_label=x_label
        ),
    )


def _extreme(rows, value: str, label: Callable[[dict], str], unit: str = "") -> str:
    present = [r for r in rows if r.get(value) is not None]
    if len(present) < 2:
        return "Too few groups are published to compare."
    low = min(present, key=lambda r: r[value])
    high = max(present, key=lambda r: r[value])
    return (
        f"Highest in {label(high)} ({_fmt(high[value], unit)}), lowest in {label(low)} "
        f"({_fmt(low[value], unit)})."
    )


def _quintile_label(row: dict) -> str:
    group = row.get("imd_quintile") or row.get("group")
    return {"1": "Q1 (most deprived)", "5": "Q5 (least deprived)", "unknown": "area unknown"}.get(
        str(group), f"Q{group}"
    )


def _baseline(answer):
    rows = answer["results"]
    return [
        _intervals_part(
            "baseline_by_deprivation", "baseline",
            "Baseline score at referral, by deprivation fifth", rows,
            label=_quintile_label, value="mean_baseline", lower="mean_baseline_lower",
            upper="mean_baseline_upper", x_label="Mean baseline score (higher is better)",
            reading="Baseline score: " + _extreme(rows, "mean_baseline", _quintile_label),
        ),
        _intervals_part(
            "baseline_by_deprivation", "age", "Age at referral, by deprivation fifth", rows,
            label=_quintile_label, value="mean_age", lower="mean_age_lower",
            upper="mean_age_upper", x_label="Mean age at referral (years)",
            reading="Age at referral: " + _extreme(rows, "mean_age", _quintile_label, " years"),
        ),
    ]  # fmt: skip


def _waits(answer):
    rows = answer["results"]
    quarters = [r for r in rows if r["dimension"] == "quarter"]
    quintiles = [r for r in rows if r["dimension"] == "imd_quintile"]
    published = [r for r in quarters if r["median_days"] is not None]
    reading = (
        f"In {published[-1]['group']} the median wait from referral to first assessment was "
        f"{_fmt(published[-1]['median_days'])} days."
        if published
        else "No quarter has enough assessed patients to publish yet."
    )
    periods = [r["group"] for r in quarters]
    title = "Days from referral to first assessment, by quarter of referral"
    description = reading + " Median line with the quartiles shaded."
    return [
        Part(
            figure="referral_to_assessment", key="quarter", title=title, reading=reading,
            rows=quarters, description=description,
            draw=lambda: charts.trend_svg(
                periods, [r["median_days"] for r in quarters],
                lower=[r["p25_days"] for r in quarters], upper=[r["p75_days"] for r in quarters],
                title=title, description=description, y_label="Days",
            ),
        ),
        _intervals_part(
            "referral_to_assessment", "imd_quintile",
            "Median days from referral to first assessment, by deprivation fifth", quintiles,
            label=_quintile_label, value="median_days", lower="p25_days", upper="p75_days",
            x_label="Days (median, bar: quartiles)",
            reading="Median wait: " + _extreme(quintiles, "median_days", _quintile_label, " days"),
        ),
    ]  # fmt: skip


def _procedures(answer):
    rows = [r for r in answer["results"] if r["dimension"] == "imd_quintile"]
    practices = [r for r in answer["results"] if r["dimension"] == "practice"]
    label = lambda r: _quintile_label({"group": r["group"]})  # noqa: E731
    chart = _intervals_part(
        "procedure_rates", "imd_quintile",
        "Procedures per 1,000 referred (standardised), by deprivation fifth", rows,
        label=label, value="standardised_rate_per_1000", lower="rate_lower", upper="rate_upper",
        x_label="Procedures per 1,000 referred (age/sex standardised)",
        reading="Procedure rate: " + _extreme(rows, "standardised_rate_per_1000", label),
    )  # fmt: skip
    table = Part(
        figure="procedure_rates",
        key="practice",
        title="Procedures per 1,000 referred, by GP practice",
        reading=_extreme(practices, "standardised_rate_per_1000", lambda r: r["group_name"]),
        rows=practices,
    )
    return [chart, table]


def _gain_by_procedure(answer):
    rows = answer["results"]
    return [
        _intervals_part(
            "gain_by_procedure", None, "Mean change with and without a procedure", rows,
            label=lambda r: r["group"].capitalize(), value="mean_change",
            lower="mean_change_lower", upper="mean_change_upper", x_label="Mean change",
            reading=_extreme(rows, "mean_change", lambda r: "people " + r["group"]),
        )
    ]  # fmt: skip


FUNNEL_POSITIONS = {
    "above_99.8": "above the 99.8% limit",
    "above_95": "above the 95% limit",
    "below_95": "below the 95% limit",
    "below_99.8": "below the 99.8% limit",
}


def _equity(answer):
    results = answer["results"]
    parts = []
    for dimension, title in (
        ("imd_quintile", "Mean change by deprivation fifth"),
        ("age_band", "Mean change by age band"),
        ("sex", "Mean change by sex"),
    ):
        rows = [r for r in results if r.get("table") == "outcomes" and r["dimension"] == dimension]
        label = _quintile_label if dimension == "imd_quintile" else (lambda r: str(r["group"]))
        reading = _extreme(rows, "mean_change", label)
        if dimension == "imd_quintile":
            sii = next((r for r in results if r.get("table") == "slope_index_of_inequality"), {})
            if sii.get("sii") is not None:
                reading += (
                    f" Slope index of inequality {sii['sii']:g} "
                    f"(95% CI {sii['sii_lower']:g} to {sii['sii_upper']:g})."
                )
        parts.append(
            _intervals_part(
                "equity", dimension, title, rows, label=label, value="mean_change",
                lower="mean_change_lower", upper="mean_change_upper", x_label="Mean change",
                reading=reading,
            )
        )  # fmt: skip
    rates = [
        r
        for r in results
        if r.get("table") == "response_rate"
        and r["dimension"] == "imd_quintile"
        and r.get("timepoint") == answer["meta"]["filters"]["timepoint"]
    ]
    parts.append(
        _intervals_part(
            "equity", "response_rate", "Follow-up response rate by deprivation fifth", rates,
            label=_quintile_label, value="response_rate_pct", lower="response_rate_lower",
            upper="response_rate_upper", x_label="Response rate (%)",
            reading="Response rate: " + _extreme(rates, "response_rate_pct", _quintile_label, "%"),
        )
    )  # fmt: skip
    others = [
        r for r in results if r.get("table") in ("slope_index_of_inequality", "age_at_enrolment")
    ]
    parts.append(
        Part(
            figure="equity",
            key="tables",
            title="Slope index of inequality and age at referral",
            reading="The slope index compares the gain across all five deprivation fifths.",
            rows=others,
        )
    )
    return parts


def _funnel(answer):
    rows = answer["results"]
    model = answer["meta"].get("model") or {}
    published = [r for r in rows if r.get("adjusted_change") is not None]
    flagged = [r for r in published if r.get("outside_95")]
    if not published:
        reading = "No provider has enough modelled patients for an adjusted figure yet."
    elif not flagged:
        reading = (
            f"All {len(published)} providers with an adjusted figure lie within the 95% limits: "
            "their differences are what chance alone would give."
        )
    else:
        names = ", ".join(
            f"{r['provider_name']} ({FUNNEL_POSITIONS.get(r['funnel_position'], 'outside')})"
            for r in flagged
        )
        reading = f"{len(flagged)} of {len(published)} providers lie outside the limits: {names}."
    # Whether chance, over-dispersion or a real difference: the estimate published with the flags.
    overdispersion = (answer["meta"].get("overdispersion") or {}).get("all") or {}
    note = (overdispersion.get("adjusted_change") or {}).get("note")
    if published and note:
        reading += " " + note
    measure = answer["meta"]["measure"]["label"]
    title = f"Case-mix adjusted change by provider: {measure}"
    description = reading + " Funnel plot: x patients modelled, y adjusted change."
    units = [
        {
            "label": r.get("provider"),
            "n": r.get("n_modelled"),
            "value": r.get("adjusted_change"),
            "position": r.get("funnel_position"),
            "limits": (
                r.get("funnel_lower_998"),
                r.get("funnel_lower_95"),
                r.get("funnel_upper_95"),
                r.get("funnel_upper_998"),
            ),
        }
        for r in rows
    ]
    target, sd = _funnel_curve(published, model)
    return [
        Part(
            figure="provider_funnel",
            key=None,
            title=title,
            reading=reading,
            rows=rows,
            description=description,
            draw=None
            if not published
            else lambda: charts.funnel_svg(
                units,
                title=title,
                description=description,
                x_label="Patients modelled",
                y_label="Adjusted change",
                target=target,
                sd=sd,
            ),
        )
    ]


def _funnel_curve(rows, model) -> tuple[float | None, float | None]:
    """The target and SD of the funnel curves, implied by the rows' own published limits
    (half-width at 95% = 1.96·SD/√n). When the rows' limits do not follow one such curve (e.g.
    limits widened for over-dispersion), no curve is drawn and each unit's own limits are
    shown beside it instead, so the chart never disagrees with its table."""
    implied = []
    for row in rows:
        n, target, upper = (
            row.get("n_modelled"),
            row.get("funnel_target"),
            row.get("funnel_upper_95"),
        )
        if n and target is not None and upper is not None:
            implied.append((target, (upper - target) * n**0.5 / 1.96))
    if not implied:
        return model.get("national_mean_change"), model.get("residual_sd")
    target = implied[0][0]
    sds = [sd for _, sd in implied]
    # Limits are published to the measure's decimals: allow for that rounding.
    if max(sds) - min(sds) <= 0.05 * max(abs(max(sds)), 1e-9) + 0.2:
        return target, model.get("residual_sd") or sum(sds) / len(sds)
    return target, None


def _deciles(answer):
    rows = answer["results"]
    parts = []
    for measure, info in answer["meta"]["measures"].items():
        series = [r for r in rows if r["measure"] == measure]
        periods = [r["period"] for r in series]
        deciles = {d: [r[f"p{d}"] for r in series] for d in (10, 20, 30, 40, 50, 60, 70, 80, 90)}
        own_code = series[0]["practice"] if series else None
        own = [r["practice_value"] for r in series] if own_code else None
        published = [r for r in series if r["p50"] is not None]
        title = f"{info['label']}: deciles across practices, by quarter"
        if not published:
            reading = f"{info['label']}: too few practices have published figures yet."
        else:
            last = published[-1]
            reading = (
                f"{info['label']}: the median practice was {_fmt(last['p50'])} in {last['period']}"
            )
            if own_code and last.get("practice_value") is not None:
                reading += f"; {own_code} was {_fmt(last['practice_value'])}"
            reading += "."
        description = (
            reading + " Dotted lines: deciles; dashed: median; solid with dots: the practice."
        )
        parts.append(
            Part(
                figure="practice_deciles",
                key=measure,
                title=title,
                reading=reading,
                rows=series,
                description=description,
                draw=None
                if not published
                else partial(
                    charts.deciles_svg,
                    periods,
                    deciles,
                    own=own,
                    own_label=own_code,
                    title=title,
                    description=description,
                    y_label=DECILE_AXIS.get(measure, "Value"),
                ),
            )
        )
    return parts


def _flags(answer):
    rows = answer["results"]
    worst = {r["practice"] for r in rows if r.get("persistently_worst_decile")}
    changed = {r["practice"] for r in rows if r.get("changed_recently")}
    reading = (
        f"{len(worst)} practice(s) sit persistently in the worst decile and {len(changed)} "
        "changed recently."
    )
    return [
        Part(
            figure="practice_flags",
            key=None,
            title="Practices persistently in the worst decile or changed recently",
            reading=reading,
            rows=rows,
        )
    ]


def _rate_parts(figure, answer, *, value, lower, upper, title, x_label, by="dimension"):
    rows = answer["results"]
    groups = sorted({r.get(by) for r in rows}, key=str) if by else [None]
    parts = []
    for group in groups:
        members = [r for r in rows if not by or r.get(by) == group]
        label = (
            _quintile_label
            if group == "imd_quintile" or not by
            else (lambda r: r.get("group_name") or r.get("label") or str(r.get("group")))
        )
        if figure in ("data_completeness", "event_intervals"):
            label = lambda r: r.get("label") or str(r.get("group"))  # noqa: E731
        part_title = title + (
            {"provider": " by provider", "imd_quintile": " by deprivation fifth"}.get(group, "")
        )
        parts.append(
            _intervals_part(
                figure, group, part_title, members, label=label, value=value, lower=lower,
                upper=upper, x_label=x_label,
                reading=_extreme(members, value, label, "%" if value.endswith("pct") else ""),
            )
        )  # fmt: skip
    return parts


def _activity(answer):
    rows = answer["results"]
    total = sum(r["enrolled"] or 0 for r in rows)
    return [
        Part(
            figure="condition_activity",
            key=None,
            title="People enrolled, questionnaires answered and response rate",
            reading=f"{total:,} people were enrolled across the three conditions.",
            rows=rows,
        )
    ]


def _gap(answer):
    rows = answer["results"]
    gaps = [r for r in rows if r["gap"] is not None]
    reading = (
        "; ".join(f"{r['condition_title']}: {r['gap']:+g} points" for r in gaps)
        if gaps
        else "Too few patients in the most or least deprived fifth to publish the gap yet."
    )
    return [
        Part(
            figure="equity_gap",
            key=None,
            title="The equity gap: least minus most deprived fifth",
            reading="Gap in gain (least minus most deprived fifth): " + reading + ".",
            rows=rows,
        )
    ]


PRESENTERS: dict[str, Callable[[dict[str, Any]], list[Part]]] = {
    "condition_activity": _activity,
    "outcome_spc": _outcome_spc,
    "equity_gap": _gap,
    "baseline_by_deprivation": _baseline,
    "referral_to_assessment": _waits,
    "procedure_rates": _procedures,
    "gain_by_procedure": _gain_by_procedure,
    "equity": _equity,
    "provider_funnel": _funnel,
    "practice_deciles": _deciles,
    "practice_flags": _flags,
    "event_intervals": lambda a: _rate_parts(
        "event_intervals", a, value="median_days", lower="p25_days", upper="p75_days",
        title="Days between recorded events", x_label="Days (median, bar: quartiles)", by=None,
    ),
    "no_contact": lambda a: _rate_parts(
        "no_contact", a, value="no_contact_pct", lower="no_contact_lower",
        upper="no_contact_upper",
        title=f"Open episodes with no contact for {a['meta'].get('weeks')} weeks",
        x_label="% of open episodes",
    ),
    "loss_to_follow_up": lambda a: _rate_parts(
        "loss_to_follow_up", a, value="lost_pct", lower="lost_lower", upper="lost_upper",
        title="Lost to follow-up", x_label="% not answering the follow-up", by=None,
    ),
    "data_completeness": lambda a: _rate_parts(
        "data_completeness", a, value="complete_pct", lower="complete_lower",
        upper="complete_upper", title="Completeness", x_label="% complete", by=None,
    ),
}  # fmt: skip


def figure_parts(name: str, answer: dict[str, Any]) -> list[Part]:
    return PRESENTERS[name](answer)


def figure_part(name: str, answer: dict[str, Any], key: str | None) -> Part:
    for part in figure_parts(name, answer):
        if (part.key or "") == (key or ""):
            return part
    raise LookupError(f"No chart '{key}' in {name}")
