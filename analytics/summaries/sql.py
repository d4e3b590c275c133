"""All the SQL of the outcome analytics, in one place.

Each function returns rows of plain tuples (aggregates only: no identifier is ever selected)
or a fragment and its parameters. Only fixed SQL fragments are interpolated; every value is
a query parameter. SQLite (demo, tests) and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from analytics.summaries.query import Measure, OutcomeQuery, Period, QueryError
from outcomes import statistics as st
from outcomes.loading import catalogue
from outcomes.models import Condition, Pathway
from surveys.pairs import measure_slots
from surveys.sql import age_band_sql, age_sql, in_sql, json_number_sql


def _pathway_ids(condition: str) -> list[int]:
    if not Condition.objects.filter(code=condition).exists():
        raise QueryError(f"No condition '{condition}' is defined.")
    return list(Pathway.objects.filter(condition__code=condition).values_list("id", flat=True))


def _check_timepoints(query: OutcomeQuery) -> None:
    codes = {
        timepoint.code
        for pathway in catalogue().pathways.values()
        if pathway.condition == query.condition
        for timepoint in pathway.timepoints
    }
    for name in ("timepoint", "baseline_timepoint"):
        value = getattr(query, name)
        if value not in codes:
            raise QueryError(
                f"'{name}' must be one of the {query.condition} pathway's timepoints "
                f"({', '.join(sorted(codes))}), not '{value}'."
            )
    if query.timepoint == query.baseline_timepoint:
        raise QueryError("'timepoint' and 'baseline_timepoint' must differ.")


def _period_label(value: Any, series: str | None) -> str | None:
    """'2026-03' or '2026Q1' for the start of a month or quarter (labels pass through)."""
    if not isinstance(value, dt.date):
        return value
    if series == "quarter":
        return f"{value.year}Q{(value.month - 1) // 3 + 1}"
    return f"{value.year:04d}-{value.month:02d}"


def _period_sql(column: str, series: str | None, *, date: bool = False) -> tuple[str, list[Any]]:
    """Month ('2026-03') or quarter ('2026Q1') of a timestamp in the service's time zone, or of
    a date column (``date=True``: a local date already, so no time-zone shift). On PostgreSQL a
    timestamp's period comes back as its first moment, for ``_period_label`` to name: twice
    as quick as ``to_char`` over every pair of a series."""
    if not series:
        return "NULL", []
    if connection.vendor == "postgresql":
        if date:
            fmt = "YYYY-MM" if series == "month" else 'YYYY"Q"Q'
            return f"to_char({column}, '{fmt}')", []
        return f"date_trunc(%s, {column} AT TIME ZONE %s)", [series, settings.TIME_ZONE]
    # SQLite stores UTC text; month boundaries are UTC here (local demo and tests only).
    if series == "month":
        return f"strftime('%%Y-%%m', {column})", []
    return (
        f"(strftime('%%Y', {column}) || 'Q' || "
        f"((CAST(strftime('%%m', {column}) AS INTEGER) + 2) / 3))",
        [],
    )


def _date_period_sql(column: str, series: str | None) -> tuple[str, list[Any]]:
    """The period of a date column, for ``_period_label`` to name: on PostgreSQL its first day
    (``date_trunc`` of the date as a timestamp, no time zone), a third quicker than
    ``to_char`` over a condition's 170,000 episodes; elsewhere the label itself."""
    if series and connection.vendor == "postgresql":
        return f"date_trunc(%s, CAST({column} AS timestamp))", [series]
    return _period_sql(column, series, date=True)


