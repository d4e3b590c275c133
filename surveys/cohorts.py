"""Cohort read models: one narrow row per episode and per invitation, attributes copied in.

The equity, practice and dashboard figures count episodes and invitations by condition,
provider, practice, age band, sex and deprivation. Joining invitations to episodes, patients
and areas (and looking up each invitation's first message) for every request took seconds at
a million responses (docs/benchmarks.md), so the rows are written once, as ``EpisodeCohort``
and ``InvitationCohort``, by one ``INSERT ... SELECT`` per table that both the live refresh
(a write to an episode, its invitations, events, messages or patient) and the full rebuild
(after a bulk load, and nightly) run: the two can never disagree. As for the paired results
(surveys/pairs.py), the patient's *current* practice, area and sex are copied in, and the age
band is the age at referral, so the cohort figures never contradict the outcome figures.

The invitation rows are selected from the episode rows just written (same transaction), so an
invitation's attributes are by construction those of its episode.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from surveys.models import Episode, RefreshedEpisode
from surveys.pairs import _values_sql, paired_baselines, paired_results_refresh
from surveys.reconcile import rows_reconcile
from surveys.sql import age_band_sql, age_sql, in_sql, time_zone_literal

EPISODE_COLUMNS = (
    "episode_id",
    "pathway_id",
    "provider_id",
    "practice_id",
    "referred_on",
    "status",
    "age_at_referral",
    "age_band",
    "sex",
    "imd_quintile",
    "first_assessment_on",
    "first_procedure_on",
    "discharged_on",
    "baseline_answered_at",
    "baseline_instrument_id",
    "baseline_values",
    "baseline_closes_on",
)

INVITATION_COLUMNS = (
    "invitation_id",
    "episode_id",
    "pathway_id",
    "provider_id",
    "practice_id",
    "timepoint",
    "due_on",
    "closes_on",
    "status",
    "completed_at",
    "channel",
    "age_band",
    "sex",
    "imd_quintile",
    "baseline_answered_at",
)

# A message counts as sent by its channel once it has left the outbox's waiting states (the
# notifications app's statuses, read by table name: surveys does not import notifications).
NOT_HANDED_OVER = ("pending", "held", "cancelled")

# The common questionnaire (every condition, every timepoint): its baseline measures are kept
# on the episode row, for baseline severity by deprivation (dashboard/figures/condition.py).
BASELINE_INSTRUMENT = "mskt-core"

# Episodes per refresh statement: their ids are parameters five times over, well within
# SQLite's 32,766 and PostgreSQL's 65,535 parameters.
CHUNK = 2000


def _where(column: str, ids: list[int] | None) -> str:
    return "1 = 1" if ids is None else f"{column} {in_sql(ids)}"


def _episodes_select(ids: list[int] | None) -> tuple[str, list]:
    """SELECT of the episode rows of these episodes (None: all), and its parameters. The ids
    also restrict the grouped reads of events and baseline responses, so that a refresh reads
    only its own episodes' rows. The baseline is each pathway's first timepoint, as for the
    paired results."""
    baselines = sorted(paired_baselines())
    age = age_sql("e.referred_on", "p.date_of_birth")
    values, values_params = _values_sql("bres", "bins")
    sql = f"""
        SELECT e.id AS episode_id, e.pathway_id, e.provider_id, p.practice_id, e.referred_on,
               e.status, {age} AS age_at_referral, {age_band_sql(age)} AS age_band, p.sex,
               (a.imd_decile + 1) / 2 AS imd_quintile, x.assessed AS first_assessment_on,
               x.operated AS first_procedure_on, x.discharged AS discharged_on,
               b.answered_at AS baseline_answered_at, bres.instrument_id AS baseline_instrument_id,
               {values} AS baseline_values, bc.closes_on AS baseline_closes_on
        FROM surveys_episode e
        JOIN surveys_patient p ON p.id = e.patient_id
        LEFT JOIN surveys_area a ON a.id = p.area_id
        LEFT JOIN (
            SELECT episode_id,
                   MIN(CASE WHEN kind = 'assessment' THEN occurred_on END) AS assessed,
                   MIN(CASE WHEN kind = 'procedure' THEN occurred_on END) AS operated,
                   MIN(CASE WHEN kind = 'discharge' THEN occurred_on END) AS discharged
            FROM surveys_episodeevent
            WHERE {_where("episode_id", ids)}
            GROUP BY episode_id
        ) x ON x.episode_id = e.id
        LEFT JOIN (
            SELECT bi.episode_id AS episode_id, MIN(r.submitted_at) AS answered_at
            FROM surveys_invitation bi
            JOIN surveys_response r ON r.invitation_id = bi.id
            WHERE bi.timepoint {in_sql(baselines)} AND {_where("bi.episode_id", ids)}
            GROUP BY bi.episode_id
        ) b ON b.episode_id = e.id
        LEFT JOIN (
            SELECT bi.episode_id AS episode_id, MIN(ir.id) AS result_id
            FROM surveys_invitation bi
            JOIN surveys_response r ON r.invitation_id = bi.id
            JOIN surveys_instrumentresult ir ON ir.response_id = r.id
            JOIN outcomes_instrument ins ON ins.id = ir.instrument_id AND ins.code = %s
            WHERE bi.timepoint {in_sql(baselines)} AND bi.status = 'completed'
              AND {_where("bi.episode_id", ids)}
            GROUP BY bi.episode_id
        ) bv ON bv.episode_id = e.id
        LEFT JOIN (
            SELECT bi.episode_id AS episode_id, MIN(bi.closes_on) AS closes_on
            FROM surveys_invitation bi
            WHERE bi.timepoint {in_sql(baselines)} AND bi.status <> 'cancelled'
              AND {_where("bi.episode_id", ids)}
            GROUP BY bi.episode_id
        ) bc ON bc.episode_id = e.id
        LEFT JOIN surveys_instrumentresult bres ON bres.id = bv.result_id
        LEFT JOIN outcomes_instrument bins ON bins.id = bres.instrument_id
        WHERE {_where("e.id", ids)}
    """  # noqa: S608
    params = ids or []
    return sql, [
        *values_params,
        *params,
        *baselines,
        *params,
        BASELINE_INSTRUMENT,
        *baselines,
        *params,
        *baselines,
        *params,
        *params,
    ]


def _invitations_select(ids: list[int] | None) -> str:
    """SELECT of the invitation rows of these episodes (None: all; the ids are its parameters),
    from the episode rows (``surveys_episodecohort``) written first. The channel is that of
    the invitation's first invite message handed to a channel; "none" when none was, e.g. a
    questionnaire answered on paper in clinic."""
    statuses = ", ".join(f"'{status}'" for status in NOT_HANDED_OVER)
    return f"""
        SELECT i.id AS invitation_id, i.episode_id AS episode_id, e.pathway_id AS pathway_id,
               e.provider_id AS provider_id, e.practice_id AS practice_id,
               i.timepoint AS timepoint, i.due_on AS due_on, i.closes_on AS closes_on,
               i.status AS status, i.completed_at AS completed_at,
               COALESCE((
                   SELECT n.channel FROM notifications_notification n
                   WHERE n.invitation_id = i.id AND n.kind = 'invite'
                     AND n.status NOT IN ({statuses})
                   ORDER BY n.id LIMIT 1
               ), 'none') AS channel,
               e.age_band AS age_band, e.sex AS sex, e.imd_quintile AS imd_quintile,
               e.baseline_answered_at AS baseline_answered_at
        FROM surveys_invitation i
        JOIN surveys_episodecohort e ON e.episode_id = i.episode_id
        WHERE {_where("e.episode_id", ids)}
    """  # noqa: S608


TALLY_COLUMNS = (
    "pathway_id",
    "provider_id",
    "practice_id",
    "status",
    "due_month",
    "closes_month",
    "completed_month",
)


def _month(column: str) -> str:
    """The first day of a date column's month."""
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {column}) AS date)"
    return f"date({column}, 'start of month')"


