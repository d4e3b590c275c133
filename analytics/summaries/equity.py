"""Are outcomes and response fair across deprivation, age and sex?"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext

from analytics import disclosure, weighting
from analytics.summaries.cells import (
    Cell,
    _rounded,
    _series_partitions,
    _sort_key,
    _total,
    change_estimate,
    paired_cells,
)
from analytics.summaries.comparison import grouped_rows, meta, protect
from analytics.summaries.query import UNKNOWN, Measure, OutcomeQuery
from analytics.summaries.sql import _id_for, enrolment_age_rows, invitation_rows
from outcomes import statistics as st
from proms.side_by_side import side_by_side

# --- equity ----------------------------------------------------------------------------------

EQUITY_DIMENSIONS = ("imd_quintile", "age_band", "sex")


def _quintile(value: Any) -> str:
    return UNKNOWN if value is None else str(int(value))


def age_at_enrolment(query: OutcomeQuery, age_rows: Sequence[tuple]) -> list[dict[str, Any]]:
    """Mean age at referral by IMD quintile (episodes referred in the period; in a series, by
    month or quarter of referral), from ``enrolment_age_rows``."""
    rows = []
    for period, quintile, n, total, squares in sorted(
        age_rows, key=lambda r: (_sort_key(r[1] and int(r[1])), str(r[0]))
    ):
        estimate = st.mean_from_sums(int(n), float(total), float(squares))
        label = {"period": period} if query.series else {}
        rows.append(
            {
                "table": "age_at_enrolment",
                "dimension": "imd_quintile",
                "group": _quintile(quintile),
                **label,
                "n": int(n),
                "mean_age": _rounded(estimate.mean, 1),
                "mean_age_lower": _rounded(estimate.lower, 1),
                "mean_age_upper": _rounded(estimate.upper, 1),
            }
        )
    return disclosure.protect_rows(
        rows,
        partitions=_series_partitions(query, lambda row: None),
        keep_keys=["table", "dimension", "group", "period"],
    )


RESPONSE_DIMENSIONS = ("imd_quintile", "age_band", "sex", "channel")


def response_rates(query: OutcomeQuery, invitations: Sequence[tuple]) -> list[dict[str, Any]]:
    """Share of invitations answered, by IMD quintile, age band, sex and channel, for the
    baseline and follow-up timepoints (``sql.invitation_rows``), with Wilson 95% intervals."""
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for timepoint, _, quintile, band, sex, channel, period, invited, responded in invitations:
        for dimension, group in (
            ("imd_quintile", _quintile(quintile)),
            ("age_band", band),
            ("sex", sex or UNKNOWN),
            ("channel", channel),
        ):
            totals[(timepoint, dimension, group, period)][0] += int(invited)
            totals[(timepoint, dimension, group, period)][1] += int(responded or 0)
    rows = []
    order = {query.baseline_timepoint: 0, query.timepoint: 1}
    dims = {dimension: i for i, dimension in enumerate(RESPONSE_DIMENSIONS)}
    for (timepoint, dimension, group, period), (invited, responded) in sorted(
        totals.items(),
        key=lambda t: (order[t[0][0]], dims[t[0][1]], _sort_key(t[0][2]), str(t[0][3])),
    ):
        rows.append(
            {
                "table": "response_rate",
                "timepoint": timepoint,
                "dimension": dimension,
                "group": group,
                **({"period": period} if query.series else {}),
                "invited": invited,
                "responded": responded,
                "not_responded": invited - responded,
                "response_rate_pct": None,
                "response_rate_lower": None,
                "response_rate_upper": None,
            }
        )
    protected = disclosure.protect_rows(
        rows,
        count_keys=["responded", "not_responded"],
        partitions=_series_partitions(query, lambda row: (row["timepoint"], row["dimension"])),
        rounded_keys=["invited"],
        keep_keys=["table", "timepoint", "dimension", "group", "period"],
        parts={"invited": ["responded", "not_responded"]},
    )
    return [_response_rate(row) for row in protected]


def _response_rate(row: dict[str, Any]) -> dict[str, Any]:
    """The rate and its Wilson interval from the published counts (responded and not
    responded add up to invited under controlled rounding): a rate from the exact counts,
    beside rounded ones, would give the exact counts back."""
    invited, responded = row["invited"], row["responded"]
    if row["suppressed"] or not invited or responded is None:
        return row
    interval = st.wilson_interval(responded, invited)
    return row | {
        "response_rate_pct": _rounded(100 * responded / invited, 1),
        "response_rate_lower": _rounded(100 * interval[0], 1),
        "response_rate_upper": _rounded(100 * interval[1], 1),
    }


def response_model(
    query: OutcomeQuery, invitations: Sequence[tuple]
) -> weighting.ResponseModel | None:
    """P(answering the follow-up questionnaire | provider, age band, sex, IMD quintile), fitted
    on the follow-up invitations' counts per covariate pattern (the same aggregate as the
    response rates: no further query)."""
    counts: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for timepoint, provider_id, quintile, band, sex, _, _, invited, responded in invitations:
        if timepoint != query.timepoint:
            continue
        key = (provider_id, band, sex or UNKNOWN, _quintile(quintile))
        counts[key][0] += int(invited)
        counts[key][1] += int(responded or 0)
    patterns = [dict(zip(weighting.FACTORS, key, strict=True)) for key in counts]
    return weighting.response_model_fit(
        patterns, [c[0] for c in counts.values()], [c[1] for c in counts.values()]
    )


def weighted_change(
    cells: Sequence[Cell], model: weighting.ResponseModel | None
) -> tuple[float, float] | None:
    """Mean change with every responder weighted by 1/P(respond) (sensitivity estimate)."""
    if model is None:
        return None
    weighted = []
    for cell in cells:
        pattern = {
            "provider": cell.key["provider_id"],
            "age_band": cell.key["age_band"],
            "sex": cell.key["sex"] or UNKNOWN,
            "imd_quintile": _quintile(cell.key["imd_quintile"]),
        }
        probability = max(model.probability(pattern), 0.01)  # weights capped at 100
        sums = cell.sums
        change_squares = sums.sum_ff - 2 * sums.sum_bf + sums.sum_bb
        weighted.append((1 / probability, sums.n, sums.sum_f - sums.sum_b, change_squares))
    return weighting.weighted_mean(weighted)


def deprivation_gradient(
    quintile_rows: Sequence[dict[str, Any]], measure: Measure
) -> dict[str, Any]:
    """SII (and RII, with their 95% intervals) of mean improvement across IMD quintiles 1
    (most deprived) to 5, on the exact means of the quintiles' pairs; needs all five quintiles
    with at least two pairs and DISCLOSURE_MIN_ADJUSTED pairs in all.

    The change is oriented so that higher is better before fitting (population-methods §7.9):
    for a score where lower is better (ODI, NRS, PEG, FIQR) a fall is an improvement, so the
    mean change is multiplied by −1, as PHE ``phe_sii`` does with a negative multiplier. A
    positive SII then always means more improvement in less deprived areas."""
    row: dict[str, Any] = {
        "table": "slope_index_of_inequality",
        "dimension": "imd_quintile",
        "group": "1 (most deprived) to 5",
        "sii": None,
        "sii_lower": None,
        "sii_upper": None,
        "rii": None,
        "rii_lower": None,
        "rii_upper": None,
        "note": None,
    }
    usable = [
        r
        for r in quintile_rows
        if r.get("imd_quintile") in ("1", "2", "3", "4", "5")
        and not r.get("suppressed")
        and r.get("_sd_change") is not None
    ]
    if len(usable) < 5 or sum(r["_n"] for r in usable) < disclosure.min_adjusted():
        return row | {
            "note": gettext(
                "Not given: needs pairs in all five IMD quintiles (at least two each) and "
                "%(minimum)s pairs in all."
            )
            % {"minimum": disclosure.min_adjusted()}
        }
    usable.sort(key=lambda r: r["imd_quintile"])
    direction = 1 if measure.higher_is_better else -1
    index = st.slope_index_of_inequality(
        [direction * r["_mean_change"] for r in usable],
        [r["_n"] for r in usable],
        [r["_sd_change"] / r["_n"] ** 0.5 for r in usable],
    )
    if measure.higher_is_better:
        note = gettext(
            "SII of mean improvement (change in the score; higher is better). Positive: more "
            "improvement in less deprived areas."
        )
    else:
        note = gettext(
            "SII of mean improvement (the fall in the score, since lower is better for this "
            "measure). Positive: more improvement in less deprived areas."
        )
    rii = rii_lower = rii_upper = None
    if index.rii_meaningful:
        rii = _rounded(index.rii, 3)
        rii_lower, rii_upper = _rounded(index.rii_lower, 3), _rounded(index.rii_upper, 3)
    else:
        note += " " + gettext(
            "RII not given: the fitted mean improvement at one end of the deprivation scale is "
            "zero or negative, so their ratio has no meaning."
        )
    places = measure.decimals + 1
    return row | {
        "sii": _rounded(index.sii, places),
        "sii_lower": _rounded(index.lower, places),
        "sii_upper": _rounded(index.upper, places),
        "rii": rii,
        "rii_lower": rii_lower,
        "rii_upper": rii_upper,
        "note": note,
    }


def outcome_equity(query: OutcomeQuery) -> dict[str, Any]:
    """Crude figures by IMD quintile, age band and sex, each with its group's follow-up
    response rate and a non-response weighted sensitivity estimate; SII and RII across
    deprivation from the pairs; age at enrolment by IMD quintile; response rates by IMD
    quintile, age band, sex and channel."""
    from surveys.models import Practice, Provider

    provider_id = _id_for(Provider, query.provider, "provider")
    practice_id = _id_for(Practice, query.practice, "practice")
    # Three independent reads, at the same time where possible (proms/side_by_side.py).
    all_cells, invitations, age_rows = side_by_side(
        [
            lambda: paired_cells(query, by_practice=practice_id is not None),
            lambda: invitation_rows(query, provider_id, practice_id),
            lambda: enrolment_age_rows(query, provider_id, practice_id),
        ]
    )
    cells = [
        cell
        for cell in all_cells
        if (provider_id is None or cell.key["provider_id"] == provider_id)
        and (practice_id is None or cell.key["practice_id"] == practice_id)
    ]
    rates = response_rates(query, invitations)
    follow_up_rates = {
        (r["dimension"], r["group"], r.get("period")): r
        for r in rates
        if r["timepoint"] == query.timepoint
    }
    model = response_model(query, invitations)
    series = query.series is not None
    places = query.measure.decimals
    results: list[dict[str, Any]] = []
    for dimension in EQUITY_DIMENSIONS:
        raw = grouped_rows(cells, query.measure, None, dimension, adjust=False, series=series)
        members: dict[tuple, list[Cell]] = defaultdict(list)
        for cell in cells:
            members[(_label(cell, dimension), cell.key["period"])].append(cell)
        for row in raw:
            estimate = weighted_change(members[(row[dimension], row.get("period"))], model)
            row |= _weighted_keys(estimate, places)
        for r in protect(raw, dimension, series=series):
            group = r.pop(dimension)
            rate = follow_up_rates.get((dimension, group, r.get("period")), {})
            results.append(
                {"table": "outcomes", "dimension": dimension, "group": group}
                | r
                | {
                    key: rate.get(key)
                    for key in ("response_rate_pct", "response_rate_lower", "response_rate_upper")
                }
            )
    results += _gradients(cells, query)
    results += age_at_enrolment(query, age_rows)
    results += rates
    answer_meta = meta(query, None, adjusted=False)
    answer_meta["response_model"] = _describe_response_model(model, query)
    return {"meta": answer_meta, "results": results}


def _label(cell: Cell, dimension: str) -> str:
    value = cell.key[dimension]
    return UNKNOWN if value is None else str(value)


def _weighted_keys(estimate: tuple[float, float] | None, places: int) -> dict[str, Any]:
    if estimate is None:
        return dict.fromkeys(("ipw_mean_change", "ipw_mean_change_lower", "ipw_mean_change_upper"))
    mean, se = estimate
    return {
        "ipw_mean_change": _rounded(mean, places),
        "ipw_mean_change_lower": _rounded(mean - st.Z95 * se, places),
        "ipw_mean_change_upper": _rounded(mean + st.Z95 * se, places),
    }


def _describe_response_model(
    model: weighting.ResponseModel | None, query: OutcomeQuery
) -> dict[str, Any]:
    return {
        "fitted": model is not None,
        "formula": "responded ~ provider + age_band + sex + imd_quintile (logistic, IRLS)",
        "timepoint": query.timepoint,
        "invitations": None if model is None else disclosure.round_count(model.invitations),
        "method": (
            "ipw_mean_change re-weights each paired patient by 1 / P(answering the follow-up "
            "questionnaire) given provider, age band, sex and IMD quintile (capped at 100): a "
            "sensitivity estimate of the group's mean change had everyone invited answered, "
            "valid if response depends on these covariates only (missing at random). Its "
            "interval takes the weights as known. Compare it with mean_change: a large gap "
            "means the crude figure describes the responders rather than the group."
        ),
    }


def _gradients(cells: Sequence[Cell], query: OutcomeQuery) -> list[dict[str, Any]]:
    """One SII row (per period in a series) from the pairs of each IMD quintile, whatever each
    quintile's display: the SII is a regression model, a "complex calculation" that needs no
    further disclosure control (NHS Digital). Given when all five quintiles have at least two
    pairs (an SD each) and the quintiles together at least DISCLOSURE_MIN_ADJUSTED."""
    periods = sorted({c.key["period"] for c in cells}, key=str) if query.series else [None]
    rows = []
    for period in periods:
        period_cells = [c for c in cells if not query.series or c.key["period"] == period]
        quintiles = []
        for quintile in ("1", "2", "3", "4", "5"):
            estimate = _change_exact(period_cells, quintile)
            quintiles.append(
                {
                    "imd_quintile": quintile,
                    "_n": estimate.n,
                    "_mean_change": estimate.mean,
                    "_sd_change": estimate.sd,
                }
            )
        row = deprivation_gradient(quintiles, query.measure)
        if query.series:
            row = {**row, "period": period}
        rows.append(row)
    return rows


def _change_exact(cells: Sequence[Cell], quintile: Any) -> st.MeanEstimate:
    total, _, _ = _total(c for c in cells if _quintile(c.key["imd_quintile"]) == quintile)
    return change_estimate(total)
