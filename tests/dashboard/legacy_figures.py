"""The dashboard figures as they were computed before the cohort read models (joins of
episodes, patients, areas, events, invitations and results): the oracle the cohort-based
figures must equal, number for number (test_cohort_figures.py)."""

# ruff: noqa: S608

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.utils import timezone

from analytics import summaries
from dashboard import disclosure
from dashboard.figures.base import envelope, mean_columns, rate_columns, rounded
from dashboard.figures.condition import QUINTILES, _by_dimension, _histogram_rows
from dashboard.figures.services import INTERVALS
from dashboard.figures.sql import (
    date_range,
    days_between,
    fetch,
    instrument_versions,
    moment_range,
    quarter_sql,
    quintile,
    scope,
    slot_sql,
)
from dashboard.filters import DEFAULT_INSTRUMENT, Filters
from outcomes import statistics as st
from surveys.models import Practice
from surveys.sql import AGE_BANDS, age_band_sql, age_sql, in_sql, json_number_sql


def baseline_by_deprivation(*, filters: Filters) -> dict[str, Any]:
    """Age at referral and baseline score (common questionnaire) by deprivation fifth: do
    people from deprived areas reach us younger and worse?"""
    measure = summaries.measure_resolve(DEFAULT_INSTRUMENT, None, filters.outcome)
    where, params = scope(filters)
    dates, date_params = date_range("e.referred_on", filters)
    versions = sorted(instrument_versions(DEFAULT_INSTRUMENT)) or [0]
    value, value_params = json_number_sql("ir", "outcomes", measure.name)
    age = age_sql("e.referred_on", "p.date_of_birth")
    sql = f"""
        SELECT imd, COUNT(*), SUM(age), SUM(age * age), COUNT(b), SUM(b), SUM(b * b) FROM (
            SELECT (a.imd_decile + 1) / 2 AS imd, {age} AS age, {value} AS b
            FROM surveys_episode e
            JOIN surveys_patient p ON p.id = e.patient_id
            LEFT JOIN surveys_area a ON a.id = p.area_id
            LEFT JOIN surveys_invitation bi
                   ON bi.episode_id = e.id AND bi.timepoint = %s AND bi.status = 'completed'
            LEFT JOIN surveys_response br ON br.invitation_id = bi.id
            LEFT JOIN surveys_instrumentresult ir
                   ON ir.response_id = br.id AND ir.instrument_id {in_sql(versions)}
            WHERE {" AND ".join(where + dates)}
        ) AS referred GROUP BY imd
    """
    found = {
        quintile(imd): (n, sa, saa, nb, sb, sbb)
        for imd, n, sa, saa, nb, sb, sbb in fetch(
            sql, [*value_params, "baseline", *versions, *params, *date_params]
        )
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


def referral_to_assessment(*, filters: Filters) -> dict[str, Any]:
    """Days from referral to the first recorded assessment ("timely assessment and
    diagnosis"), by quarter of referral and by deprivation fifth."""
    where, params = scope(filters)
    dates, date_params = date_range("e.referred_on", filters)
    quarter = quarter_sql("e.referred_on")
    sql = f"""
        SELECT quarter, imd, days, COUNT(*) FROM (
            SELECT {quarter} AS quarter, (a.imd_decile + 1) / 2 AS imd,
                   {days_between("e.referred_on", "first.assessed_on")} AS days
            FROM surveys_episode e
            JOIN surveys_patient p ON p.id = e.patient_id
            LEFT JOIN surveys_area a ON a.id = p.area_id
            JOIN (SELECT episode_id, MIN(occurred_on) AS assessed_on FROM surveys_episodeevent
                  WHERE kind = 'assessment' GROUP BY episode_id) first
              ON first.episode_id = e.id
            WHERE {" AND ".join(where + dates)}
        ) AS waits GROUP BY quarter, imd, days
    """
    counts: dict[tuple[str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    quarters = set()
    for period, imd, days, count in fetch(sql, [*params, *date_params]):
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


def procedure_rates(*, filters: Filters) -> dict[str, Any]:
    """Procedures per 1,000 people referred, by GP practice and deprivation fifth, indirectly
    standardised for age band and sex against every referred patient with this condition."""
    where, params = scope(filters)
    dates, date_params = date_range("e.referred_on", filters)
    age = age_sql("e.referred_on", "p.date_of_birth")
    sql = f"""
        SELECT practice_id, imd, sex, band, COUNT(*), SUM(operated) FROM (
            SELECT p.practice_id AS practice_id, (a.imd_decile + 1) / 2 AS imd, p.sex AS sex,
                   {age_band_sql(age)} AS band,
                   CASE WHEN EXISTS (SELECT 1 FROM surveys_episodeevent ev
                                     WHERE ev.episode_id = e.id AND ev.kind = 'procedure')
                        THEN 1 ELSE 0 END AS operated
            FROM surveys_episode e
            JOIN surveys_patient p ON p.id = e.patient_id
            LEFT JOIN surveys_area a ON a.id = p.area_id
            WHERE {" AND ".join(where + dates)}
        ) AS referred GROUP BY practice_id, imd, sex, band
    """
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


def event_intervals(*, filters: Filters) -> dict[str, Any]:
    """Days between the recorded events of an episode (referral, first assessment, first
    procedure, discharge): median, quartiles and 90th percentile."""
    where, params = scope(filters)
    dates, date_params = date_range("e.referred_on", filters)
    spans = {
        "referral-to-assessment": ("e.referred_on", "x.assessed"),
        "assessment-to-procedure": ("x.assessed", "x.operated"),
        "procedure-to-discharge": ("x.operated", "x.discharged"),
        "referral-to-discharge": ("e.referred_on", "x.discharged"),
    }
    columns = ", ".join(
        f"{days_between(start, end)} AS d{i}" for i, (start, end) in enumerate(spans.values())
    )
    unions = " UNION ALL ".join(
        f"SELECT {i} AS span, d{i} AS days, COUNT(*) AS n FROM spans "
        f"WHERE d{i} IS NOT NULL GROUP BY d{i}"
        for i in range(len(spans))
    )
    sql = f"""
        WITH spans AS (
            SELECT {columns}
            FROM surveys_episode e
            JOIN surveys_patient p ON p.id = e.patient_id
            JOIN (SELECT episode_id,
                         MIN(CASE WHEN kind = 'assessment' THEN occurred_on END) AS assessed,
                         MIN(CASE WHEN kind = 'procedure' THEN occurred_on END) AS operated,
                         MIN(CASE WHEN kind = 'discharge' THEN occurred_on END) AS discharged
                  FROM surveys_episodeevent GROUP BY episode_id) x ON x.episode_id = e.id
            WHERE {" AND ".join(where + dates)}
        )
        {unions}
    """
    names = list(spans)
    counts: dict[tuple[str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for span, days, n in fetch(sql, [*params, *date_params]):
        if days is not None and int(days) >= 0:  # an event dated before the one it follows
            counts[("interval", names[int(span)])][int(days)] += int(n)
    rows = _histogram_rows(counts, {"interval": names})
    for row in rows:
        row["label"] = INTERVALS[row["group"]]
    protected = disclosure.protect(
        rows, partitions=[lambda row: row["group"]], keep_keys=["dimension", "group", "label"]
    )
    return envelope(
        "event_intervals",
        filters,
        protected,
        title="Time between recorded events",
        method=(
            "Episodes referred in the period: days between the referral and the first "
            "assessment, the first assessment and the first procedure, the first procedure and "
            "discharge, and referral and discharge, where both events are recorded (an event "
            "dated before the one it follows is left out). Median, quartiles and 90th "
            "percentile."
        ),
    )


def data_completeness(*, filters: Filters) -> dict[str, Any]:
    """How complete the recorded data are for the condition's episodes referred in the
    period: the fields the figures depend on."""
    where, params = scope(filters)
    dates, date_params = date_range("e.referred_on", filters)
    today = timezone.localdate()
    sql = f"""
        SELECT COUNT(*),
               SUM(CASE WHEN p.area_id IS NOT NULL THEN 1 ELSE 0 END),
               SUM(CASE WHEN p.practice_id IS NOT NULL THEN 1 ELSE 0 END),
               SUM(CASE WHEN p.sex IN ('female', 'male', 'other') THEN 1 ELSE 0 END),
               SUM(CASE WHEN EXISTS (SELECT 1 FROM surveys_episodeevent ev
                   WHERE ev.episode_id = e.id AND ev.kind = 'assessment') THEN 1 ELSE 0 END),
               SUM(CASE WHEN EXISTS (SELECT 1 FROM surveys_invitation bi
                   WHERE bi.episode_id = e.id AND bi.timepoint = 'baseline'
                     AND bi.status <> 'cancelled'
                     AND (bi.status = 'completed' OR bi.closes_on < %s)) THEN 1 ELSE 0 END),
               SUM(CASE WHEN EXISTS (SELECT 1 FROM surveys_invitation bi
                   WHERE bi.episode_id = e.id AND bi.timepoint = 'baseline'
                     AND bi.status = 'completed') THEN 1 ELSE 0 END)
        FROM surveys_episode e
        JOIN surveys_patient p ON p.id = e.patient_id
        WHERE {" AND ".join(where + dates)}
    """
    (total, area, practice, sex, assessed, baseline_due, baseline_done) = fetch(
        sql, [today, *params, *date_params]
    )[0]
    total = int(total or 0)
    items = [
        ("area", "Patient's area known (for deprivation)", area, total),
        ("practice", "GP practice recorded", practice, total),
        ("sex", "Sex recorded", sex, total),
        ("assessment", "An assessment recorded", assessed, total),
        ("baseline", "Baseline questionnaire answered (of those due)", baseline_done, baseline_due),
    ]
    rows = []
    for code, label, complete, of in items:
        complete, of = int(complete or 0), int(of or 0)
        rows.append(
            {
                "item": code,
                "label": label,
                "total": of,
                "complete": complete,
                "incomplete": of - complete,
            }
        )
    protected = disclosure.protect(
        rows,
        count_keys=["complete", "incomplete"],
        partitions=[lambda row: row["item"]],
        rounded_keys=["total", "complete", "incomplete"],
        keep_keys=["item", "label"],
    )
    results = [row | rate_columns("complete", row["complete"], row["total"]) for row in protected]
    return envelope(
        "data_completeness",
        filters,
        results,
        title="Completeness of the recorded data",
        method=(
            "Episodes referred in the period: the share with each field the figures depend on. "
            "Baseline answered: of the baseline invitations answered or whose window has "
            "closed. Wilson 95% intervals."
        ),
    )


def gain_by_procedure(*, filters: Filters) -> dict[str, Any]:
    """Mean change from baseline with and without a recorded procedure (crude: people who have
    an operation differ from those who do not, so this is a description, not an effect)."""
    measure = filters.measure()
    versions = instrument_versions(measure.instrument)
    rows = []
    if versions:
        where, params = scope(filters, episode="pr", patient="pr")
        moments, moment_params = moment_range("pr.followed_up_at", filters)
        b = slot_sql("baseline_values", versions, measure.instrument, measure.kind, measure.name)
        f = slot_sql("follow_up_values", versions, measure.instrument, measure.kind, measure.name)
        sql = f"""
            SELECT operated, COUNT(*), SUM(b), SUM(b * b), SUM(f), SUM(f * f),
                   SUM(f - b), SUM((f - b) * (f - b)) FROM (
                SELECT {b} AS b, {f} AS f,
                       CASE WHEN EXISTS (SELECT 1 FROM surveys_episodeevent ev
                                         WHERE ev.episode_id = pr.episode_id
                                           AND ev.kind = 'procedure') THEN 1 ELSE 0 END
                           AS operated
                FROM surveys_pairedresult pr
                WHERE pr.instrument_id {in_sql(sorted(versions))} AND pr.timepoint = %s
                  AND pr.baseline_timepoint = %s AND {" AND ".join(where + moments)}
            ) AS pairs WHERE b IS NOT NULL AND f IS NOT NULL GROUP BY operated
        """
        found = {
            int(operated): values
            for operated, *values in fetch(
                sql,
                [*sorted(versions), filters.timepoint, "baseline", *params, *moment_params],
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
