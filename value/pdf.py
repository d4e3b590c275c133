"""The value report as a PDF: the board pack's layout (``reports.packs.Pack``, rendered by
``reports.services.board_pack_pdf`` with WeasyPrint) filled from the one value report dict.

Every figure is read from the dict ``value.analysis.value_report`` returns, the one the page, its
chart, the CSV and ``/api/v1/value/`` answer from, and formatted by the page's own filters
(``value.templatetags.humanize_value``), so the PDF prints the number the page shows and the API
gives (tests/value/test_pdf.py). No ORM reads here beyond the condition's title.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from outcomes.loading import catalogue
from reports.packs import Pack, PackFilters, Section
from value import reading
from value.charts import star_svg
from value.templatetags.humanize_value import num, percent, pounds

SOURCES = (
    "Devlin N, Shah K, Feng Y, Mulhern B, van Hout B. Valuing health-related quality of life: "
    "an EQ-5D-5L value set for England. Health Econ 2018;27:7-22, doi:10.1002/hec.3564.",
    "Rowen D et al. A United Kingdom value set for the EQ-5D-5L. Value Health 2026, "
    "doi:10.1016/j.jval.2026.03.008.",
    "van Hout B et al. Interim scoring for the EQ-5D-5L: mapping the EQ-5D-5L to EQ-5D-3L value "
    "sets. Value Health 2012;15:708-15, doi:10.1016/j.jval.2012.02.008.",
    "Hernández Alava M, Pudney S, Wailoo A. Estimating the relationship between EQ-5D-5L and "
    "EQ-5D-3L: results from a UK population study. PharmacoEconomics 2023;41:199-207, "
    "doi:10.1007/s40273-022-01218-7 (the NICE DSU mapping).",
    "Manca A, Hawkins N, Sculpher MJ. Estimating mean QALYs in trial-based cost-effectiveness "
    "analysis: the importance of controlling for baseline utility. Health Econ 2005;14:487-96.",
    "Airoldi M, Morton A, Smith JAE, Bevan G. STAR - people-powered prioritization. Med Decis "
    "Making 2014;34:965-75, doi:10.1177/0272989X14546776.",
    "Efron B, Tibshirani RJ. An introduction to the bootstrap. Chapman & Hall, 1993.",
    "NICE. NICE health technology evaluations: the manual (PMG36), 2022, §4.3.",
)


def _range(row: dict[str, Any], key: str, fmt) -> str:
    """'figure (lower to upper)' as the page prints it; the figure alone without an interval."""
    text = fmt(row.get(key))
    if row.get(f"{key}_lower") is None or row.get(f"{key}_upper") is None:
        return text
    return f"{text} ({fmt(row[f'{key}_lower'])} to {fmt(row[f'{key}_upper'])})"


def _benefit(value) -> str:
    return num(value, 4)


def _slope(value) -> str:
    return num(value, 1)


def _whole(value) -> str:
    return num(value, 0)


def _options(report: dict[str, Any]) -> Section:
    meta = report["meta"]
    threshold = meta["disclosure"]["min_patients_for_value"]
    rows = []
    for r in report["results"]:
        rank = "Comparison cohort" if r["comparator"] else (r["rank"] or "–")
        if r["suppressed"]:
            rows.append(
                [
                    rank,
                    r["option_label"],
                    _whole(r["patients_per_year"]),
                    f"withheld: fewer than {threshold} patients with QALYs",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ]
            )
            continue
        sensitivity = (
            f"{_benefit(r['benefit_per_patient_cf_high'])} to "
            f"{_benefit(r['benefit_per_patient_cf_low'])}"
            if r["benefit_per_patient_cf_low"] is not None
            else "–"
        )
        rows.append(
            [
                rank,
                r["option_label"],
                _whole(r["patients_per_year"]),
                r["with_qalys"] if r["with_qalys"] is not None else "–",
                _range(r, "cost_per_patient", pounds),
                _range(r, "benefit_per_patient", _benefit),
                sensitivity,
                pounds(r["total_cost"]),
                num(r["total_benefit"], 1),
                _range(r, "qalys_per_million", _slope),
                _range(r, "cost_per_qaly", pounds),
                percent(r["rank_holds"]),
            ]
        )
    return Section(
        key="options",
        title="STAR chart and options",
        reading=reading.chart_alt(report),
        figure={"meta": meta, "results": report["results"]},
        columns=[
            "Rank",
            "Option",
            "Patients a year",
            "With QALYs",
            "Cost per patient (95% interval)",
            "Benefit per patient, QALYs (95% interval)",
            "Benefit across the counterfactual's range",
            "Total cost a year",
            "QALYs a year",
            "QALYs per £1m (95% interval)",
            "£ per QALY (95% interval)",
            "Rank holds",
        ],
        rows=rows,
        notes=[
            f"Value set: {meta['value_set_title']}. Counterfactual: "
            f"{meta['counterfactual']['label']}. Referrals {meta['referred_from']} to "
            f"{meta['referred_to']}.",
            "Each triangle of the chart is an option: width the cost a year, height the QALYs "
            "it gains a year, slope the value for money; steepest first, the line is the "
            "cumulative benefit and the dashed line the budget.",
            "Episodes without QALYs (no baseline or no follow-up EQ-5D-5L): "
            + (
                ", ".join(
                    f"{reason} {n if n is not None else 'withheld'}"
                    for reason, n in meta["episodes_without_qalys"].items()
                )
                or "none"
            )
            + ". "
            + meta["missing_follow_ups"],
        ],
        svg=_inline(star_svg(report)),
    )


def _inline(svg: bytes) -> str:
    """The chart's ``<svg>`` element alone (no XML declaration or DOCTYPE inside HTML)."""
    text = svg.decode()
    return text[text.index("<svg") :]