def _datetime_param(value: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _values_sql(measure: Measure, baseline: str, follow_up: str) -> tuple[str, list[Any]]:
    """The b and f (and, for a harmonised outcome with a MIC, mb and mf) columns of a pair of
    instrument results ``baseline`` and ``follow_up`` (table aliases)."""
    column = "outcomes" if measure.kind == "outcome" else "scores"
    value_b, params_b = json_number_sql(baseline, column, measure.name)
    value_f, params_f = json_number_sql(follow_up, column, measure.name)
    sql, params = f"{value_b} AS b, {value_f} AS f", [*params_b, *params_f]
    if measure.mic is not None and measure.kind == "outcome":
        mic_b, p_mb = json_number_sql(baseline, "scores", measure.mic_score)
        mic_f, p_mf = json_number_sql(follow_up, "scores", measure.mic_score)
        sql += f", {mic_b} AS mb, {mic_f} AS mf"
        params += [*p_mb, *p_mf]
    return sql, params


def _period_where(period: Period, column: str, where: list[str], params: list[Any]) -> None:
    """Restrict a timestamp column to the period (half-open, local midnights)."""
    start, end = period.bounds()
    if start:
        where.append(f"{column} >= %s")
        params.append(_datetime_param(start))
    if end:
        where.append(f"{column} < %s")
        params.append(_datetime_param(end))


def slot_sql(column: str, versions: dict[int, str], instrument: str, kind: str, name: str) -> str:
    """SQL for one measure in a paired-result array column, by the row's instrument version
    (NULL where a version lacks the measure). Only integers are interpolated."""
    slots = {}
    for pk, version in versions.items():
        try:
            layout = measure_slots(catalogue().instrument(instrument, version))
        except KeyError:  # a version in the database but no longer in the definition files
            continue
        if (kind, name) in layout:
            slots[pk] = layout.index((kind, name))

    def element(slot: int) -> str:
        if connection.vendor == "postgresql":
            return f"pr.{column}[{slot + 1}]"
        return f"json_extract(pr.{column}, '$[{slot}]')"

    if not slots:
        return "NULL"
    if len(set(slots.values())) == 1 and len(slots) == len(versions):
        return element(next(iter(slots.values())))
    whens = " ".join(f"WHEN {int(pk)} THEN {element(slot)}" for pk, slot in slots.items())
    return f"CASE pr.instrument_id {whens} END"


def _pairs_from_read_model(
    query: OutcomeQuery,
    pathway_ids: list[int],
    versions: dict[int, str],
    by_practice: bool,
    by_provider: bool = True,
    keep_provider: int | None = None,
) -> tuple[str, list[Any]]:
    """Pairs from ``surveys_pairedresult`` (surveys/pairs.py): one index range, no joins."""
    measure = query.measure

    def slot(column: str, kind: str, name: str | None) -> str:
        return slot_sql(column, versions, measure.instrument, kind, name or "")

    values = (
        f"{slot('baseline_values', measure.kind, measure.name)} AS b, "
        f"{slot('follow_up_values', measure.kind, measure.name)} AS f"
    )
    if measure.mic is not None and measure.kind == "outcome":
        values += (
            f", {slot('baseline_values', 'score', measure.mic_score)} AS mb"
            f", {slot('follow_up_values', 'score', measure.mic_score)} AS mf"
        )
    period_sql, period_params = _period_sql("pr.followed_up_at", query.series)
    instrument_ids = sorted(versions)
    where = [
        f"pr.instrument_id {in_sql(instrument_ids)}",
        "pr.timepoint = %s",
        "pr.baseline_timepoint = %s",
        f"pr.pathway_id {in_sql(pathway_ids)}",
    ]
    params: list[Any] = [
        *instrument_ids,
        query.timepoint,
        query.baseline_timepoint,
        *pathway_ids,
    ]
    _period_where(query.period, "pr.followed_up_at", where, params)
    practice_col = "pr.practice_id" if by_practice else "NULL"
    provider_col, provider_params = _provider_sql("pr.provider_id", by_provider, keep_provider)
    # Only fixed SQL fragments are interpolated below; every value is a query parameter.
    sql = f"""
        SELECT {provider_col} AS provider_id, {practice_col} AS practice_id,
               {period_sql} AS period, pr.age_band AS age_band, pr.sex AS sex,
               pr.imd_quintile AS imd_quintile, {values}
        FROM surveys_pairedresult pr
        WHERE {" AND ".join(where)}
    """  # noqa: S608
    return sql, [*provider_params, *period_params, *params]


def _provider_sql(column: str, by_provider: bool, keep: int | None) -> tuple[str, list[Any]]:
    """A pair's provider: its own; or, not by provider, only that of the provider kept apart
    (the one a caller filters by), NULL for every other."""
    if by_provider:
        return column, []
    if keep is not None:
        return f"CASE WHEN {column} = %s THEN {column} END", [keep]
    return "NULL", []


def _pairs_from_responses(
    query: OutcomeQuery,
    pathway_ids: list[int],
    versions: dict[int, str],
    by_practice: bool,
    by_provider: bool = True,
    keep_provider: int | None = None,
) -> tuple[str, list[Any]]:
    """Pairs joined from the responses themselves: for a baseline timepoint the read model
    does not hold. Same pairing rule as surveys/pairs.py (same episode, same instrument code)."""
    period_sql, period_params = _period_sql("frs.submitted_at", query.series)
    values, value_params = _values_sql(query.measure, "br", "fr")
    age = age_sql("e.referred_on", "p.date_of_birth")
    instrument_ids = sorted(versions)
    where = [
        "fi.timepoint = %s",
        "bi.timepoint = %s",
        f"e.pathway_id {in_sql(pathway_ids)}",
        f"fr.instrument_id {in_sql(instrument_ids)}",
        f"br.instrument_id {in_sql(instrument_ids)}",
    ]
    params: list[Any] = [
        query.timepoint,
        query.baseline_timepoint,
        *pathway_ids,
        *instrument_ids,
        *instrument_ids,
    ]
    _period_where(query.period, "frs.submitted_at", where, params)
    practice_col = "p.practice_id" if by_practice else "NULL"
    provider_col, provider_params = _provider_sql("e.provider_id", by_provider, keep_provider)
    # Only fixed SQL fragments are interpolated below; every value is a query parameter.
    sql = f"""
        SELECT {provider_col} AS provider_id, {practice_col} AS practice_id,
               {period_sql} AS period, {age_band_sql(age)} AS age_band, p.sex AS sex,
               (a.imd_decile + 1) / 2 AS imd_quintile, {values}
        FROM surveys_instrumentresult fr
        JOIN surveys_response frs ON frs.id = fr.response_id
        JOIN surveys_invitation fi ON fi.id = frs.invitation_id
        JOIN surveys_episode e ON e.id = fi.episode_id
        JOIN surveys_patient p ON p.id = e.patient_id
        LEFT JOIN surveys_area a ON a.id = p.area_id
        JOIN surveys_invitation bi ON bi.episode_id = e.id
        JOIN surveys_response brs ON brs.invitation_id = bi.id
        JOIN surveys_instrumentresult br ON br.response_id = brs.id
        WHERE {" AND ".join(where)}
    """  # noqa: S608
    return sql, [*provider_params, *period_params, *value_params, *params]


def _scope_sql(
    query: OutcomeQuery, provider_id, practice_id, *, cohort: str
) -> tuple[list[str], list[Any]]:
    """The condition's pathways, the provider and the practice, on a cohort table's alias."""
    pathway_ids = _pathway_ids(query.condition) or [0]
    where = [f"{cohort}.pathway_id {in_sql(pathway_ids)}"]
    params: list[Any] = [*pathway_ids]
    if provider_id is not None:
        where.append(f"{cohort}.provider_id = %s")
        params.append(provider_id)
    if practice_id is not None:
        where.append(f"{cohort}.practice_id = %s")
        params.append(practice_id)
    return where, params


AGGREGATE_WORK_MEM = "64MB"  # per grouping of one aggregate query, for its duration


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple]:
    """Run one aggregate query. On PostgreSQL JIT compilation is switched off for it: these
    queries are costed high enough to trigger JIT, which then spends ~0.5 s compiling
    expressions for a query that runs in about the same time without it. And it may use
    AGGREGATE_WORK_MEM for its grouping: the planner multiplies the columns' distinct values
    into ~176,000 groups where a monthly series of response rates has ~10,500, and with the
    default 4 MB sorts 286,000 rows on disk instead of hashing them (1.1 s against 0.25 s at
    a million responses, docs/benchmarks.md)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL jit = off")
            cursor.execute(f"SET LOCAL work_mem = '{AGGREGATE_WORK_MEM}'")
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def _date_range_sql(column: str, query: OutcomeQuery) -> tuple[list[str], list[Any]]:
    """The request's period on a date column (referral date, due date), half-open."""
    where, params = [], []
    if query.period.start:
        where.append(f"{column} >= %s")
        params.append(query.period.start)
    if query.period.end:
        where.append(f"{column} < %s")
        params.append(query.period.end)
    return where, params


