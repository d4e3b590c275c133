"""How do providers (or practices, or groups) compare? Crude and case-mix adjusted figures,
funnel limits with over-dispersion, and the summary's meta."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from analytics import disclosure, funnels
from analytics.summaries.cells import (
    PATIENTS_PER_PARAMETER,
    Cell,
    _modelled,
    _patterns,
    _rounded,
    _sort_key,
    _total,
    case_mix_model,
    change_estimate,
    gc_paused,
    paired_cells,
)
from analytics.summaries.query import GROUPINGS, UNKNOWN, Measure, OutcomeQuery, QueryError
from analytics.summaries.sql import _id_for, _organisations
from outcomes import statistics as st

PROPORTION_PLACES = 1  # percentages to 1 dp


def figures(
    cells: Sequence[Cell], measure: Measure, model: st.CaseMixModel | None, adjust: bool
) -> dict[str, Any]:
    """Crude figures of one group, and case-mix adjusted ones if asked (their funnel limits
    are added across all groups by ``add_funnels``).

    Means and their CIs come from the exact data (simple statistics on at least min_cell
    patients, complex calculations; NHS Digital). Class counts are published under controlled
    rounding and the percentages derived from them, in ``protect``. No SD is published: with a
    CI half-width it would give the exact n (n = (t·s/half-width)²). Keys starting with "_"
    carry exact figures to the funnels and are removed before publication.
    """
    total, improved, worse = _total(cells)
    improved_any = worse_any = 0
    for cell in cells:
        improved_any += cell.improved_any
        worse_any += cell.worse_any
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
        "pct_improved_lower": None,
        "pct_improved_upper": None,
        "pct_unchanged": None,
        "pct_worse": None,
        "n_improved_any": improved_any if n else None,
        "n_unchanged_any": n - improved_any - worse_any if n else None,
        "n_worse_any": worse_any if n else None,
        "pct_improved_any": None,
        "pct_improved_any_lower": None,
        "pct_improved_any_upper": None,
        "pct_unchanged_any": None,
        "pct_worse_any": None,
        "_improved": (improved if has_mic else improved_any) if n else None,
    }
    if adjust:
        row |= adjusted_figures(cells, model, places)
    return row


# Each whole and the counts that add up to it; each count and its percentage.
CLASS_PARTS = {
    "n": ["n_improved", "n_unchanged", "n_worse"],
    "n_any": ["n_improved_any", "n_unchanged_any", "n_worse_any"],
}
CLASS_COUNTS = {
    "n_improved": "pct_improved",
    "n_unchanged": "pct_unchanged",
    "n_worse": "pct_worse",
    "n_improved_any": "pct_improved_any",
    "n_unchanged_any": "pct_unchanged_any",
    "n_worse_any": "pct_worse_any",
}
WILSON = {"n_improved": "pct_improved", "n_improved_any": "pct_improved_any"}


def class_percentages(row: dict[str, Any]) -> dict[str, Any]:
    """% improved/unchanged/worse from the *published* counts over the published n (NHS
    Digital: percentages from the rounded numerator and denominator), with the Wilson 95%
    interval of % improved from the same counts. Controlled rounding makes the published
    counts add up to n, so the percentages add up to 100 (± 0.1 from their own rounding) and
    never exceed it; a withheld part (1-7 patients) leaves its percentage null."""
    n = row.get("n")
    if row.get("suppressed") or not n:
        return row
    published = {
        pct: _rounded(100 * row[count] / n, PROPORTION_PLACES)
        for count, pct in CLASS_COUNTS.items()
        if row.get(count) is not None
    }
    for count, pct in WILSON.items():
        if row.get(count) is not None:
            lower, upper = st.wilson_interval(row[count], n)
            published[f"{pct}_lower"] = _rounded(100 * lower, PROPORTION_PLACES)
            published[f"{pct}_upper"] = _rounded(100 * upper, PROPORTION_PLACES)
    return row | published


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
    "funnel_overdispersion_applied",
)


def adjusted_figures(
    cells: Sequence[Cell], model: st.CaseMixModel | None, places: int = 1
) -> dict[str, Any]:
    """AdjQ2/AdjHG = national mean + (O − E); withheld below DISCLOSURE_MIN_ADJUSTED modelled
    patients (NHS PROMs: 30). The limits and flags come later (``add_funnels``), once every
    unit's figure is known, since over-dispersion is estimated across units."""
    row: dict[str, Any] = dict.fromkeys(ADJUSTED_KEYS)
    patterns = _patterns(cells)  # the modelled cells, merged
    row["n_modelled"] = sum(sums.n for _, sums in patterns)
    if model is None or model.residual_sd is None or row["n_modelled"] < disclosure.min_adjusted():
        return row
    adjusted = st.case_mix_adjust(model, patterns)
    return row | {
        "expected_follow_up": _rounded(adjusted.expected, places),
        "adjusted_follow_up": _rounded(adjusted.adjusted_follow_up, places),
        "adjusted_change": _rounded(adjusted.adjusted_change, places),
        "_adjusted_change": adjusted.adjusted_change,
    }


