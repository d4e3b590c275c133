"""Figures of a condition's page, by the programme's value areas."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from analytics import summaries
from outcomes import statistics as st
from surveys.models import Practice
from surveys.sql import AGE_BANDS, in_sql

from .. import disclosure
from ..filters import DEFAULT_INSTRUMENT, Filters
from .base import data_as_of, envelope, mean_columns, rounded
from .sql import (
    date_range,
    days_between,
    fetch,
    instrument_versions,
    moment_range,
    pathway_ids,
    percentile_from_counts,
    period_label,
    quarter_start_sql,
    quintile,
    scope,
    slot_sql,
    subquery_fence,
)

QUINTILES = ("1", "2", "3", "4", "5", "unknown")


def _by_dimension(row: dict[str, Any]) -> Any:
    return row["dimension"]


# --- earlier effective services ----------------------------------------------------------------


def baseline_by_deprivation(*, filters: Filters) -> dict[str, Any]:
    """Age at referral and baseline score (common questionnaire) by deprivation fifth: do
    people from deprived areas reach us younger and worse?"""
    measure = summaries.measure_resolve(DEFAULT_INSTRUMENT, None, filters.outcome)
    where, params = scope(filters, episode="c", patient="c")
    dates, date_params = date_range("c.referred_on", filters)
    versions = instrument_versions(DEFAULT_INSTRUMENT)
    # The episode rows (surveys.EpisodeCohort), named as the pairs are so that the baseline
    # measure is read from its slot as the outcome figures read theirs.
    value = slot_sql("baseline_values", versions, DEFAULT_INSTRUMENT, "outcome", measure.name)
    sql = f"""
        SELECT imd, COUNT(*), SUM(age), SUM(age * age), COUNT(b), SUM(b), SUM(b * b) FROM (
            SELECT pr.imd_quintile AS imd, pr.age_at_referral AS age, {value} AS b
            FROM (SELECT c.imd_quintile, c.age_at_referral, c.baseline_values,
                         c.baseline_instrument_id AS instrument_id
                  FROM surveys_episodecohort c
                  WHERE {" AND ".join(where + dates)}) AS pr
        ) AS referred GROUP BY imd
    """  # noqa: S608
    found = {
        quintile(imd): (n, sa, saa, nb, sb, sbb)
        for imd, n, sa, saa, nb, sb, sbb in fetch(sql, [*params, *date_params], clustered=True)
    }
    rows = []
    for group in QUINTILES:
        n, sa, saa, nb, sb, sbb = found.get(group, (0, None, None, 0, None, None))
        rows.append(
            {
                "imd_quintile": group,
                "referred": int(n),
                "with_baseline": int(nb or 0),
                **mean_columns("mean_age", int(n), sa, saa, 1),
                **mean_columns("mean_baseline", int(nb or 0), sb, sbb, 1),
            }
        )
    protected = disclosure.protect(
        rows, count_keys=["referred", "with_baseline"], keep_keys=["imd_quintile"]
    )
    return envelope(
        "baseline_by_deprivation",
        filters,
        protected,
        title="Age and baseline score at referral, by deprivation fifth",
        method=(
            "Episodes referred in the period, by the IMD 2025 quintile of the patient's area "
            "(1 = most deprived fifth in England). Mean age at referral, and mean baseline "
            f"{measure.label} of those who answered the baseline questionnaire (higher is "
            "better, so a lower baseline means worse at referral), with t 95% intervals."
        ),
        measure=measure.describe(),
    )


def _histogram_rows(
    counts: dict[tuple[str, str], dict[int, int]], order: dict[str, list[str]]
) -> list[dict[str, Any]]:
    rows = []
    for dimension, groups in order.items():
        for group in groups:
            histogram = counts.get((dimension, group), {})
            n = sum(histogram.values())
            rows.append(
                {
                    "dimension": dimension,
                    "group": group,
                    "n": n,
                    "median_days": rounded(percentile_from_counts(histogram, 0.5), 1),
                    "p25_days": rounded(percentile_from_counts(histogram, 0.25), 1),
                    "p75_days": rounded(percentile_from_counts(histogram, 0.75), 1),
                    "p90_days": rounded(percentile_from_counts(histogram, 0.9), 1),
                }
            )
    return rows


def referral_to_assessment(*, filters: Filters) -> dict[str, Any]:
    """Days from referral to the first recorded assessment ("timely assessment and
    diagnosis"), by quarter of referral and by deprivation fifth."""
    where, params = scope(filters, episode="c", patient="c")
    dates, date_params = date_range("c.referred_on", filters)
    sql = f"""
        SELECT quarter, imd, days, COUNT(*) FROM (
            SELECT {quarter_start_sql("c.referred_on")} AS quarter, c.imd_quintile AS imd,
                   {days_between("c.referred_on", "c.first_assessment_on")} AS days
            FROM surveys_episodecohort c
            WHERE c.first_assessment_on IS NOT NULL AND {" AND ".join(where + dates)}
        ) AS waits GROUP BY quarter, imd, days
    """  # noqa: S608
    counts: dict[tuple[str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    quarters = set()
    for start, imd, days, count in fetch(sql, [*params, *date_params]):
        period = period_label(start, quarter=True)
        days = max(0, int(days))
        quarters.add(period)
        counts[("quarter", period)][days] += int(count)
        counts[("imd_quintile", quintile(imd))][days] += int(count)
    rows = _histogram_rows(counts, {"quarter": sorted(quarters), "imd_quintile": list(QUINTILES)})
    protected = disclosure.protect(
        rows, partitions=[_by_dimension], keep_keys=["dimension", "group"]
    )
    return envelope(
        "referral_to_assessment",
        filters,
        protected,
        title="Days from referral to first assessment",
        method=(
            "For episodes with a recorded assessment: days from referral to the first "
            "assessment. Median, quartiles and 90th percentile (exact, interpolated between "
            "ranks), by quarter of referral and by IMD quintile."
        ),
    )


# --- optimising key procedures ---------------------------------------------------------------


def procedure_rates(*, filters: Filters) -> dict[str, Any]:
    """Procedures per 1,000 people referred, by GP practice and deprivation fifth, indirectly
    standardised for age band and sex against every referred patient with this condition."""
    where, params = scope(filters, episode="c", patient="c")
    dates, date_params = date_range("c.referred_on", filters)
    sql = f"""
        SELECT c.practice_id, c.imd_quintile, c.sex, c.age_band, COUNT(*),
               SUM(CASE WHEN c.first_procedure_on IS NOT NULL THEN 1 ELSE 0 END)
        FROM surveys_episodecohort c
        WHERE {" AND ".join(where + dates)}
        GROUP BY c.practice_id, c.imd_quintile, c.sex, c.age_band
    """  # noqa: S608
    strata = [(sex, band) for sex in ("female", "male", "other", "not-known") for band in AGE_BANDS]
    groups: dict[tuple[str, Any], dict[tuple[str, str], list[int]]] = defaultdict(
        lambda: defaultdict(lambda: [0, 0])
    )
    overall: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for practice_id, imd, sex, band, referred, operated in fetch(sql, [*params, *date_params]):
        for key in (("practice", practice_id), ("imd_quintile", quintile(imd))):
            cell = groups[key][(sex, band)]
            cell[0] += int(referred)
            cell[1] += int(operated or 0)
        overall[(sex, band)][0] += int(referred)
        overall[(sex, band)][1] += int(operated or 0)
    rates = {s: (o[1] / o[0] if o[0] else 0.0) for s, o in overall.items()}
    total_referred = sum(o[0] for o in overall.values())
    overall_rate = sum(o[1] for o in overall.values()) / total_referred if total_referred else 0
    practices = {
        pk: (code, name, size)
        for pk, code, name, size in Practice.objects.values_list(
            "pk", "ods_code", "name", "list_size"
        )
    }
    rows = []
    order = [("imd_quintile", q) for q in QUINTILES]
    order += [("practice", pk) for pk in sorted(practices, key=lambda k: practices[k][0])]
    if any(key == ("practice", None) for key in groups):
        order.append(("practice", None))
    for dimension, value in order:
        cells = groups.get((dimension, value), {})
        referred = sum(c[0] for c in cells.values())
        operated = sum(c[1] for c in cells.values())
        code, name, size = practices.get(value, ("unknown", "Not recorded", None))
        label = (
            {"group": value, "group_name": f"IMD quintile {value}"}
            if dimension == "imd_quintile"
            else {"group": code, "group_name": name}
        )
        rows.append(
            {
                "dimension": dimension,
                **label,
                "referred": referred,
                "procedures": operated,
                "_expected": sum(cells[s][0] * rates.get(s, 0.0) for s in strata if s in cells),
                "_list_size": size if dimension == "practice" else None,
            }
        )
    protected = disclosure.protect(
        rows,
        count_keys=["procedures", "referred"],
        partitions=[_by_dimension],
        keep_keys=["dimension", "group", "group_name"],
    )
    results = []
    for row in protected:
        expected, size = row.pop("_expected"), row.pop("_list_size")
        extra: dict[str, Any] = dict.fromkeys(
            (
                "standardised_ratio",
                "standardised_rate_per_1000",
                "rate_lower",
                "rate_upper",
                "per_1000_registered",
            )
        )
        if not row["suppressed"] and expected:
            ratio = st.Rate(
                row["procedures"] / expected,
                *(limit / expected for limit in st.poisson_limits(row["procedures"])[:2]),
                "indirect",
            )
            extra |= {
                "standardised_ratio": rounded(ratio.value, 3),
                "standardised_rate_per_1000": rounded(1000 * overall_rate * ratio.value, 1),
                "rate_lower": rounded(1000 * overall_rate * ratio.lower, 1),
                "rate_upper": rounded(1000 * overall_rate * ratio.upper, 1),
            }
            if size:
                extra["per_1000_registered"] = rounded(1000 * row["procedures"] / size, 2)
        results.append(row | extra)
    return envelope(
        "procedure_rates",
        filters,
        results,
        title="Procedures per 1,000 people referred, standardised for age and sex",
        method=(
            "Episodes referred in the period with at least one recorded procedure, per 1,000 "
            "episodes referred. Indirectly standardised by sex and age band (0-49, 50-59, "
            "60-69, 70-79, 80+) against all referred episodes of this condition: ratio O/E "
            "with Poisson limits on O (exact below 10, Byar above), rate = ratio × the "
            "overall rate. Per 1,000 registered: crude, the practice's list size as "
            "denominator. Counts are rounded before the rates are computed."
        ),
        overall_rate_per_1000=rounded(1000 * overall_rate, 1),
    )


def gain_by_procedure(*, filters: Filters) -> dict[str, Any]:
    """Mean change from baseline with and without a recorded procedure (crude: people who have
    an operation differ from those who do not, so this is a description, not an effect)."""
    measure = filters.measure()
    versions = instrument_versions(measure.instrument)
    rows = []
    if versions:
        where, params = scope(filters, episode="pr", patient="pr")
        # Whether the episode had a procedure, from the condition's cohort rows (read from
        # the index alone on PostgreSQL, not the whole table).
        pathways = pathway_ids(filters.condition) or [0]
        moments, moment_params = moment_range("pr.followed_up_at", filters)
        b = slot_sql("baseline_values", versions, measure.instrument, measure.kind, measure.name)
        f = slot_sql("follow_up_values", versions, measure.instrument, measure.kind, measure.name)
        # The pairs' two values are taken first (OFFSET 0 keeps PostgreSQL from folding the
        # query into the join): the join's hash then holds three numbers a pair, not every
        # measure's arrays, and stays in memory (82 ms against 165 ms at a million responses).
        fence = subquery_fence()
        sql = f"""
            SELECT operated, COUNT(*), SUM(b), SUM(b * b), SUM(f), SUM(f * f),
                   SUM(f - b), SUM((f - b) * (f - b)) FROM (
                SELECT p.b, p.f,
                       CASE WHEN c.first_procedure_on IS NOT NULL THEN 1 ELSE 0 END AS operated
                FROM (
                    SELECT pr.episode_id, {b} AS b, {f} AS f
                    FROM surveys_pairedresult pr
                    WHERE pr.instrument_id {in_sql(sorted(versions))} AND pr.timepoint = %s
                      AND pr.baseline_timepoint = %s AND {" AND ".join(where + moments)}
                    {fence}
                ) AS p
                LEFT JOIN (SELECT episode_id, first_procedure_on FROM surveys_episodecohort
                           WHERE pathway_id {in_sql(pathways)}) c
                       ON c.episode_id = p.episode_id
            ) AS pairs WHERE b IS NOT NULL AND f IS NOT NULL GROUP BY operated
        """  # noqa: S608
        found = {
            int(operated): values
            for operated, *values in fetch(
                sql,
                [
                    *sorted(versions),
                    filters.timepoint,
                    "baseline",
                    *params,
                    *moment_params,
                    *pathways,
                ],
            )
        }
        places = measure.decimals
        for operated, label in ((1, "with a procedure"), (0, "without a procedure")):
            n, sb, sbb, sf, sff, sc, scc = found.get(operated, (0, None, None, None, None, 0, 0))
            rows.append(
                {
                    "group": label,
                    "n": int(n),
                    **mean_columns("mean_baseline", int(n), sb, sbb, places),
                    **mean_columns("mean_follow_up", int(n), sf, sff, places),
                    **mean_columns("mean_change", int(n), sc, scc, places),
                }
            )
    protected = disclosure.protect(rows, keep_keys=["group"])
    return envelope(
        "gain_by_procedure",
        filters,
        protected,
        title="Gain with and without a procedure",
        method=(
            f"Paired episodes (baseline and {filters.timepoint}) of {measure.label}, split by "
            "whether the episode has a recorded procedure. Crude means with t 95% intervals: "
            "not adjusted, so not the effect of the procedure."
        ),
        measure=measure.describe(),
    )


# --- equity ------------------------------------------------------------------------------------


def equity(*, filters: Filters) -> dict[str, Any]:
    """Gain by deprivation, age and sex, the slope index of inequality, age at referral and
    response rates beside them: ``analytics.summaries.outcome_equity``, unchanged, so the
    page and the API's equity endpoint publish the same numbers."""
    answer = summaries.outcome_equity(filters.outcome_query())
    answer["meta"] = answer["meta"] | {
        "figure": "equity",
        "title": "Gain and access by deprivation, age and sex",
        "as_of": data_as_of(),
    }
    return answer