def _local_month(column: str) -> str:
    """The first day of the service's local month of a timestamp column (on SQLite the UTC
    month: the activity figure reads the cohort rows there, not the tally)."""
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('month', {column} AT TIME ZONE '{time_zone_literal()}') AS date)"
    return f"date({column}, 'start of month')"


def _tally_keys(alias: str) -> str:
    """The tally's key columns from invitation cohort rows named ``alias``."""
    return (
        f"{alias}.pathway_id AS pathway_id, {alias}.provider_id AS provider_id, "
        f"{alias}.practice_id AS practice_id, {alias}.status AS status, "
        f"{_month(f'{alias}.due_on')} AS due_month, "
        f"{_month(f'{alias}.closes_on')} AS closes_month, "
        f"{_local_month(f'{alias}.completed_at')} AS completed_month"
    )


def _tally_changes(ids: list[int]) -> str:
    """INSERT of the differences the coming rewrite of these episodes' invitation rows makes
    to the tally (their rows now counted -1, the rows about to be written +1), only where a
    count changes; its parameters are ``ids`` twice. Appended rows: no row is ever updated,
    so concurrent writers never wait for one another."""
    columns = ", ".join(TALLY_COLUMNS)
    return f"""
        INSERT INTO surveys_invitationtally ({columns}, n)
        SELECT {columns}, SUM(d) FROM (
            SELECT {_tally_keys("c")}, -1 AS d
            FROM surveys_invitationcohort c WHERE c.episode_id {in_sql(ids)}
            UNION ALL
            SELECT {_tally_keys("w")}, 1 AS d FROM ({_invitations_select(ids)}) w
        ) AS changes
        GROUP BY {columns} HAVING SUM(d) <> 0
    """  # noqa: S608