IMPROVED_FUNNEL_KEYS = (
    "improved_funnel_target",
    "improved_funnel_lower_95",
    "improved_funnel_upper_95",
    "improved_funnel_lower_998",
    "improved_funnel_upper_998",
    "improved_funnel_position",
    "improved_outside_95",
    "improved_outside_998",
)


def add_funnels(
    rows: list[dict[str, Any]],
    model: st.CaseMixModel | None,
    measure: Measure,
    unit_name: str,
) -> dict[str, Any]:
    """Funnel limits and flags for every unit (per period in a series), widened for
    over-dispersion; returns ``meta.overdispersion``.

    Mean change (adjusted): target = national mean change, s_i = residual SD/√n_i. % improved
    (crude; by the MIC where the measure has one, else any improvement): target = the overall
    proportion p0 of the units, s_i = √(p0(1 − p0)/n_i). Both are drawn for the *published*
    (rounded) n: limits from the exact n, with the residual SD in ``meta``, would give the
    exact n back. The flag compares the unit's exact figure with those limits. Over-dispersion
    is tested and τ² estimated over the units with a published figure (analytics/funnels.py).
    """
    places = measure.decimals
    periods: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        periods[row.get("period")].append(row)
        row |= dict.fromkeys(IMPROVED_FUNNEL_KEYS)
    described: dict[str, Any] = {}
    for period, members in periods.items():
        label = "all" if period is None else str(period)
        entry: dict[str, Any] = {}
        units = [r for r in members if r.get("_adjusted_change") is not None]
        if model is not None and model.residual_sd is not None and units:
            ses = [
                model.residual_sd / disclosure.round_count(r["n_modelled"]) ** 0.5 for r in units
            ]
            estimate = funnels.overdispersion(
                [r["_adjusted_change"] for r in units], ses, model.mean_change, unit_name=unit_name
            )
            for row, se in zip(units, ses, strict=True):
                limits = funnels.widened_limits(model.mean_change, se, estimate.tau2)
                row |= _flags(limits, row["_adjusted_change"], places, "funnel", "outside")
                row["funnel_overdispersion_applied"] = estimate.applied
            entry["adjusted_change"] = estimate.describe()
        counted = [
            r
            for r in members
            if r.get("_improved") is not None
            and r["n"] >= disclosure.min_cell()
            and disclosure.round_count(r["n"])  # a unit published as 0 has no funnel
        ]
        if counted:
            p0 = sum(r["_improved"] for r in counted) / sum(r["n"] for r in counted)
            ses = [funnels.proportion_se(p0, disclosure.round_count(r["n"])) for r in counted]
            estimate = funnels.overdispersion(
                [r["_improved"] / r["n"] for r in counted], ses, p0, unit_name=unit_name
            )
            for row, se in zip(counted, ses, strict=True):
                limits = funnels.widened_limits(p0, se, estimate.tau2)
                percent = st.FunnelLimits(*(100 * v for v in limits.__dict__.values()))
                row |= _flags(
                    percent, 100 * row["_improved"] / row["n"], 1, "improved_funnel",
                    "improved_outside",
                )  # fmt: skip
            entry["pct_improved"] = estimate.describe()
        described[label] = entry
    return described


def _flags(
    limits: st.FunnelLimits, value: float, places: int, prefix: str, flag: str
) -> dict[str, Any]:
    position = limits.position(value)
    return {
        f"{prefix}_target": _rounded(limits.target, places),
        f"{prefix}_lower_95": _rounded(limits.lower_95, places),
        f"{prefix}_upper_95": _rounded(limits.upper_95, places),
        f"{prefix}_lower_998": _rounded(limits.lower_998, places),
        f"{prefix}_upper_998": _rounded(limits.upper_998, places),
        f"{prefix}_position": position,
        f"{flag}_95": position != "within",
        f"{flag}_998": position.endswith("99.8"),
    }


