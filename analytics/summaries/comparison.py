"""How do providers (or practices, or groups) compare? Crude and case-mix adjusted figures,
funnel limits with over-dispersion, and the summary's meta."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from analytics import disclosure
from analytics.summaries.cells import (
    Cell,
    _modelled,
    _patterns,
    _rounded,
    _sort_key,
    _total,
    case_mix_model,
    change_estimate,
    paired_cells,
)
from analytics.summaries.query import GROUPINGS, UNKNOWN, Measure, OutcomeQuery, QueryError
from analytics.summaries.sql import _id_for, _organisations
from outcomes import statistics as st


def figures(
    cells: Sequence[Cell], measure: Measure, model: st.CaseMixModel | None, adjust: bool
) -> dict[str, Any]:
    """Crude figures of one group, and case-mix adjusted ones with funnel limits if asked.

    The improved/unchanged/worse counts are published (rounded) and the percentages are derived
    from them after rounding, in ``protect``. No SD is published: with a CI half-width it would
    give the exact n (n = (t·s/half-width)²), which rounding is there to hide.
    """
    total, improved, worse = _total(cells)
    n = total.n
    places = measure.decimals
    baseline = st.mean_from_sums(n, total.sum_b, total.sum_bb)
    follow_up = st.mean_from_sums(n, total.sum_f, total.sum_ff)
    change = change_estimate(total)
    has_mic = measure.mic is not None and n > 0
    row: dict[str, Any] = {
        "n": n,
        "mean_baseline": _rounded(baseline.mean, places),
        "mean_baseline_lower": _rounded(baseline.lower, places),
        "mean_baseline_upper": _rounded(baseline.upper, places),
        "mean_follow_up": _rounded(follow_up.mean, places),
        "mean_follow_up_lower": _rounded(follow_up.lower, places),
        "mean_follow_up_upper": _rounded(follow_up.upper, places),
        "mean_change": _rounded(change.mean, places),
        "mean_change_lower": _rounded(change.lower, places),
        "mean_change_upper": _rounded(change.upper, places),
        "n_improved": improved if has_mic else None,
        "n_unchanged": n - improved - worse if has_mic else None,
        "n_worse": worse if has_mic else None,
        "pct_improved": None,
        "pct_unchanged": None,
        "pct_worse": None,
    }
    if adjust:
        row |= adjusted_figures(cells, model, places)
    return row


CLASS_COUNTS = {
    "n_improved": "pct_improved",
    "n_unchanged": "pct_unchanged",
    "n_worse": "pct_worse",
}


def class_percentages(row: dict[str, Any]) -> dict[str, Any]:
    """% improved/unchanged/worse from the *published* (rounded) counts over the published n,
    so the percentages carry no more than the rounded counts do (NHS Digital: percentages may
    be calculated from rounded figures)."""
    n = row.get("n")
    if row.get("suppressed") or not n:
        return row
    return row | {
        pct: _rounded(100 * row[count] / n, 1)
        for count, pct in CLASS_COUNTS.items()
        if row.get(count) is not None
    }


ADJUSTED_KEYS = (
    "n_modelled",
    "expected_follow_up",
    "adjusted_follow_up",
    "adjusted_change",
    "funnel_target",
    "funnel_lower_95",
    "funnel_upper_95",
    "funnel_lower_998",
    "funnel_upper_998",
    "funnel_position",
    "outside_95",
    "outside_998",
)


def adjusted_figures(
    cells: Sequence[Cell], model: st.CaseMixModel | None, places: int = 1
) -> dict[str, Any]:
    """AdjQ2/AdjHG = national mean + (O − E), with Spiegelhalter funnel limits around the
    national mean change using the model's residual SD; withheld below DISCLOSURE_MIN_ADJUSTED
    modelled patients (NHS PROMs: 30).

    The limits depend on the unit only through its n, so they are drawn for the *published*
    (rounded) n_modelled: limits from the exact n, with the residual SD in ``meta``, would give
    the exact n back. The flag is judged against the same published limits."""
    row: dict[str, Any] = dict.fromkeys(ADJUSTED_KEYS)
    modelled = _modelled(cells)
    row["n_modelled"] = sum(cell.sums.n for cell in modelled)
    if model is None or model.residual_sd is None or row["n_modelled"] < disclosure.min_adjusted():
        return row
    adjusted = st.case_mix_adjust(model, _patterns(modelled))
    published_n = disclosure.round_count(adjusted.n)
    limits = st.funnel_limits_mean(model.mean_change, model.residual_sd, published_n)
    position = limits.position(adjusted.adjusted_change)
    return row | {
        "expected_follow_up": _rounded(adjusted.expected, places),
        "adjusted_follow_up": _rounded(adjusted.adjusted_follow_up, places),
        "adjusted_change": _rounded(adjusted.adjusted_change, places),
        "funnel_target": _rounded(limits.target, places),
        "funnel_lower_95": _rounded(limits.lower_95, places),
        "funnel_upper_95": _rounded(limits.upper_95, places),
        "funnel_lower_998": _rounded(limits.lower_998, places),
        "funnel_upper_998": _rounded(limits.upper_998, places),
        "funnel_position": position,
        "outside_95": position != "within",
        "outside_998": position.endswith("99.8"),
    }


def model_description(model: st.CaseMixModel | None, places: int = 1) -> dict[str, Any] | None:
    """The model as published: n rounded like every count, means to the measure's places."""
    if model is None:
        return None
    return {
        "formula": "follow_up ~ 1 + age_band + sex + imd_quintile + baseline (OLS)",
        "reference_levels": {f: levels[0] for f, levels in model.factor_levels.items() if levels},
        "n_modelled": disclosure.round_count(model.n),
        "rank": model.rank,
        "coefficients": dict(
            zip(model.columns, (round(c, 4) for c in model.coefficients), strict=True)
        ),
        "residual_sd": _rounded(model.residual_sd, 3),
        "national_mean_baseline": _rounded(model.mean_baseline, places),
        "national_mean_follow_up": _rounded(model.mean_follow_up, places),
        "national_mean_change": _rounded(model.mean_change, places),
    }