def _upsert(table: str, key: str, columns: tuple[str, ...], select: str) -> str:
    """INSERT ... SELECT that replaces the rows already there (one statement, no DELETE)."""
    updates = ", ".join(f"{column} = excluded.{column}" for column in columns if column != key)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) {select} "
        f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
    )


@transaction.atomic(savepoint=False)  # inside a caller's transaction: its statements, no savepoint
def cohorts_refresh(*, episode_ids: Iterable[int], live: bool = True) -> int:
    """Rewrite the cohort rows of these episodes and their invitations; returns the episodes.

    Called by every write to an episode, its invitations, events or invite messages, or its
    patient's details. Two statements per CHUNK episodes (the rows are replaced in place; an
    invitation or episode is deleted only with its cohort row, by cascade). ``live``: a write
    while the service serves, noted for the nightly rebuild; not a bulk load or the rebuild.
    """
    ids = sorted(set(episode_ids))
    if live and ids:
        episodes_refreshed_record(episode_ids=ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        episodes, params = _episodes_select(chunk)
        with connection.cursor() as cursor:
            cursor.execute(
                _upsert("surveys_episodecohort", "episode_id", EPISODE_COLUMNS, episodes), params
            )
            cursor.execute(_tally_changes(chunk), [*chunk, *chunk])
            cursor.execute(
                _upsert(
                    "surveys_invitationcohort",
                    "invitation_id",
                    INVITATION_COLUMNS,
                    _invitations_select(chunk),
                ),
                chunk,
            )
    return len(ids)


def episodes_refreshed_record(*, episode_ids: Iterable[int]) -> None:
    """Note episodes (each once) whose read-model rows a live write just refreshed, for the nightly
    rebuild to refresh once more if it is running (surveys/rebuild.py). Every live write
    that refreshes an episode's pairs refreshes its cohort rows too, so it is noted here."""
    RefreshedEpisode.objects.bulk_create(
        [RefreshedEpisode(episode_id=episode_id) for episode_id in episode_ids]
    )


def cohorts_refresh_for_patients(*, patient_ids: Iterable[int]) -> int:
    """Refresh the cohort rows (and the paired results) of every episode of these patients:
    their practice, area, sex or date of birth changed."""
    episode_ids = list(
        Episode.objects.filter(patient_id__in=list(patient_ids)).values_list("pk", flat=True)
    )
    paired_results_refresh(episode_ids=episode_ids)
    return cohorts_refresh(episode_ids=episode_ids)


def cohorts_rebuild() -> int:
    """Bring every cohort row up to date and compact the tally (after a bulk load); returns
    the episodes. The nightly job runs ``cohort_rows_reconcile`` inside surveys/rebuild.py."""
    with transaction.atomic():
        written = cohort_rows_reconcile()
        tally_rebuild()
    cohorts_tidy()
    return written


def cohort_rows_reconcile() -> int:
    """Bring every cohort row up to date, inside the caller's transaction (readers keep
    seeing the old rows until it commits): picks up a changed area's deprivation. Only the
    rows that differ are written (surveys/reconcile.py); a row goes with its episode or
    invitation, by cascade. The tally is not touched: ``tally_rebuild`` counts it afresh.
    Returns the episodes."""
    episodes, params = _episodes_select(None)
    # New rows in the order of the lookup indexes, so that one figure's rows lie on
    # adjacent pages (after a bulk load: all of them).
    written = rows_reconcile(
        table="surveys_episodecohort",
        key=("episode_id",),
        columns=EPISODE_COLUMNS,
        select=episodes,
        params=params,
        order="pathway_id, referred_on",
        delete_missing=False,
    )
    rows_reconcile(
        table="surveys_invitationcohort",
        key=("invitation_id",),
        columns=INVITATION_COLUMNS,
        select=_invitations_select(None),
        params=[],
        order="pathway_id, timepoint, due_on",
        delete_missing=False,
    )
    return written


def tally_rebuild(*, truncate: bool = False) -> int:
    """Count the invitation cohort rows into the tally afresh (one row per key): compacts the
    differences appended since the last rebuild. Returns the keys counted.

    Only the keys whose rows are not already one right count are rewritten, so a quiet night
    writes a few hundred rows, not a second copy of the table (deleting and inserting all
    135,000 rows of a million responses doubled it to 30 MB). The keys hold NULLs (no
    practice, never completed), which a join would not match: the table's rows and the fresh
    counts are set side by side by a window over the keys, which groups NULLs together.

    ``truncate`` (after a bulk load, on PostgreSQL) empties the table and counts afresh,
    giving the space back: a load appends millions of difference rows, and after a DELETE the
    counted rows would sit behind 220 MB of empty pages that every reading scans (49 ms
    against 25 ms for the overview's response rates). TRUNCATE locks the table until the
    transaction ends, so the nightly rebuild of a serving database never truncates."""
    columns = ", ".join(TALLY_COLUMNS)
    keys = ", ".join(str(n) for n in range(1, len(TALLY_COLUMNS) + 1))
    fresh = (
        f"SELECT {_tally_keys('c')}, COUNT(*) AS n FROM surveys_invitationcohort c "  # noqa: S608
        f"GROUP BY {keys}"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if truncate and connection.vendor == "postgresql":
            cursor.execute("TRUNCATE surveys_invitationtally")
            cursor.execute(f"INSERT INTO surveys_invitationtally ({columns}, n) {fresh}")
            return cursor.rowcount
        cursor.execute("DROP TABLE IF EXISTS tally_diff")
        cursor.execute(
            f"""
            CREATE TEMPORARY TABLE tally_diff AS
            SELECT id, {columns}, fresh_n,
                   SUM(now_rows) OVER w AS rows_now, SUM(now_n) OVER w AS n_now,
                   SUM(fresh_n) OVER w AS n_fresh
            FROM (
                SELECT t.id AS id, {", ".join(f"t.{c} AS {c}" for c in TALLY_COLUMNS)},
                       0 AS fresh_n, t.n AS now_n, 1 AS now_rows
                FROM surveys_invitationtally t
                UNION ALL
                SELECT NULL, {columns}, n, 0, 0 FROM ({fresh}) f
            ) side_by_side
            WINDOW w AS (PARTITION BY {columns})
            """  # noqa: S608
        )
        stale = "(rows_now <> 1 OR n_now <> n_fresh OR n_fresh = 0)"
        cursor.execute(
            "DELETE FROM surveys_invitationtally WHERE id IN"  # noqa: S608
            f" (SELECT id FROM tally_diff WHERE id IS NOT NULL AND {stale})"
        )
        cursor.execute(
            f"INSERT INTO surveys_invitationtally ({columns}, n)"  # noqa: S608
            f" SELECT {columns}, fresh_n FROM tally_diff WHERE id IS NULL AND {stale}"
        )
        cursor.execute("SELECT COUNT(*) FROM tally_diff WHERE id IS NULL")
        (counted,) = cursor.fetchone()
        cursor.execute("DROP TABLE tally_diff")
        return counted


COHORT_TABLES = ("surveys_episodecohort", "surveys_invitationcohort", "surveys_invitationtally")


def cohorts_tidy() -> None:
    """Fresh statistics after a rebuild; outside a transaction also VACUUM on PostgreSQL: the
    figures read the cohort indexes alone only where the visibility map marks the pages
    all-visible, which freshly written rows are not until a vacuum (autovacuum gets there
    later, and meanwhile every row is fetched from the table: 3-4 times slower)."""
    if connection.vendor != "postgresql":
        return
    verb = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
    with connection.cursor() as cursor:
        for table in COHORT_TABLES:
            cursor.execute(f"{verb} {table}")


@transaction.atomic
def cohorts_forget(*, episode_ids: Iterable[int]) -> None:
    """Take these episodes out of the cohort rows and the tally (they are being deleted)."""
    ids = sorted(set(episode_ids))
    columns = ", ".join(TALLY_COLUMNS)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO surveys_invitationtally ({columns}, n) "  # noqa: S608
                f"SELECT {_tally_keys('c')}, -COUNT(*) FROM surveys_invitationcohort c "
                f"WHERE c.episode_id {in_sql(chunk)} "
                f"GROUP BY {', '.join(str(n) for n in range(1, len(TALLY_COLUMNS) + 1))}",
                chunk,
            )
            cursor.execute(
                f"DELETE FROM surveys_invitationcohort WHERE episode_id {in_sql(chunk)}",  # noqa: S608
                chunk,
            )
            cursor.execute(
                f"DELETE FROM surveys_episodecohort WHERE episode_id {in_sql(chunk)}",  # noqa: S608
                chunk,
            )