def _equity(report: dict[str, Any]) -> Section:
    meta = report["meta"]
    rows = []
    for r in report["equity"]:
        fifth = {1: "1 (most deprived)", 5: "5 (least deprived)", None: "Not known"}.get(
            r["imd_quintile"], str(r["imd_quintile"])
        )
        if r["patients"] is None:
            rows.append([r["option_label"], fifth, "withheld", "", "", "", ""])
            continue
        if r["suppressed"]:
            rows.append(
                [
                    r["option_label"],
                    fifth,
                    r["patients"],
                    r["with_qalys"] if r["with_qalys"] is not None else "–",
                    "withheld: too few patients with QALYs",
                    "",
                    "",
                ]
            )
            continue
        rows.append(
            [
                r["option_label"],
                fifth,
                r["patients"],
                r["with_qalys"] if r["with_qalys"] is not None else "–",
                _range(r, "cost_per_patient", pounds),
                _range(r, "benefit_per_patient", _benefit),
                _range(r, "qalys_per_million", _slope),
            ]
        )
    shown = [r for r in report["equity"] if not r["suppressed"]]
    sentence = (
        f"{len(shown)} of {len(report['equity'])} option-and-fifth cells have enough patients "
        "with QALYs to show their value; the rest are withheld."
    )
    return Section(
        key="equity",
        title="Equity: who gains for the money, by deprivation fifth",
        reading=sentence,
        figure={"meta": meta, "results": report["equity"]},
        columns=[
            "Option",
            "Deprivation fifth (IMD 2025)",
            "Patients",
            "With QALYs",
            "Cost per patient (95% interval)",
            "Benefit per patient, QALYs (95% interval)",
            "QALYs per £1m (95% interval)",
        ],
        rows=rows,
        notes=[
            "Each fifth is resampled on its own (95% percentile bootstrap intervals); the "
            "baseline adjustment and any comparison cohort are fitted within the fifth."
        ],
    )


def _move(report: dict[str, Any], move: dict[str, Any]) -> Section:
    labels = {r["option"]: r["option_label"] for r in report["results"]}
    interval = (
        f"{num(move['qalys_change_lower'], 2)} to {num(move['qalys_change_upper'], 2)}"
        if move["qalys_change_lower"] is not None
        else "–"
    )
    return Section(
        key="reallocation",
        title="Moving money between options",
        reading=reading.move_reading(move, report),
        figure={"meta": report["meta"], "results": [move]},
        columns=["From", "To", "Pounds a year", "QALYs a year", "95% interval", "Move gains"],
        rows=[
            [
                labels[move["from"]],
                labels[move["to"]],
                pounds(move["amount"]),
                num(move["qalys_change"], 2),
                interval,
                percent(move["probability_gain"]),
            ]
        ],
        notes=[move["assumption"]],
    )