def model_description(
    model: st.CaseMixModel | None, places: int = 1, *, fitted_on: int = 0
) -> dict[str, Any]:
    """The model as published: n rounded like every count, means to the measure's places.

    Nothing about a model is published unless it was fitted (``case_mix_model``: at least
    DISCLOSURE_MIN_ADJUSTED patients and PATIENTS_PER_PARAMETER per coefficient)."""
    if model is None:
        return {
            "fitted": False,
            "note": (
                "No case-mix model: too few modelled patients for the number of coefficients "
                f"(at least {disclosure.min_adjusted()} patients and {PATIENTS_PER_PARAMETER} "
                "per coefficient are needed). Adjusted figures and funnel flags are not given."
                if fitted_on
                else "No paired patients to model."
            ),
        }
    return {
        "fitted": True,
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
    so do the periods of each group and the groups of each period. The MIC classes and the
    any-change classes each add up to n under controlled rounding."""
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
        parts=CLASS_PARTS,
    )
    return [_public(class_percentages(row)) for row in protected]


def _public(row: dict[str, Any]) -> dict[str, Any]:
    """The row without the exact figures carried for the funnels."""
    return {key: value for key, value in row.items() if not key.startswith("_")}


@gc_paused()
def outcome_summary(query: OutcomeQuery) -> dict[str, Any]:
    """Per group: paired n, mean baseline/follow-up/change with 95% CIs, MIC classes and, for
    providers and practices, case-mix adjusted change with funnel limits."""
    from surveys.models import Practice, Provider

    if query.group_by not in GROUPINGS:
        raise QueryError(f"'group_by' must be one of {', '.join(GROUPINGS)}.")
    provider_id = _id_for(Provider, query.provider, "provider")
    practice_id = _id_for(Practice, query.practice, "practice")
    by_practice = query.group_by == "practice" or practice_id is not None
    # The provider is needed only to group or filter by (``keep`` below).
    cells = paired_cells(
        query,
        by_practice=by_practice,
        by_provider=query.group_by == "provider",
        keep_provider=provider_id,
    )
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
    raw = grouped_rows(selected, query.measure, model, query.group_by, adjust=adjust, series=series)
    dispersion = add_funnels(raw, model, query.measure, f"{query.group_by}s") if adjust else None
    rows = protect(raw, query.group_by, series)
    if query.group_by == "provider" and query.provider:
        rows = [row for row in rows if row["provider"] == query.provider]
    if query.group_by == "practice" and query.practice:
        rows = [row for row in rows if row["practice"] == query.practice]
    answer_meta = meta(query, model, adjusted=adjust, fitted_on=_modelled_n(cells))
    answer_meta["overdispersion"] = dispersion
    return {"meta": answer_meta, "results": rows}


def _modelled_n(cells: Sequence[Cell]) -> int:
    return sum(cell.sums.n for cell in _modelled(cells))


def meta(
    query: OutcomeQuery,
    model: st.CaseMixModel | None,
    *,
    adjusted: bool,
    fitted_on: int = 0,
) -> dict[str, Any]:
    """What a response is: filters, the measure (and whether its MIC is provisional), the
    methods, the model when one was fitted, and the disclosure rule."""
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
                "95% CIs; change = follow-up − baseline on the measure's own scale. Improved/"
                "unchanged/worse two ways: by the instrument's MIC on its native score "
                "(n_improved, pct_improved; see measure.mic_provisional) and by any change "
                "in the better direction, as the NHS PROMs publication counts "
                "(n_improved_any, pct_improved_any). Percentages with Wilson 95% intervals."
            ),
            "case_mix": (
                "Adjusted follow-up and change = national mean + (observed − expected) from one "
                "OLS model fitted on every provider's patients for this condition and measure "
                f"(at least {PATIENTS_PER_PARAMETER} patients per coefficient); funnel limits "
                "national mean change ± z·√(residual SD²/n + τ²) at 95% and 99.8%, τ² the "
                "over-dispersion (additive random effects) when detected and estimable "
                "(meta.overdispersion); % improved in a proportion funnel the same way."
                if adjusted
                else "Not applied to this grouping: adjusted figures compare providers or "
                "practices; equity breakdowns stay crude (never adjust for the dimension "
                "being measured)."
            ),
            "reference": "docs/methods.md",
        },
        "model": (
            model_description(model, query.measure.decimals, fitted_on=fitted_on)
            if adjusted
            else None
        ),
        "overdispersion": None,
        "disclosure": disclosure.policy(),
    }
