"""The figures read from the cohort rows equal those joined from the source tables.

The response rates, ages at enrolment, practice enrolment, activity and loss to follow-up used
to join invitations, episodes, patients, areas and the outbox for every request; they now read
``surveys.EpisodeCohort`` and ``surveys.InvitationCohort`` (surveys/cohorts.py). The queries
below are the source-table queries as they were before the change, kept as the reference: on a
synthetic population with messages, events, closures and a changed practice, the two agree.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from analytics import summaries
from analytics.summaries import sql as read_sql
from dashboard.figures import overview
from dashboard.figures import services as figures_services
from dashboard.filters import Filters
from outcomes.models import Pathway
from surveys import reference, services, synthetic
from surveys.models import Episode, Practice, Provider
from surveys.sql import age_band_sql, age_sql, in_sql

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def population(loaded_definitions, settings):
    """Sixty synthetic patients with their messages (the demo's history), one of whom moved to
    another practice after answering."""
    from care.demo import demo_history_write

    settings.DISCLOSURE_MIN_CELL = 1
    settings.DISCLOSURE_ROUND_TO = 1
    reference.areas_load()
    reference.practices_load(mid_notts_only=True)
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC), tick=False):
        context = synthetic.context_from_database(5)
        plans = synthetic.population_plan(context, patients=60, today=TODAY)
        synthetic.population_write(plans, via_services=False, batch_size=25, context=context)
        demo_history_write()
        moved = Episode.objects.filter(invitations__status="completed").first().patient
        services.patient_update(
            patient=moved, by=None, practice=Practice.objects.exclude(patients=moved).first()
        )
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC), tick=False):
        yield


def _fetch(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _scope(pathway_ids, provider_id, practice_id):
    where = [f"e.pathway_id {in_sql(pathway_ids)}"]
    params = [*pathway_ids]
    if provider_id is not None:
        where.append("e.provider_id = %s")
        params.append(provider_id)
    if practice_id is not None:
        where.append("p.practice_id = %s")
        params.append(practice_id)
    return where, params


def _dates(column, query):
    where, params = [], []
    if query.period.start:
        where.append(f"{column} >= %s")
        params.append(query.period.start)
    if query.period.end:
        where.append(f"{column} < %s")
        params.append(query.period.end)
    return where, params


def source_invitation_rows(query, provider_id, practice_id):
    pathway_ids = read_sql._pathway_ids(query.condition) or [0]
    where, params = _scope(pathway_ids, provider_id, practice_id)
    where += [
        "i.timepoint IN (%s, %s)",
        "i.status <> 'cancelled'",
        "(i.status = 'completed' OR i.closes_on < %s)",
    ]
    params += [query.baseline_timepoint, query.timepoint, timezone.localdate()]
    dates, date_params = _dates("i.due_on", query)
    period_sql, period_params = read_sql._period_sql("i.due_on", query.series, date=True)
    age = age_sql("e.referred_on", "p.date_of_birth")
    sql = f"""
        SELECT i.timepoint, e.provider_id, (a.imd_decile + 1) / 2, {age_band_sql(age)}, p.sex,
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
        WHERE {" AND ".join(where + dates)}
        GROUP BY 1, 2, 3, 4, 5, 6, 7
    """  # noqa: S608
    return _fetch(sql, [*period_params, *params, *date_params])


def source_enrolment_age_rows(query, provider_id, practice_id):
    pathway_ids = read_sql._pathway_ids(query.condition) or [0]
    where, params = _scope(pathway_ids, provider_id, practice_id)
    dates, date_params = _dates("e.referred_on", query)
    period_sql, period_params = read_sql._period_sql("e.referred_on", query.series, date=True)
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
    return _fetch(sql, [*period_params, *params, *date_params])


def source_practice_enrolment_rows(query, provider_id):
    pathway_ids = read_sql._pathway_ids(query.condition) or [0]
    where, params = _scope(pathway_ids, provider_id, None)
    dates, date_params = _dates("e.referred_on", query)
    period_sql, period_params = read_sql._period_sql("e.referred_on", query.series, date=True)
    age = age_sql("e.referred_on", "p.date_of_birth")
    sql = f"""
        SELECT period, practice_id, sex, age_band, COUNT(*) FROM (
            SELECT {period_sql} AS period, p.practice_id AS practice_id, p.sex AS sex,
                   {age_band_sql(age)} AS age_band
            FROM surveys_episode e
            JOIN surveys_patient p ON p.id = e.patient_id
            WHERE {" AND ".join(where + dates)} AND p.practice_id IS NOT NULL
        ) AS enrolled GROUP BY period, practice_id, sex, age_band
    """  # noqa: S608
    return _fetch(sql, [*period_params, *params, *date_params])


def _rows(rows):
    return sorted(tuple(str(value) for value in row) for row in rows)


def _queries():
    """Each condition; a provider, a practice, a year, and monthly and quarterly series."""
    provider = Provider.objects.order_by("pk").first().pk
    practice = (
        Episode.objects.filter(patient__practice__isnull=False)
        .values_list("patient__practice_id", flat=True)
        .first()
    )
    year = summaries.period_parse(date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 12, 31))
    for condition in ("knee-pain", "back-pain", "fibromyalgia"):
        base = summaries.OutcomeQuery(condition=condition, measure=summaries.measure_resolve())
        yield base, None, None
        yield base, provider, None
        yield base, None, practice
        yield (
            summaries.OutcomeQuery(
                condition=condition, measure=base.measure, period=year, series="month"
            ),
            None,
            None,
        )
        yield (
            summaries.OutcomeQuery(
                condition=condition, measure=base.measure, timepoint="3-months", series="quarter"
            ),
            provider,
            None,
        )


def test_the_population_has_channels_closures_and_answers(population):
    from surveys.models import InvitationCohort

    channels = set(InvitationCohort.objects.values_list("channel", flat=True))
    statuses = set(InvitationCohort.objects.values_list("status", flat=True))
    assert {"none", "sms"} <= channels and len(channels) >= 3
    assert {"completed", "expired"} <= statuses


def test_response_rates_read_from_the_cohort_equal_those_from_the_source_tables(population):
    compared = 0
    for query, provider_id, practice_id in _queries():
        cohort = read_sql.invitation_rows(query, provider_id, practice_id)
        source = source_invitation_rows(query, provider_id, practice_id)
        assert _rows(cohort) == _rows(source), (query, provider_id, practice_id)
        compared += len(cohort)
    assert compared > 100


def test_ages_at_enrolment_read_from_the_cohort_equal_those_from_the_source_tables(population):
    compared = 0
    for query, provider_id, practice_id in _queries():
        cohort = read_sql.enrolment_age_rows(query, provider_id, practice_id)
        source = source_enrolment_age_rows(query, provider_id, practice_id)
        assert _rows(cohort) == _rows(source), (query, provider_id, practice_id)
        compared += len(cohort)
    assert compared > 20


def test_practice_enrolment_read_from_the_cohort_equals_that_from_the_source_tables(population):
    compared = 0
    for query, provider_id, _ in _queries():
        cohort = read_sql.practice_enrolment_rows(query, provider_id)
        source = source_practice_enrolment_rows(query, provider_id)
        assert _rows(cohort) == _rows(source), (query, provider_id)
        compared += len(cohort)
    assert compared > 20


def _filters():
    provider = Provider.objects.order_by("pk").first().ods_code
    practice = (
        Practice.objects.filter(patients__episodes__isnull=False)
        .values_list("ods_code", flat=True)
        .first()
    )
    for condition in ("knee-pain", "back-pain"):
        yield Filters(condition=condition)
        yield Filters(condition=condition, provider=provider)
        yield Filters(condition=condition, practice=practice)
        yield Filters(condition=condition, period="2025Q3", timepoint="3-months")


def _source_scope(filters, *, condition=True):
    where, params = [], []
    if condition:
        ids = list(
            Pathway.objects.filter(condition__code=filters.condition).values_list("id", flat=True)
        ) or [0]
        where.append(f"e.pathway_id {in_sql(ids)}")
        params += ids
    if filters.provider:
        where.append("e.provider_id = %s")
        params.append(Provider.objects.get(ods_code=filters.provider).pk)
    if filters.practice:
        where.append("p.practice_id = %s")
        params.append(Practice.objects.get(ods_code=filters.practice).pk)
    return where, params


def _period(filters):
    return summaries.period_parse(filters.period)


def test_activity_read_from_the_cohort_equals_that_from_the_source_tables(population):
    conditions = dict(Pathway.objects.values_list("id", "condition__code"))
    for filters in _filters():
        where, params = _source_scope(filters, condition=False)
        period = _period(filters)
        dates, date_params = _dates("e.referred_on", period_query(period))
        enrolled = {}
        for pathway, count in _fetch(
            f"SELECT e.pathway_id, COUNT(*) FROM surveys_episode e "  # noqa: S608
            f"JOIN surveys_patient p ON p.id = e.patient_id "
            f"WHERE {' AND '.join(['1 = 1', *where, *dates])} GROUP BY e.pathway_id",
            [*params, *date_params],
        ):
            code = conditions[pathway]
            enrolled[code] = enrolled.get(code, 0) + count
        start, end = period.bounds()
        due, due_params = _dates("i.due_on", period_query(period))
        done, done_params = [], []
        if start:
            done.append("i.completed_at >= %s")
            done_params.append(connection.ops.adapt_datetimefield_value(start))
        if end:
            done.append("i.completed_at < %s")
            done_params.append(connection.ops.adapt_datetimefield_value(end))
        due_sql = " AND ".join(["1 = 1", *due])
        done_sql = " AND ".join(["1 = 1", *done])
        invited = {}
        for pathway, *counts in _fetch(
            f"""
            SELECT e.pathway_id,
                   SUM(CASE WHEN i.status <> 'cancelled'
                             AND (i.status = 'completed' OR i.closes_on < %s) AND {due_sql}
                            THEN 1 ELSE 0 END),
                   SUM(CASE WHEN i.status = 'completed' AND {due_sql} THEN 1 ELSE 0 END),
                   SUM(CASE WHEN i.status = 'completed' AND {done_sql} THEN 1 ELSE 0 END)
            FROM surveys_invitation i
            JOIN surveys_episode e ON e.id = i.episode_id
            JOIN surveys_patient p ON p.id = e.patient_id
            WHERE {" AND ".join(["1 = 1", *where])}
            GROUP BY e.pathway_id
            """,  # noqa: S608
            [timezone.localdate(), *due_params, *due_params, *done_params, *params],
        ):
            code = conditions[pathway]
            totals = invited.setdefault(code, [0, 0, 0])
            for n, count in enumerate(counts):
                totals[n] += int(count or 0)

        published = overview.condition_activity(filters=filters)["results"]

        for row in published:
            code = row["condition"]
            invitations = invited.get(code, [0, 0, 0])
            assert (row["enrolled"], row["invited"], row["responded"], row["answered"]) == (
                enrolled.get(code, 0),
                *invitations,
            ), (filters, code)
    assert any(row["answered"] for row in published)


def period_query(period):
    return summaries.OutcomeQuery(
        condition="knee-pain", measure=summaries.measure_resolve(), period=period
    )


def test_loss_to_follow_up_read_from_the_cohort_equals_that_from_the_source_tables(population):
    compared = 0
    for filters in _filters():
        where, params = _source_scope(filters)
        dates, date_params = _dates("fi.due_on", period_query(_period(filters)))
        source = {
            "unknown" if imd is None else str(int(imd)): (int(due), int(answered or 0))
            for imd, due, answered in _fetch(
                f"""
                SELECT (a.imd_decile + 1) / 2, COUNT(*),
                       SUM(CASE WHEN fi.status = 'completed' THEN 1 ELSE 0 END)
                FROM surveys_invitation fi
                JOIN surveys_episode e ON e.id = fi.episode_id
                JOIN surveys_patient p ON p.id = e.patient_id
                LEFT JOIN surveys_area a ON a.id = p.area_id
                WHERE fi.timepoint = %s AND fi.status <> 'cancelled'
                  AND (fi.status = 'completed' OR fi.closes_on < %s)
                  AND EXISTS (SELECT 1 FROM surveys_invitation bi WHERE bi.episode_id = e.id
                              AND bi.timepoint = 'baseline' AND bi.status = 'completed')
                  AND {" AND ".join(where + dates)}
                GROUP BY (a.imd_decile + 1) / 2
                """,  # noqa: S608
                [filters.timepoint, timezone.localdate(), *params, *date_params],
            )
        }

        published = figures_services.loss_to_follow_up(filters=filters)["results"]

        for row in published:
            due, answered = source.get(row["imd_quintile"], (0, 0))
            assert (row["followed_up_due"], row["answered"]) == (due, answered), filters
            compared += due
    assert compared > 10