def _warnings(meta: dict[str, Any]) -> list[str]:
    lines = []
    if meta["warning"]:
        lines.append("Warning: " + meta["warning"])
    costs = meta["unit_costs"]
    if costs is None:
        lines.append("Warning: no unit costs are loaded, so every cost is £0.")
    elif costs["illustrative"]:
        lines.append(
            f"Warning: ILLUSTRATIVE unit costs ({costs['name']}, version {costs['version']}), "
            "made up for the demo. Do not use these figures for decisions."
        )
    return lines


def value_pack(
    report: dict[str, Any], *, move: dict[str, Any] | None = None, made_at: dt.datetime
) -> Pack:
    """The value report's figures and sentences laid out as a pack for ``board_pack_pdf``."""
    meta = report["meta"]
    condition = catalogue().conditions[meta["condition"]].title
    sections = [_options(report)]
    if move is not None:
        sections.append(_move(report, move))
    sections.append(_equity(report))
    costs = meta["unit_costs"]
    boot = meta["bootstrap"]
    methods = [
        f"Value set: {meta['value_set_title']} (stated on every figure). "
        + (meta.get("value_set_note") or ""),
        f"Counterfactual: {meta['counterfactual']['label']}. Observed change is not effect: "
        "each benefit is the QALY gain minus the gain expected without care.",
        meta["qalys"] + f"; horizon {meta['horizon_years']:.2f} years.",
        meta["comparisons"],
        "Unit costs: "
        + (
            f"{costs['name']} (version {costs['version']}, price year "
            f"{', '.join(str(y) for y in costs['price_years'])}; sources: "
            f"{'; '.join(costs['sources'])})."
            if costs
            else "none loaded."
        ),
        "Activity without a unit cost (counted at £0): "
        + (", ".join(f"{k} ({v})" for k, v in meta["uncosted_activity"].items()) or "none")
        + ".",
        (
            f"Uncertainty: {boot['replicates']:,} bootstrap replicates, seed {boot['seed']}, "
            f"{boot['method']}. Rank holds: the share of replicates in which the option keeps "
            "its rank by QALYs per £1m."
            if boot
            else "Uncertainty: no option has figures to resample."
        ),
        meta["assumption"],
        "Full method: docs/value.md in the proms repository.",
        "Sources: " + " ".join(SOURCES),
    ]
    disclosure = meta["disclosure"]
    return Pack(
        filters=PackFilters(
            condition=meta["condition"],
            date_from=dt.date.fromisoformat(meta["referred_from"]),
            date_to=dt.date.fromisoformat(meta["referred_to"]),
            timepoint=meta["timepoint"],
        ),
        title=f"MSK Together value for money: {condition}",
        subtitle=(
            f"Outcomes gained for the resources used, STAR: referrals {meta['referred_from']} "
            f"to {meta['referred_to']}, QALYs to {meta['timepoint']}"
        ),
        summary=_warnings(meta) + reading.report_reading(report),
        sections=sections,
        methods=methods,
        disclosure=[
            f"No value figure comes from fewer than {disclosure['min_patients_for_value']} "
            "patients with QALYs (the adjusted threshold): such an option, or option and fifth, "
            "is withheld and left off the chart.",
            f"Counts from 1 to {disclosure['min_cell'] - 1} are withheld and the rest rounded "
            f"to the nearest {disclosure['round_counts_to']}; in the equity table one more "
            "cell is withheld wherever a withheld one could be worked out by subtraction.",
            "The rule as the API publishes it: " + disclosure["rule"],
            "Aggregate figures only: this report holds no patient-level data.",
        ],
        made_at=made_at,
        kind="value report",
        summary_title="What this shows",
        asof_note="QALYs: higher is better; benefit is beyond the counterfactual.",
        landscape=True,
    )
