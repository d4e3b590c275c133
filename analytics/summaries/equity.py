"""Are outcomes and response fair across deprivation, age and sex?"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from analytics import disclosure
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
from analytics.summaries.sql import _date_range_sql, _fetch, _id_for, _period_sql, _scope_sql
from outcomes import statistics as st
from surveys.sql import age_band_sql, age_sql

# --- equity ----------------------------------------------------------------------------------

EQUITY_DIMENSIONS = ("imd_quintile", "age_band", "sex")


def _quintile(value: Any) -> str:
    return UNKNOWN if value is None else str(int(value))


def age_at_enrolment(query: OutcomeQuery, provider_id, practice_id) -> list[dict[str, Any]]:
    """Mean age at referral by IMD quintile (episodes referred in the period; in a series, by
    month or quarter of referral)."""
    where, params = _scope_sql(query, provider_id, practice_id)
    dates, date_params = _date_range_sql("e.referred_on", query)
    period_sql, period_params = _period_sql("e.referred_on", query.series, date=True)
    age = age_sql("e.referred_on", "p.date_of_birth")
    sql = f"""
        SELECT period, imd_quintile, COUNT(*), SUM(age), SUM(age * age) FROM (
            SELECT {period_sql} AS period, (a.imd_decile + 1) / 2 AS imd_quintile, {age} AS age
            FROM surveys_episode e
            JOIN surveys_patient p ON p.id = e.patient_id
            LEFT JOIN surveys_area a ON a.id = p.area_id
            WHERE {" AND ".join(where + dates)}
        ) AS enrolled GROUP BY period, imd_quintile
    """  # noqa: S608
    rows = []
    for period, quintile, n, total, squares in sorted(
        _fetch(sql, [*period_params, *params, *date_params]),
        key=lambda r: (_sort_key(r[1] and int(r[1])), str(r[0])),
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


def response_rates(query: OutcomeQuery, provider_id, practice_id) -> list[dict[str, Any]]:
    """Share of invitations answered, by IMD quintile, age band and channel, for the baseline
    and follow-up timepoints. Counted once the window has closed (or the patient answered);
    cancelled invitations are left out. The period applies to the invitation's due date."""
    where, params = _scope_sql(query, provider_id, practice_id)
    where += [
        "i.timepoint IN (%s, %s)",
        "i.status <> 'cancelled'",
        "(i.status = 'completed' OR i.closes_on < %s)",
    ]
    params += [query.baseline_timepoint, query.timepoint, timezone.localdate()]
    dates, date_params = _date_range_sql("i.due_on", query)
    where += dates
    params += date_params
    period_sql, period_params = _period_sql("i.due_on", query.series, date=True)
    age = age_sql("e.referred_on", "p.date_of_birth")
    # The channel the invitation was actually sent by: that of its first invitation message
    # handed to a channel (notifications outbox, read by table name: outcomes does not import
    # notifications). "none" when no message was sent, e.g. a questionnaire answered on paper
    # in clinic. The patient's preferred channel today may differ from the one used then.
    sql = f"""
        SELECT i.timepoint, (a.imd_decile + 1) / 2, {age_band_sql(age)},
               COALESCE((
                   SELECT n.channel FROM notifications_notification n
                   WHERE n.invitation_id = i.id AND n.kind = 'invite'
                     AND n.status NOT IN ('pending', 'held', 'cancelled')
                   ORDER BY n.id LIMIT 1
               ), 'none'),
               {period_sql},
               COUNT(*), SUM(CASE WHEN i.status = 'completed' THEN 1 ELSE 0 END)
        FROM surveys_invitation i
        JOIN surveys_episode e ON e.id = i.episode_id
        JOIN surveys_patient p ON p.id = e.patient_id
        LEFT JOIN surveys_area a ON a.id = p.area_id
        WHERE {" AND ".join(where)}
        GROUP BY 1, 2, 3, 4, 5
    """  # noqa: S608
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for timepoint, quintile, band, channel, period, invited, responded in _fetch(
        sql, [*period_params, *params]
    ):
        for dimension, group in (
            ("imd_quintile", _quintile(quintile)),
            ("age_band", band),
            ("channel", channel),
        ):
            totals[(timepoint, dimension, group, period)][0] += int(invited)
            totals[(timepoint, dimension, group, period)][1] += int(responded or 0)
    rows = []
    order = {query.baseline_timepoint: 0, query.timepoint: 1}
    dims = {"imd_quintile": 0, "age_band": 1, "channel": 2}
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
        rounded_keys=["invited", "responded", "not_responded"],
        keep_keys=["table", "timepoint", "dimension", "group", "period"],
    )
    return [_response_rate(row) for row in protected]


