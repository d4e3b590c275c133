"""Paired results: each follow-up result beside the same episode's baseline result.

The outcome figures (analytics/summaries/) compare a follow-up with the baseline of the same
episode and instrument. Joining invitations, responses and results twice for every request
took seconds at a million responses (docs/benchmarks.md), so the pairs are written once, as
rows of ``PairedResult``, by one SQL statement that both the live path (a response is stored)
and a full rebuild (after a bulk load, and nightly) use: the two can never pair differently.

A pair is a result of a pathway's *baseline* timepoint (the first timepoint of a pathway) and
a result of another timepoint of the same episode with the same instrument code (any version).
Comparisons against another starting point (``baseline_timepoint=3-months``) are answered from
the source tables directly, more slowly.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from outcomes.loading import catalogue
from outcomes.specs import InstrumentSpec
from surveys.reconcile import rows_reconcile
from surveys.sql import age_band_at_sql, in_sql, json_number_sql


def measure_slots(spec: InstrumentSpec) -> tuple[tuple[str, str], ...]:
    """The measures of an instrument version in the order the paired-result arrays hold them
    (surveys/pairs.py): its numeric scores, then the outcomes it informs. A published version
    never changes, so neither do its slots."""
    slots = [("score", score.name) for score in spec.scores if score.kind == "number"]
    outcomes = dict.fromkeys(rule.outcome for rule in spec.harmonisation)
    return tuple(slots + [("outcome", outcome) for outcome in outcomes])


def paired_baselines() -> frozenset[str]:
    """Timepoints the paired-result read model starts from: each pathway's first timepoint."""
    return frozenset(p.timepoints[0].code for p in catalogue().pathways.values())


COLUMNS = (
    "episode_id",
    "baseline_result_id",
    "follow_up_result_id",
    "pathway_id",
    "instrument_id",
    "baseline_timepoint",
    "timepoint",
    "provider_id",
    "practice_id",
    "age_band",
    "sex",
    "imd_quintile",
    "followed_up_at",
    "baseline_values",
    "follow_up_values",
)
KEY = ("follow_up_result_id", "baseline_result_id")  # the unique constraint paired_result_once
# The order of the summary index (paired_result_lookup) that the pairs are laid out in.
ORDER = "instrument_id, timepoint, baseline_timepoint, pathway_id, followed_up_at"


def _values_sql(result: str, instrument: str = "fins") -> tuple[str, list]:
    """SQL for the measures of result ``result`` (an instrumentresult alias) as an array in
    the slots of the instrument version ``instrument`` (an outcomes_instrument alias; the
    follow-up's for pairs) (measure_slots)."""
    branches, params = [], []
    for (code, version), spec in sorted(catalogue().instruments.items()):
        values, keys = [], []
        for kind, name in measure_slots(spec):
            value, key = json_number_sql(result, "scores" if kind == "score" else "outcomes", name)
            values.append(value)
            keys += key
        if connection.vendor == "postgresql":
            array = f"ARRAY[{', '.join(values)}]::double precision[]"
        else:
            array = f"json_array({', '.join(values)})"
        branches.append(f"WHEN {instrument}.code = %s AND {instrument}.version = %s THEN {array}")
        params += [code, version, *keys]
    return f"CASE {' '.join(branches)} END", params


def _pairs_select(where: str) -> tuple[str, list]:
    """SELECT of every pair within episodes matching ``where`` (fixed SQL), and the
    parameters that come before the WHERE clause's own."""
    baselines = sorted(paired_baselines())
    baseline_values, baseline_params = _values_sql("br")
    follow_up_values, follow_up_params = _values_sql("fr")
    sql = f"""
        SELECT e.id AS episode_id, br.id AS baseline_result_id, fr.id AS follow_up_result_id,
               e.pathway_id, fr.instrument_id, bi.timepoint AS baseline_timepoint,
               fi.timepoint AS timepoint, e.provider_id, p.practice_id,
               {age_band_at_sql("e.referred_on", "p.date_of_birth")} AS age_band,
               p.sex, (a.imd_decile + 1) / 2 AS imd_quintile, frs.submitted_at AS followed_up_at,
               {baseline_values} AS baseline_values, {follow_up_values} AS follow_up_values
        FROM surveys_episode e
        JOIN surveys_patient p ON p.id = e.patient_id
        LEFT JOIN surveys_area a ON a.id = p.area_id
        JOIN surveys_invitation bi
          ON bi.episode_id = e.id AND bi.timepoint {in_sql(baselines)}
        JOIN surveys_response brs ON brs.invitation_id = bi.id
        JOIN surveys_instrumentresult br ON br.response_id = brs.id
        JOIN outcomes_instrument bins ON bins.id = br.instrument_id
        JOIN surveys_invitation fi ON fi.episode_id = e.id AND fi.timepoint <> bi.timepoint
        JOIN surveys_response frs ON frs.invitation_id = fi.id
        JOIN surveys_instrumentresult fr ON fr.response_id = frs.id
        JOIN outcomes_instrument fins ON fins.id = fr.instrument_id AND fins.code = bins.code
        WHERE {where}
    """  # noqa: S608
    return sql, [*baseline_params, *follow_up_params, *baselines]