def _organisations(model, ids: Iterable[int | None]) -> dict[int, tuple[str, str]]:
    ids = {i for i in ids if i is not None}
    return {
        pk: (ods, name)
        for pk, ods, name in model.objects.filter(pk__in=ids).values_list("pk", "ods_code", "name")
    }


def _id_for(model, ods_code: str | None, what: str) -> int | None:
    if not ods_code:
        return None
    pk = model.objects.filter(ods_code=ods_code).values_list("pk", flat=True).first()
    if pk is None:
        raise QueryError(f"No {what} with ODS code '{ods_code}'.")
    return pk


ANY_CHANGE = 1e-9  # a change smaller than this (floating-point noise) counts as no change


def cell_sums_sql(measure: Measure, inner: str, inner_params: list[Any]) -> tuple[str, list[Any]]:
    """Per-cell count, sums, MIC classes and any-change classes over the pairs of ``inner``.

    MIC classes are judged on the native score the MIC belongs to (mb, mf for a harmonised
    outcome); any-change classes (the NHS PROMs rule: improved if the score moved at all in
    the better direction) on the measure itself."""
    mic_columns = measure.mic is not None and measure.kind == "outcome"
    class_columns = ", 0, 0"
    class_params: list[Any] = []
    if measure.mic is not None:
        direction = 1 if measure.mic_higher_is_better else -1
        change = "(mf - mb) * %s" if mic_columns else "(f - b) * %s"
        class_columns = (
            f", SUM(CASE WHEN {change} >= %s THEN 1 ELSE 0 END)"
            f", SUM(CASE WHEN {change} <= %s THEN 1 ELSE 0 END)"
        )
        class_params = [
            direction,
            measure.mic - st.MIC_TOLERANCE,
            direction,
            -measure.mic + st.MIC_TOLERANCE,
        ]
    sign = 1 if measure.higher_is_better else -1
    any_columns = (
        ", SUM(CASE WHEN (f - b) * %s > %s THEN 1 ELSE 0 END)"
        ", SUM(CASE WHEN (f - b) * %s < %s THEN 1 ELSE 0 END)"
    )
    any_params = [sign, ANY_CHANGE, sign, -ANY_CHANGE]
    # OFFSET 0 keeps PostgreSQL from folding the pairs query into this one, which would read
    # each value out of its array once for every use below (b and f six times each): 78 ms
    # against 59 ms for the practices' cells at a million responses.
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    sql = f"""
        SELECT provider_id, practice_id, period, age_band, sex, imd_quintile, COUNT(*),
               SUM(b), SUM(f), SUM(b * b), SUM(b * f), SUM(f * f){class_columns}{any_columns}
        FROM ({inner}{fence}) AS pairs
        WHERE b IS NOT NULL AND f IS NOT NULL
        GROUP BY provider_id, practice_id, period, age_band, sex, imd_quintile
    """  # noqa: S608
    # Parameters in text order: the outer classes, then the inner query's.
    return sql, [*class_params, *any_params, *inner_params]


