"""The value report: episodes, costs and EQ-5D-5L results read once, turned into per-option
figures by ``value.economics``, then put through disclosure control.

One function, :func:`value_report`, answers the API, the staff page, its chart and its CSV, so
the same number appears everywhere. Rows carry no identifier: options are services (provider
ODS codes) or procedure types, and deprivation fifths.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max

from analytics import disclosure
from surveys.models import EpisodeEvent
from value import crosswalk, uncertainty
from value import economics as econ
from value.models import ActivityRecord, Budget, UnitCost, UnitCostSchedule
from value.selectors import (
    OPTION_GROUPINGS,
    ValueQuery,
    ValueQueryError,
    episode_records,
    value_sets,
)
from value.services import budget_for

CONSTANT_RETURNS = (
    "Constant returns: each extra (or fewer) pound buys the same QALYs as the option's average "
    "pound today. True only for modest moves; a service at capacity, or one that would treat "
    "different patients if it grew, will not scale this way."
)


# --- the report --------------------------------------------------------------------------------


def _count(n: int | None) -> int | None:
    """A published count: withheld (None) from 1 to min_cell − 1, else rounded."""
    if n is None or 0 < n < disclosure.min_cell():
        return None
    return disclosure.round_count(n)


def _interval(bounds, key: str) -> dict[str, float | None]:
    low, high = bounds if bounds else (None, None)
    return {f"{key}_lower": low, f"{key}_upper": high}


def value_report(query: ValueQuery) -> dict[str, Any]:
    """``{"meta", "results", "star", "equity", "reallocation_inputs"}`` for one condition."""
    if query.option_by not in OPTION_GROUPINGS:
        raise ValueQueryError(f"option_by: one of {', '.join(OPTION_GROUPINGS)}.")
    loaded = episode_records(query)
    horizon = loaded.horizon_days / econ.DAYS_PER_YEAR
    years = ((loaded.referred_to - loaded.referred_from).days + 1) / econ.DAYS_PER_YEAR
    threshold = disclosure.min_adjusted()
    if query.counterfactual.kind == "cohort" and query.counterfactual.cohort not in loaded.labels:
        raise ValueQueryError(
            "cohort: the comparison cohort must be one of this condition's options: "
            + ", ".join(sorted(loaded.labels))
        )
    estimates = econ.option_estimates(
        loaded.records,
        horizon=horizon,
        counterfactual=query.counterfactual,
        adjust=query.adjust,
        years=years,
        min_patients=threshold,
    )
    usable = [r for r in loaded.records if estimates[r.option].benefit_per_patient is not None]
    boot = (
        uncertainty.bootstrap(
            usable,
            horizon=horizon,
            counterfactual=query.counterfactual,
            adjust=query.adjust,
            years=years,
            min_patients=threshold,
            replicates=query.replicates,
            seed=query.seed,
        )
        if usable
        else None
    )
    sensitivity = _sensitivity(query, loaded.records, horizon, years, threshold)
    ranks = uncertainty.ranks(estimates, query.counterfactual)

    rows = []
    for option, e in estimates.items():
        shown = e.benefit_per_patient is not None
        comparator = option == query.counterfactual.cohort
        patients = _count(e.patients)
        per_year = None if patients is None else patients / years
        intervals = boot.intervals.get(option, {}) if boot and shown else {}
        row = {
            "option": option,
            "option_label": loaded.labels[option],
            "patients": patients,
            "patients_per_year": per_year,
            "with_qalys": _count(e.complete),
            "without_qalys": _count(e.patients - e.complete),
            "interpolated": _count(e.interpolated),
            # A cost per patient is a value figure too: only beside a published benefit.
            "cost_per_patient": e.cost_per_patient if shown and patients is not None else None,
            **_interval(intervals.get("cost_per_patient"), "cost_per_patient"),
            "qaly_gain_per_patient": e.gain_per_patient,
            "counterfactual_per_patient": e.counterfactual_per_patient,
            "benefit_per_patient": e.benefit_per_patient,
            **_interval(intervals.get("benefit_per_patient"), "benefit_per_patient"),
            "total_cost": None,
            "total_benefit": None,
            "qalys_per_million": e.qalys_per_million,
            **_interval(intervals.get("qalys_per_million"), "qalys_per_million"),
            "cost_per_qaly": e.cost_per_qaly,
            **_interval(intervals.get("cost_per_qaly"), "cost_per_qaly"),
            "rank": ranks.get(option) if shown else None,
            "rank_holds": boot.rank_holds.get(option) if boot and shown else None,
            "benefit_per_patient_cf_low": sensitivity.get("low", {}).get(option),
            "benefit_per_patient_cf_high": sensitivity.get("high", {}).get(option),
            "comparator": comparator,
            "suppressed": not shown,
        }
        if shown and per_year is not None:
            row["total_cost"] = per_year * e.cost_per_patient
            row["total_benefit"] = per_year * e.benefit_per_patient
        rows.append(row)
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["option"]))

    budget = (
        budget_for(year=query.budget_year, condition=query.condition) if query.budget_year else None
    )
    curve = econ.star_curve(
        {
            r["option"]: (r["total_cost"], r["total_benefit"])
            for r in rows
            if not r["suppressed"] and not r["comparator"]
        },
        budget=float(budget) if budget is not None else None,
    )
    missing: dict[str, int] = defaultdict(int)
    for e in estimates.values():
        for reason, n in e.missing.items():
            missing[reason] += n
    meta = {
        "condition": query.condition,
        "option_by": query.option_by,
        "timepoint": query.timepoint,
        "horizon_years": round(horizon, 4),
        "referred_from": loaded.referred_from.isoformat(),
        "referred_to": loaded.referred_to.isoformat(),
        "value_set": query.value_set,
        "value_set_title": value_sets()[query.value_set],
        "value_set_note": crosswalk.NOTES.get(query.value_set),
        "qalys": (
            "Area under the EQ-5D-5L utility curve from baseline to the horizon (trapezium "
            "rule), gain above the patient's own baseline"
            + ("; baseline-adjusted (Manca et al. 2005)" if query.adjust else "; unadjusted")
        ),
        "baseline_adjusted": query.adjust,
        "counterfactual": _counterfactual_meta(query.counterfactual),
        "warning": query.counterfactual.warning,
        "unit_costs": _schedule_meta(loaded.schedule),
        "uncosted_activity": dict(sorted(loaded.uncosted.items())),
        "budget_year": query.budget_year,
        "budget": float(budget) if budget is not None else None,
        "benefit_within_budget": curve.benefit_within_budget,
        "episodes_without_qalys": {k: _count(v) for k, v in sorted(missing.items())},
        "missing_follow_ups": (
            "Episodes without a baseline or without the horizon follow-up have no QALYs and "
            "are left out of benefit (complete-case); their costs still count. A missing "
            "timepoint between the two is bridged by a straight line."
        ),
        "bootstrap": (
            {
                "replicates": boot.replicates,
                "seed": boot.seed,
                "level": boot.level,
                "method": "patients resampled within each option; percentile intervals",
            }
            if boot
            else None
        ),
        "assumption": CONSTANT_RETURNS,
        "comparisons": (
            "QALYs from EQ-5D-5L are preference-weighted and comparable across conditions; "
            "condition-specific scores and the harmonised 0-100 scale are not, and are never "
            "used for value."
        ),
        "disclosure": disclosure.policy() | {"min_patients_for_value": threshold},
    }
    return {
        "meta": meta,
        "results": rows,
        "star": curve,
        "equity": _equity(query, loaded, horizon, years, threshold),
        "slopes": boot.slopes if boot else {},
    }


def cached_value_report(query: ValueQuery) -> dict[str, Any]:
    """``value_report``, kept for ``VALUE_REPORT_CACHE_SECONDS`` (0 = off) under a key made of
    the query, the disclosure rules and a version of every table the report reads, so new
    responses, activity, costs or budgets are never answered from an older report. The page and
    its chart share one computation."""
    seconds = int(getattr(settings, "VALUE_REPORT_CACHE_SECONDS", 300) or 0)
    if seconds <= 0:
        return value_report(query)
    identity = repr((query, disclosure.policy(), _data_version()))
    key = "value-report:" + hashlib.sha256(identity.encode()).hexdigest()
    report = cache.get(key)
    if report is None:
        report = value_report(query)
        cache.set(key, report, seconds)
    return report


def _data_version() -> tuple:
    from analytics.api import data_version

    return (
        data_version(),
        EpisodeEvent.objects.aggregate(last=Max("pk"))["last"],
        ActivityRecord.objects.aggregate(last=Max("pk"), n=Count("pk")),
        UnitCostSchedule.objects.aggregate(last=Max("pk")),
        UnitCost.objects.count(),
        Budget.objects.aggregate(last=Max("entered_at"), n=Count("pk")),
    )


def _counterfactual_meta(counterfactual: econ.Counterfactual) -> dict[str, Any]:
    return {
        "kind": counterfactual.kind,
        "change": counterfactual.change,
        "low": counterfactual.low,
        "high": counterfactual.high,
        "cohort": counterfactual.cohort,
        "label": counterfactual.label(),
    }


def _schedule_meta(schedule: UnitCostSchedule | None) -> dict[str, Any] | None:
    if schedule is None:
        return None
    costs = list(schedule.costs.all())
    return {
        "version": schedule.version,
        "name": schedule.name,
        "illustrative": schedule.illustrative,
        "price_years": sorted({c.price_year for c in costs}),
        "sources": sorted({c.source for c in costs}),
    }


def _sensitivity(query, records, horizon, years, threshold) -> dict[str, dict[str, float]]:
    """Benefit per patient at the low and high ends of an assumed counterfactual."""
    cf = query.counterfactual
    if cf.kind != "assumption" or cf.low is None or cf.high is None:
        return {}
    answer = {}
    for end, change in (("low", cf.low), ("high", cf.high)):
        estimates = econ.option_estimates(
            records,
            horizon=horizon,
            counterfactual=econ.Counterfactual(kind="assumption", change=change),
            adjust=query.adjust,
            years=years,
            min_patients=threshold,
        )
        answer[end] = {
            o: e.benefit_per_patient
            for o, e in estimates.items()
            if e.benefit_per_patient is not None
        }
    return answer


def _equity(query, loaded, horizon, years, threshold) -> list[dict[str, Any]]:
    return equity_rows(
        loaded.records,
        loaded.labels,
        horizon=horizon,
        years=years,
        counterfactual=query.counterfactual,
        adjust=query.adjust,
        threshold=threshold,
        replicates=query.replicates,
        seed=query.seed,
    )


EQUITY_FIGURES = ("cost_per_patient", "benefit_per_patient", "qalys_per_million")


def equity_rows(
    records: list[econ.EpisodeRecord],
    labels: dict[str, str],
    *,
    horizon: float,
    years: float,
    counterfactual: econ.Counterfactual,
    adjust: bool,
    threshold: int,
    replicates: int,
    seed: int,
) -> list[dict[str, Any]]:
    """Per option and deprivation fifth: patients, cost, benefit and QALYs per £1m, each with
    the bootstrap interval the options have, computed within the fifth exactly as the option
    figures are (the baseline adjustment and a cohort counterfactual are fitted within it too).

    Each fifth is resampled on its own, seeded with ``seed`` + its number (0 for not known), so
    the intervals are reproducible. A figure and its interval are published only where the
    option has ``threshold`` patients with QALYs in that fifth and the counts survive primary
    and secondary suppression.
    """
    rows = []
    for quintile in (1, 2, 3, 4, 5, None):
        subset = [r for r in records if r.imd_quintile == quintile]
        if not subset:
            continue
        # With a cohort counterfactual, a fifth without enough of the cohort gets no benefit.
        estimates = econ.option_estimates(
            subset,
            horizon=horizon,
            counterfactual=counterfactual,
            adjust=adjust,
            years=years,
            min_patients=threshold,
        )
        usable = [r for r in subset if estimates[r.option].benefit_per_patient is not None]
        boot = (
            uncertainty.bootstrap(
                usable,
                horizon=horizon,
                counterfactual=counterfactual,
                adjust=adjust,
                years=years,
                min_patients=threshold,
                replicates=replicates,
                seed=seed + (quintile or 0),
            )
            if usable
            else None
        )
        for option, e in estimates.items():
            rows.append(
                {
                    "option": option,
                    "option_label": labels[option],
                    "imd_quintile": quintile,
                    "patients": e.patients,
                    "with_qalys": e.complete,
                    "cost_per_patient": e.cost_per_patient,
                    "benefit_per_patient": e.benefit_per_patient,
                    "qalys_per_million": e.qalys_per_million,
                    "intervals": boot.intervals.get(option, {}) if boot else {},
                }
            )
    # Counts of a option's fifths add up to its total: primary and secondary suppression.
    withheld = disclosure.cells_to_withhold(
        {index: row["patients"] for index, row in enumerate(rows)},
        [lambda index: rows[index]["option"]],
    )
    published = []
    for index, row in enumerate(rows):
        hidden = index in withheld
        figures = not hidden and row["benefit_per_patient"] is not None
        entry = {
            "option": row["option"],
            "option_label": row["option_label"],
            "imd_quintile": row["imd_quintile"],
            "patients": None if hidden else disclosure.round_count(row["patients"]),
            "with_qalys": None if hidden else _count(row["with_qalys"]),
        }
        for figure in EQUITY_FIGURES:
            entry[figure] = row[figure] if figures else None
            entry |= _interval(row["intervals"].get(figure) if figures else None, figure)
        entry["suppressed"] = not figures
        published.append(entry)
    return published


def reallocation(
    report: dict[str, Any], *, source: str, target: str, amount: float
) -> dict[str, Any]:
    """Move ``amount`` pounds a year from one option to another, at constant returns."""
    rows = {
        r["option"]: r for r in report["results"] if not r["suppressed"] and not r["comparator"]
    }
    for name, option in (("from", source), ("to", target)):
        if option not in rows:
            raise ValueQueryError(
                f"{name}: choose an option with published figures: {', '.join(sorted(rows))}."
            )
    if source == target:
        raise ValueQueryError("to: choose a different option from the one money moves from.")
    if not 0 < amount <= rows[source]["total_cost"]:
        raise ValueQueryError(
            f"amount: between £1 and the £{rows[source]['total_cost']:,.0f} a year spent on "
            f"{rows[source]['option_label']}."
        )
    slope_from = rows[source]["qalys_per_million"] / 1_000_000
    slope_to = rows[target]["qalys_per_million"] / 1_000_000
    interval, probability = uncertainty.reallocation_interval(
        amount=amount,
        slopes_from=report["slopes"][source],
        slopes_to=report["slopes"][target],
    )
    return {
        "from": source,
        "to": target,
        "amount": amount,
        "qalys_change": econ.reallocation_change(
            amount=amount, slope_from=slope_from, slope_to=slope_to
        ),
        "qalys_change_lower": interval[0] if interval else None,
        "qalys_change_upper": interval[1] if interval else None,
        "probability_gain": probability,
        "assumption": CONSTANT_RETURNS,
    }