def _insert(where: str, params: list, *, in_order: bool = False) -> int:
    columns = ", ".join(COLUMNS)
    select, select_params = _pairs_select(where)
    if in_order:
        columns, select = f"{columns}, in_order", f"SELECT *, TRUE FROM ({select}) s"  # noqa: S608
        conflict = ""
    else:
        # A live write. The night's paired_results_order may have moved one of these pairs
        # (deleted and inserted again) after this transaction's DELETE looked: the DELETE
        # cannot see the moved row, so the pair is replaced here instead of failing as a
        # duplicate; the next night puts it in order again.
        updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c not in KEY)
        conflict = f" ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {updates}, in_order = FALSE"
    sql = f"INSERT INTO surveys_pairedresult ({columns}) {select}{conflict}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*select_params, *params])
        return cursor.rowcount


@transaction.atomic(savepoint=False)  # inside a caller's transaction: its statements, no savepoint
def paired_results_refresh(*, episode_ids: Iterable[int], in_order: bool = False) -> int:
    """Rewrite the pairs of these episodes from their stored results; returns rows written.

    Called when a response is stored (the follow-up may pair with the baseline, or a late
    baseline with follow-ups) and after each batch of a bulk load. Two statements whatever
    the number of episodes. ``in_order``: the caller lays the pairs out in the order of the
    summary index itself (a bulk load, which ends with ``paired_results_cluster``); otherwise
    the next night does (``paired_results_order``). A live write also refreshes the
    episodes' cohort rows, which notes them for the nightly rebuild (surveys/rebuild.py).
    """
    ids = sorted(set(episode_ids))
    if not ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM surveys_pairedresult WHERE episode_id {in_sql(ids)}",  # noqa: S608
            ids,
        )
    return _insert(f"e.id {in_sql(ids)}", ids, in_order=in_order)


def paired_results_cluster() -> None:
    """Lay the pairs out in the order of the summary index, as the nightly job keeps them
    (PostgreSQL ``CLUSTER``; nothing elsewhere).

    A bulk load writes the pairs patient by patient, so the pairs of one summary (one
    instrument, timepoint and condition: 2% of the rows at a million responses) each sit on a
    page of their own and one answer reads 21,000 pages; in index order it reads about 1,500
    (207 ms against 83 ms for the practices' cell sums, docs/benchmarks.md). About 15 s at a
    million responses, against ten minutes for the rebuild; it locks the table meanwhile, so
    it is for bulk loads, not for a serving database (the nightly ``paired_results_order``
    keeps the order)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # Inside a transaction (a test's, a caller's), the deferred foreign-key checks of the
        # rows just written are made now: CLUSTER refuses a table with checks pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("CLUSTER surveys_pairedresult USING paired_result_lookup")


def paired_results_tidy() -> None:
    """After a rebuild, outside its transaction: VACUUM ANALYZE the pairs on PostgreSQL, so
    the next rebuild writes into the space this one freed instead of doubling the table (a
    server may run with autovacuum off, as this project's machines do), and fresh pages are
    marked all-visible. Inside a transaction (tests) it does nothing."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE surveys_pairedresult")


@transaction.atomic
def paired_results_rebuild() -> int:
    """Bring every pair up to date from the responses (after a bulk load); returns the pairs.
    The nightly job runs ``paired_results_reconcile`` inside surveys/rebuild.py instead."""
    return paired_results_reconcile()


def paired_results_reconcile() -> int:
    """Bring every pair up to date from the responses, inside the caller's transaction
    (readers keep seeing the old rows until it commits): picks up a patient's changed
    practice or area. Returns the pairs.

    Only the pairs that differ are written (surveys/reconcile.py): deleting every pair and
    inserting them again doubled the table to 1.2 GB at a million responses, and the figures
    read through the empty half (docs/benchmarks.md)."""
    select, params = _pairs_select("1 = 1")
    written = rows_reconcile(
        table="surveys_pairedresult",
        key=KEY,
        columns=COLUMNS,
        select=select,
        params=params,
        order=ORDER,  # the summary index, paired_result_lookup
        delete_missing=True,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE surveys_pairedresult")
    return written


@transaction.atomic
def paired_results_order() -> int:
    """Move the pairs written since the last night (with each stored response, scattered
    through the table) into the order of the summary index, at its end; returns the pairs
    moved. One night's pairs of one summary then lie on a page or two, instead of each on a
    page of its own: a year of them would otherwise spread one summary over as many pages as
    a bulk load written patient by patient (21,000 against 1,500 at a million responses:
    207 ms against 83 ms, docs/benchmarks.md). One statement on PostgreSQL, so that a pair
    stored meanwhile is either moved or left for the next night, never lost; SQLite has no
    layout to keep, and only marks them."""
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("UPDATE surveys_pairedresult SET in_order = 1 WHERE NOT in_order")
            return cursor.rowcount
        columns = ", ".join(COLUMNS)
        cursor.execute(
            f"WITH moved AS (DELETE FROM surveys_pairedresult WHERE NOT in_order"  # noqa: S608
            f" RETURNING {columns}) INSERT INTO surveys_pairedresult ({columns}, in_order)"
            f" SELECT {columns}, true FROM moved ORDER BY {ORDER}"
        )
        return cursor.rowcount