GROUP_LABEL_KEYS = {
    "provider": ("provider", "provider_name"),
    "practice": ("practice", "practice_name"),
    "imd_quintile": ("imd_quintile",),
    "age_band": ("age_band",),
    "sex": ("sex",),
    "none": ("group",),
}


def _group_value(cell: Cell, group_by: str) -> Any:
    if group_by == "provider":
        return cell.key["provider_id"]
    if group_by == "practice":
        return cell.key["practice_id"]
    if group_by == "none":
        return "all"
    return cell.key[group_by]


def grouped_rows(
    cells: Sequence[Cell],
    measure: Measure,
    model: st.CaseMixModel | None,
    group_by: str,
    *,
    adjust: bool,
    series: bool,
) -> list[dict[str, Any]]:
    """One row per group (and period), labelled without identifiers."""
    from surveys.models import Practice, Provider

    groups: dict[tuple, list[Cell]] = defaultdict(list)
    for cell in cells:
        groups[(_group_value(cell, group_by), cell.key["period"])].append(cell)
    names: dict[int, tuple[str, str]] = {}
    if group_by == "provider":
        names = _organisations(Provider, (k[0] for k in groups))
    elif group_by == "practice":
        names = _organisations(Practice, (k[0] for k in groups))
    rows = []
    for (value, period), members in sorted(
        groups.items(), key=lambda item: (_sort_key(item[0][0]), str(item[0][1]))
    ):
        if group_by in ("provider", "practice"):
            code, name = names.get(value, (UNKNOWN, "Not recorded"))
            label = {group_by: code, f"{group_by}_name": name}
        elif group_by == "none":
            label = {"group": "all"}
        else:
            label = {group_by: UNKNOWN if value is None else str(value)}
        if series:
            label["period"] = period
        rows.append(label | figures(members, measure, model, adjust))
    return rows