def enrolment_age_rows(query: OutcomeQuery, provider_id, practice_id) -> list[tuple]:
    """(period, IMD quintile, n, Σ age, Σ age²) of episodes referred in the period, age at
    referral. From the episode cohort rows (surveys/cohorts.py): one index range, no joins."""
    where, params = _scope_sql(query, provider_id, practice_id, cohort="c")
    dates, date_params = _date_range_sql("c.referred_on", query)
    period_sql, period_params = _period_sql("c.referred_on", query.series, date=True)
    sql = f"""
        SELECT period, imd_quintile, COUNT(*), SUM(age), SUM(age * age) FROM (
            SELECT {period_sql} AS period, c.imd_quintile AS imd_quintile,
                   CAST(c.age_at_referral AS integer) AS age
            FROM surveys_episodecohort c
            WHERE {" AND ".join(where + dates)}
        ) AS enrolled GROUP BY period, imd_quintile
    """  # noqa: S608
    return _fetch(sql, [*period_params, *params, *date_params])


def practice_enrolment_rows(query: OutcomeQuery, provider_id) -> list[tuple]:
    """(period, practice, sex, age band, n) of episodes referred in the period whose patient
    has a practice: the numerators of the practices' enrolment rates. From the episode
    cohort rows (surveys/cohorts.py)."""
    where, params = _scope_sql(query, provider_id, None, cohort="c")
    dates, date_params = _date_range_sql("c.referred_on", query)
    period_sql, period_params = _date_period_sql("c.referred_on", query.series)
    sql = f"""
        SELECT period, practice_id, sex, age_band, COUNT(*) FROM (
            SELECT {period_sql} AS period, c.practice_id AS practice_id, c.sex AS sex,
                   c.age_band AS age_band
            FROM surveys_episodecohort c
            WHERE {" AND ".join(where + dates)} AND c.practice_id IS NOT NULL
        ) AS enrolled GROUP BY period, practice_id, sex, age_band
    """  # noqa: S608
    rows = _fetch(sql, [*period_params, *params, *date_params])
    return [(_period_label(period, query.series), *rest) for period, *rest in rows]


def invitation_rows(query: OutcomeQuery, provider_id, practice_id) -> list[tuple]:
    """Invitations and responses of the baseline and follow-up timepoints, one row per
    (timepoint, provider, IMD quintile, age band, sex, channel, period): the response-rate
    tables and the response model (weighting) both read this one aggregate.

    Counted once the window has closed (or the patient answered); cancelled invitations are
    left out; the period applies to the due date. The channel is that of the invitation's
    first invite message handed to a channel, "none" when no message was sent, e.g. a
    questionnaire answered on paper in clinic. From the invitation cohort rows
    (surveys/cohorts.py), which hold the channel and the episode's attributes: one index
    range, no joins."""
    where, params = _scope_sql(query, provider_id, practice_id, cohort="i")
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
    sql = f"""
        SELECT i.timepoint, i.provider_id, i.imd_quintile, i.age_band, i.sex, i.channel,
               {period_sql},
               COUNT(*), SUM(CASE WHEN i.status = 'completed' THEN 1 ELSE 0 END)
        FROM surveys_invitationcohort i
        WHERE {" AND ".join(where)}
        GROUP BY 1, 2, 3, 4, 5, 6, 7
    """  # noqa: S608
    return _fetch(sql, [*period_params, *params])
