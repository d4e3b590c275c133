"""Bring a whole read-model table up to date while writing only the rows that differ.

The nightly rebuild of the read models (surveys/pairs.py, surveys/cohorts.py) usually finds a
few hundred rows to change among millions. Deleting and inserting every row doubled the pairs
to 1.2 GB at a million responses; an ``INSERT ... ON CONFLICT DO UPDATE ... WHERE differs``
writes no new row but locks every one, which dirties every page: the whole table goes through
the write-ahead log and back to disk each night, and the checkpoints that follow slowed every
figure for minutes (docs/benchmarks.md). Here the rows are worked out once into a temporary
table, then: new rows inserted, rows that differ updated, rows no longer made deleted. A row
already right is not touched at all. SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

FRESH = "read_model_fresh"  # a temporary table: this connection's only


def rows_reconcile(
    *,
    table: str,
    key: Sequence[str],
    columns: Sequence[str],
    select: str,
    params: Sequence,
    order: str,
    delete_missing: bool,
) -> int:
    """Make ``table`` hold exactly the rows of ``select`` (columns named as ``columns``) by
    ``key`` (a unique constraint's columns); returns the rows selected. New rows go in in
    ``order`` (an ORDER BY list of column names) so that, after a bulk load, one figure's rows
    lie on adjacent pages. ``delete_missing``: also delete the rows ``select`` no longer makes
    (not needed where a row is deleted with its source by cascade). Run it inside the caller's
    transaction: readers keep seeing the old rows until it commits."""
    others = [column for column in columns if column not in key]
    matches = " AND ".join(f"f.{column} = {table}.{column}" for column in key)
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FRESH}")
        cursor.execute(f"CREATE TEMPORARY TABLE {FRESH} AS {select}", params)
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {FRESH}")  # temporary tables are never analyzed otherwise
        names = ", ".join(columns)
        # New rows only: one anti-join rather than a conflict probe per row. ON CONFLICT DO
        # NOTHING (which locks nothing) covers a pair a response stores meanwhile.
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {FRESH} f"  # noqa: S608
            f" WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {matches})"
            f" ORDER BY {order} ON CONFLICT ({', '.join(key)}) DO NOTHING"
        )
        cursor.execute(
            f"UPDATE {table} SET {', '.join(f'{c} = f.{c}' for c in others)}"  # noqa: S608
            f" FROM {FRESH} f WHERE {matches}"
            f" AND ({', '.join(f'{table}.{c}' for c in others)}) {differs}"
            f" ({', '.join(f'f.{c}' for c in others)})"
        )
        if delete_missing:
            cursor.execute(
                f"DELETE FROM {table} WHERE NOT EXISTS"  # noqa: S608
                f" (SELECT 1 FROM {FRESH} f WHERE {matches})"
            )
        cursor.execute(f"SELECT COUNT(*) FROM {FRESH}")  # noqa: S608
        (selected,) = cursor.fetchone()
        cursor.execute(f"DROP TABLE {FRESH}")
    return selected
