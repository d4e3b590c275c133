"""Providers (funnel plots) and GP practices (deciles over time, flags, opportunity)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import numpy as np
from django.utils import timezone

from analytics import summaries
from outcomes import statistics as st

from .. import cusum
from ..filters import Filters, period_of
from .base import data_as_of, envelope, rounded


def provider_funnel(*, filters: Filters) -> dict[str, Any]:
    """Case-mix adjusted change per provider with 95% and 99.8% funnel limits:
    ``analytics.summaries.outcome_summary`` grouped by provider (the API's numbers)."""
    answer = summaries.outcome_summary(filters.outcome_query(group_by="provider", provider=None))
    rows = answer["results"]
    if filters.provider:
        for row in rows:
            row["selected"] = row.get("provider") == filters.provider
    answer["meta"] = answer["meta"] | {
        "figure": "provider_funnel",
        "title": "Case-mix adjusted change by provider, with funnel limits",
        "as_of": data_as_of(),
    }
    return answer


# --- GP practices -------------------------------------------------------------------------------

# Practice measures: row key of analytics.summaries.practice_variation -> (label, higher is
# better: True/False, or None where neither direction is "good").
PRACTICE_MEASURES: dict[str, tuple[str, bool | None]] = {
    "enrolment_rate_per_1000": ("People enrolled per 1,000 registered patients", None),
    "mean_change": ("Mean gain from baseline (crude)", True),
    "adjusted_change": ("Case-mix adjusted gain", True),
}
DECILES = (10, 20, 30, 40, 50, 60, 70, 80, 90)


def practice_series(filters: Filters) -> dict[str, Any]:
    """Every practice by quarter (``practice_variation`` with series=quarter), computed once
    for the deciles, the flags and every practice page of the same filters."""
    query = filters.outcome_query(series="quarter", practice=None)
    from ..cache import cached

    return cached(
        "practice-series",
        [query.condition, query.measure.describe(), query.timepoint, query.provider, query.period],
        lambda: summaries.practice_variation(query),
    )


def _current_quarter() -> str:
    today = timezone.localdate()
    return f"{today.year}Q{(today.month - 1) // 3 + 1}"


def _complete_periods(rows: list[dict[str, Any]], filters: Filters) -> list[str]:
    """Quarters with data, without the quarter in progress: a part-quarter's rates are low
    for every practice and would read as a fall. For the same reason a period that covers a
    whole quarter (2025-12..2026-11 covers 2026Q1 to 2026Q3) leaves out the part quarters at
    its ends; a month, or months within one quarter, keep the one quarter they touch."""
    current = _current_quarter()
    periods = sorted({r.get("period") for r in rows if r.get("period") and r["period"] != current})
    span = period_of(filters.period)
    if span.start is None or span.end is None:
        return periods
    first = span.start.replace(month=(span.start.month - 1) // 3 * 3 + 1)
    if first < span.start:
        first = _quarter_end(first)
    if _quarter_end(first) > span.end:  # no whole quarter: nothing to leave out
        return periods
    return [p for p in periods if _quarter_within(p, span)]


def _quarter_end(start: dt.date) -> dt.date:
    """The first day after the quarter starting on ``start``."""
    month = start.year * 12 + start.month - 1 + 3
    return dt.date(month // 12, month % 12 + 1, 1)


def _quarter_within(label: str, span: summaries.Period) -> bool:
    year, quarter = int(label[:4]), int(label[5])
    start = dt.date(year, 3 * quarter - 2, 1)
    return span.start <= start and _quarter_end(start) <= span.end


def _by_measure_period(rows: list[dict[str, Any]]) -> dict[tuple[str, str], list[float]]:
    values: dict[tuple[str, str], list[float]] = defaultdict(list)
    for row in rows:
        for measure in PRACTICE_MEASURES:
            value = _published(row, measure)
            if value is not None:
                values[(measure, row.get("period"))].append(value)
    return values


def _published(row: dict[str, Any], measure: str) -> float | None:
    if measure == "enrolment_rate_per_1000":
        return None if row.get("suppressed") else row.get(measure)
    if row.get("outcome_suppressed") is not False:
        return None
    return row.get(measure)


def practice_deciles(*, filters: Filters) -> dict[str, Any]:
    """For each practice measure and quarter: the 10th to 90th percentiles across practices
    (OpenPrescribing's deciles chart) and, with a practice chosen, that practice's value."""
    series = practice_series(filters)
    rows = series["results"]
    values = _by_measure_period(rows)
    periods = _complete_periods(rows, filters)
    own = {
        (measure, row.get("period")): _published(row, measure)
        for row in rows
        if filters.practice and row["practice"] == filters.practice
        for measure in PRACTICE_MEASURES
    }
    results = []
    for measure, (label, _) in PRACTICE_MEASURES.items():
        for period in periods:
            published = values.get((measure, period), [])
            centiles = (
                np.percentile(published, DECILES).tolist() if len(published) >= 5 else [None] * 9
            )
            results.append(
                {
                    "measure": measure,
                    "measure_label": label,
                    "period": period,
                    "practices": len(published),
                    **{f"p{d}": rounded(c, 2) for d, c in zip(DECILES, centiles, strict=True)},
                    "practice": filters.practice,
                    "practice_value": own.get((measure, period)),
                }
            )
    return envelope(
        "practice_deciles",
        filters,
        results,
        title="Practice measures over time: deciles across practices",
        method=(
            "Each practice's published figure per quarter (enrolment per 1,000 registered, "
            "standardised by age and sex where the practice population is loaded; mean and "
            "case-mix adjusted gain from the outcome summary); the 10th, 20th ... 90th "
            "percentiles across practices (linear interpolation), drawn once five or more "
            "practices have a published figure. Withheld figures are left out, and so is the "
            "quarter in progress (and a part quarter at either end of a range of months)."
        ),
        measures={
            k: {"label": v[0], "higher_is_better": v[1]} for k, v in PRACTICE_MEASURES.items()
        },
        model=series["meta"].get("model"),
    )


def practice_flags(*, filters: Filters) -> dict[str, Any]:
    """Per practice and measure: the latest value and decile, persistently in the worst decile,
    changed recently (CUSUM on its percentile), and the opportunity at the median."""
    series = practice_series(filters)
    rows = series["results"]
    periods = _complete_periods(rows, filters)
    by_practice: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    names: dict[str, str] = {}
    list_sizes: dict[str, int | None] = {}
    for row in rows:
        by_practice[row["practice"]][row.get("period")] = row
        names[row["practice"]] = row["practice_name"]
        list_sizes[row["practice"]] = row.get("list_size")
    percentiles: dict[tuple[str, str], dict[str, float | None]] = {}
    deciles: dict[tuple[str, str], dict[str, int | None]] = {}
    medians: dict[str, float | None] = {}
    for measure in PRACTICE_MEASURES:
        for period in periods:
            codes = sorted(by_practice)
            values = [_published(by_practice[c].get(period, {}), measure) for c in codes]
            ranks = st.percent_rank(values)
            percentiles[(measure, period)] = {
                c: None if r is None else 100 * r for c, r in zip(codes, ranks, strict=True)
            }
            deciles[(measure, period)] = dict(zip(codes, st.deciles(values), strict=True))
        latest = periods[-1] if periods else None
        present = [
            v
            for v in (_published(by_practice[c].get(latest, {}), measure) for c in by_practice)
            if v is not None
        ]
        medians[measure] = float(np.median(present)) if len(present) >= 5 else None
    latest = periods[-1] if periods else None
    results = []
    for code in sorted(by_practice):
        if filters.practice and code != filters.practice:
            continue
        for measure, (label, higher_is_better) in PRACTICE_MEASURES.items():
            value = _published(by_practice[code].get(latest, {}), measure) if latest else None
            median = medians[measure]
            track = [percentiles[(measure, p)].get(code) for p in periods]
            change = cusum.cusum(track).changed
            worst = (
                cusum.persistently_worst(
                    [deciles[(measure, p)].get(code) for p in periods],
                    higher_is_better=higher_is_better,
                )
                if higher_is_better is not None
                else None
            )
            opportunity = None
            patients = None
            if value is not None and median is not None:
                below = value < median
                worse = below if higher_is_better is not False else not below
                opportunity = rounded(abs(median - value), 2) if worse else 0.0
                size = list_sizes.get(code)
                if measure == "enrolment_rate_per_1000" and size:
                    patients = round(max(0.0, median - value) * size / 1000)
            results.append(
                {
                    "practice": code,
                    "practice_name": names[code],
                    "measure": measure,
                    "measure_label": label,
                    "period": latest,
                    "value": value,
                    "decile": deciles.get((measure, latest), {}).get(code) if latest else None,
                    "median": rounded(median, 2),
                    "opportunity_at_median": opportunity,
                    "patients_at_median": patients,
                    "persistently_worst_decile": worst,
                    "changed_recently": change,
                }
            )
    return envelope(
        "practice_flags",
        filters,
        results,
        title="GP practices: latest position, persistent and recent change",
        method=(
            "Latest complete quarter's published value and decile (1 = lowest tenth). "
            "Persistently in "
            f"the worst decile: in the worst tenth in at least {cusum.PERSISTENT} of the last "
            f"{cusum.PERSISTENT_OF} quarters (only for measures where higher is better). "
            "Changed recently: a two-sided CUSUM on the practice's percentile each quarter "
            f"(reference: mean and SD of its first {cusum.BASELINE} quarters, SD at least "
            f"{cusum.MIN_SIGMA:g} points; k = {cusum.K}, h = {cusum.H:g}) crossed h in one of "
            f"the last {cusum.RECENT} quarters. Opportunity: how far the practice is from "
            "the median of practices on the worse side (for enrolment, also the patients who "
            "would be enrolled at the median rate)."
        ),
        measures={
            k: {"label": v[0], "higher_is_better": v[1]} for k, v in PRACTICE_MEASURES.items()
        },
    )