def protect(
    rows: list[dict[str, Any]], group_by: str, series: bool, extra_keep: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Disclosure control for a breakdown: the groups add up to a known total and, in a series,
    so do the periods of each group and the groups of each period."""
    label_keys = [*GROUP_LABEL_KEYS[group_by], *extra_keep]
    partitions = [lambda row: None]
    if series:
        label_keys.append("period")
        partitions = [
            lambda row: ("period", row.get("period")),
            lambda row: ("group", tuple(row.get(k) for k in GROUP_LABEL_KEYS[group_by])),
        ]
    protected = disclosure.protect_rows(
        rows,
        count_keys=["n"],
        partitions=partitions,
        rounded_keys=["n", "n_modelled", *CLASS_COUNTS],
        keep_keys=label_keys,
    )
    return [class_percentages(row) for row in protected]


def outcome_summary(query: OutcomeQuery) -> dict[str, Any]:
    """Per group: paired n, mean baseline/follow-up/change with 95% CIs, MIC classes and, for
    providers and practices, case-mix adjusted change with funnel limits."""
    from surveys.models import Practice, Provider

    if query.group_by not in GROUPINGS:
        raise QueryError(f"'group_by' must be one of {', '.join(GROUPINGS)}.")
    provider_id = _id_for(Provider, query.provider, "provider")
    practice_id = _id_for(Practice, query.practice, "practice")
    by_practice = query.group_by == "practice" or practice_id is not None
    cells = paired_cells(query, by_practice=by_practice)
    model = case_mix_model(cells)
    adjust = query.group_by in ("provider", "practice")
    series = query.series is not None

    def keep(cell: Cell) -> bool:
        # A filter on the grouping dimension itself applies after suppression (below), so that
        # a filtered view withholds exactly what the whole breakdown withholds.
        if provider_id is not None and query.group_by != "provider":
            return cell.key["provider_id"] == provider_id
        return True

    def keep_practice(cell: Cell) -> bool:
        if practice_id is not None and query.group_by != "practice":
            return cell.key["practice_id"] == practice_id
        return True

    selected = [cell for cell in cells if keep(cell) and keep_practice(cell)]
    rows = protect(
        grouped_rows(selected, query.measure, model, query.group_by, adjust=adjust, series=series),
        query.group_by,
        series,
    )
    if query.group_by == "provider" and query.provider:
        rows = [row for row in rows if row["provider"] == query.provider]
    if query.group_by == "practice" and query.practice:
        rows = [row for row in rows if row["practice"] == query.practice]
    return {"meta": meta(query, model, adjusted=adjust), "results": rows}


def meta(query: OutcomeQuery, model: st.CaseMixModel | None, *, adjusted: bool) -> dict[str, Any]:
    return {
        "filters": {
            "condition": query.condition,
            "provider": query.provider,
            "practice": query.practice,
            "timepoint": query.timepoint,
            "baseline_timepoint": query.baseline_timepoint,
            "period": query.period.label,
            "period_applies_to": "date the follow-up response was submitted",
            "group_by": query.group_by,
            "series": query.series,
        },
        "measure": query.measure.describe(),
        "method": {
            "summary": (
                "Paired episodes with both a baseline and a follow-up value. Means with t-based "
                "95% CIs; change = follow-up − baseline on the measure's own scale; improved/"
                "unchanged/worse by the instrument's MIC on its native score."
            ),
            "case_mix": (
                "Adjusted follow-up and change = national mean + (observed − expected) from one "
                "OLS model fitted on every provider's patients for this condition and measure; "
                "funnel limits national mean change ± z·residual SD/√n at 95% and 99.8%."
                if adjusted
                else "Not applied to this grouping: adjusted figures compare providers or "
                "practices; equity breakdowns stay crude (never adjust for the dimension "
                "being measured)."
            ),
            "reference": "docs/methods.md",
        },
        "model": model_description(model, query.measure.decimals) if adjusted else None,
        "disclosure": disclosure.policy(),
    }