def _response_rate(row: dict[str, Any]) -> dict[str, Any]:
    """The rate and its Wilson interval from the published (rounded) counts: a rate from the
    exact counts, beside rounded ones, would give the exact counts back."""
    invited, responded = row["invited"], row["responded"]
    if row["suppressed"] or not invited:
        return row
    interval = st.wilson_interval(responded, invited)
    return row | {
        "response_rate_pct": _rounded(100 * responded / invited, 1),
        "response_rate_lower": _rounded(100 * interval[0], 1),
        "response_rate_upper": _rounded(100 * interval[1], 1),
    }


def deprivation_gradient(
    quintile_rows: Sequence[dict[str, Any]], measure: Measure
) -> dict[str, Any]:
    """SII (and RII) of mean improvement across IMD quintiles 1 (most deprived) to 5, on the
    unrounded means of the published quintiles; needs all five quintiles published.

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
        "note": None,
    }
    usable = [
        r
        for r in quintile_rows
        if r.get("imd_quintile") in ("1", "2", "3", "4", "5")
        and not r.get("suppressed")
        and r.get("_sd_change") is not None
    ]
    if len(usable) < 5:
        return row | {"note": gettext("Needs all five IMD quintiles with published figures.")}
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
    rii = None
    if index.rii_meaningful:
        rii = _rounded(index.rii, 3)
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
        "note": note,
    }


def outcome_equity(query: OutcomeQuery) -> dict[str, Any]:
    """Crude figures by IMD quintile, age band and sex; SII across deprivation; age at
    enrolment by IMD quintile; response rates by IMD quintile, age band and channel."""
    from surveys.models import Practice, Provider

    provider_id = _id_for(Provider, query.provider, "provider")
    practice_id = _id_for(Practice, query.practice, "practice")
    cells = [
        cell
        for cell in paired_cells(query, by_practice=practice_id is not None)
        if (provider_id is None or cell.key["provider_id"] == provider_id)
        and (practice_id is None or cell.key["practice_id"] == practice_id)
    ]
    series = query.series is not None
    results: list[dict[str, Any]] = []
    sii_rows = []
    for dimension in EQUITY_DIMENSIONS:
        raw = grouped_rows(cells, query.measure, None, dimension, adjust=False, series=series)
        protected = protect(raw, dimension, series=series)
        if dimension == "imd_quintile":
            sii_rows = _gradients(protected, cells, query)
        for r in protected:
            group = r.pop(dimension)
            results.append({"table": "outcomes", "dimension": dimension, "group": group} | r)
    results += sii_rows
    results += age_at_enrolment(query, provider_id, practice_id)
    results += response_rates(query, provider_id, practice_id)
    return {"meta": meta(query, None, adjusted=False), "results": results}


def _gradients(
    protected: Sequence[dict[str, Any]], cells: Sequence[Cell], query: OutcomeQuery
) -> list[dict[str, Any]]:
    """One SII row (per period in a series) from the published quintiles. SII is a "complex
    calculation" (NHS Digital), fitted on the unrounded figures of the published quintiles."""
    periods = sorted({r.get("period") for r in protected}, key=str) if query.series else [None]
    rows = []
    for period in periods:
        quintiles = []
        period_cells = [c for c in cells if not query.series or c.key["period"] == period]
        for r in protected:
            if query.series and r["period"] != period:
                continue
            estimate = _change_exact(period_cells, r["imd_quintile"])
            quintiles.append(
                r | {"_n": estimate.n, "_mean_change": estimate.mean, "_sd_change": estimate.sd}
            )
        row = deprivation_gradient(quintiles, query.measure)
        if query.series:
            row = {**row, "period": period}
        rows.append(row)
    return rows


def _change_exact(cells: Sequence[Cell], quintile: Any) -> st.MeanEstimate:
    total, _, _ = _total(c for c in cells if _quintile(c.key["imd_quintile"]) == quintile)
    return change_estimate(total)
