"""SQL fragments for the dashboard's own figures (SQLite and PostgreSQL). Only fixed fragments
are interpolated; every value is a query parameter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from analytics import summaries
from analytics.summaries.sql import slot_sql  # noqa: F401 - the figures read pairs as analytics does
from outcomes.models import Instrument, Pathway
from surveys.models import Practice, Provider
from surveys.sql import in_sql, time_zone_literal

from ..filters import Filters, period_of


def fetch(sql: str, params: Sequence[Any], *, clustered: bool = False) -> list[tuple]:
    """One aggregate query (JIT off on PostgreSQL: it costs more than it saves here).

    ``clustered``: the rows lie together in the table (the cohort rebuild writes them in
    index order), so reading them through the index beats the parallel scan of the whole
    table the planner prefers (baseline by deprivation at 1M: 45 ms against 80 ms)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL jit = off")
            if clustered:
                cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def subquery_fence() -> str:
    """``OFFSET 0`` at the end of a subquery on PostgreSQL: the planner then works the
    subquery out on its own instead of folding it into the query around it (each value taken
    once, narrow rows into a join). Nothing on SQLite."""
    return "OFFSET 0" if connection.vendor == "postgresql" else ""


def pathway_ids(condition: str) -> list[int]:
    return list(Pathway.objects.filter(condition__code=condition).values_list("id", flat=True))


def pathway_conditions() -> dict[int, str]:
    return dict(Pathway.objects.values_list("id", "condition__code"))


def organisation_id(model, ods_code: str | None) -> int | None:
    if not ods_code:
        return None
    pk = model.objects.filter(ods_code=ods_code).values_list("pk", flat=True).first()
    if pk is None:
        raise summaries.QueryError(f"No organisation with ODS code '{ods_code}'.")
    return pk


def scope(
    filters: Filters, *, episode: str = "e", patient: str = "p", condition: bool = True
) -> tuple[list[str], list[Any]]:
    """WHERE clauses for the condition's pathways, the provider and the practice."""
    where: list[str] = []
    params: list[Any] = []
    if condition:
        ids = pathway_ids(filters.condition) or [0]
        where.append(f"{episode}.pathway_id {in_sql(ids)}")
        params += ids
    provider_id = organisation_id(Provider, filters.provider)
    if provider_id is not None:
        where.append(f"{episode}.provider_id = %s")
        params.append(provider_id)
    practice_id = organisation_id(Practice, filters.practice)
    if practice_id is not None:
        where.append(f"{patient}.practice_id = %s")
        params.append(practice_id)
    return where, params


def date_range(column: str, filters: Filters) -> tuple[list[str], list[Any]]:
    """The period on a date column (half-open)."""
    period = period_of(filters.period)
    where, params = [], []
    if period.start:
        where.append(f"{column} >= %s")
        params.append(period.start)
    if period.end:
        where.append(f"{column} < %s")
        params.append(period.end)
    return where, params


def moment_range(column: str, filters: Filters, *, until_only: bool = False) -> tuple[list, list]:
    """The period on a timestamp column (local midnights, half-open)."""
    start, end = period_of(filters.period).bounds()
    where, params = [], []
    if start and not until_only:
        where.append(f"{column} >= %s")
        params.append(connection.ops.adapt_datetimefield_value(start))
    if end:
        where.append(f"{column} < %s")
        params.append(connection.ops.adapt_datetimefield_value(end))
    return where, params


def month_sql(column: str, *, date: bool) -> tuple[str, list[Any]]:
    """'2026-03' of a date column, or of a timestamp in the service's time zone."""
    if connection.vendor == "postgresql":
        if date:
            return f"to_char({column}, 'YYYY-MM')", []
        return f"to_char({column} AT TIME ZONE %s, 'YYYY-MM')", [settings.TIME_ZONE]
    return f"strftime('%%Y-%%m', {column})", []


def quarter_sql(column: str) -> str:
    """'2026Q1' of a date column."""
    if connection.vendor == "postgresql":
        return f"to_char({column}, 'YYYY\"Q\"Q')"
    return (
        f"(strftime('%%Y', {column}) || 'Q' || "
        f"((CAST(strftime('%%m', {column}) AS INTEGER) + 2) / 3))"
    )


def quarter_start_sql(column: str) -> str:
    """A date column's quarter, to group by (``period_label`` names it): on PostgreSQL the
    quarter's first day, as date_trunc is several times cheaper per row than to_char."""
    if connection.vendor == "postgresql":
        return f"CAST(date_trunc('quarter', {column}) AS date)"
    return quarter_sql(column)


def month_start_sql(column: str) -> tuple[str, list[Any]]:
    """A timestamp column's month in the service's time zone, to group by (``period_label``
    names it); cheaper per row than ``month_sql`` on PostgreSQL."""
    if connection.vendor == "postgresql":
        return f"date_trunc('month', {column} AT TIME ZONE %s)", [settings.TIME_ZONE]
    return month_sql(column, date=False)


def period_label(value: Any, *, quarter: bool) -> str:
    """'2026Q1' or '2026-03' of a group key of ``quarter_start_sql`` or ``month_start_sql``."""
    if isinstance(value, str):
        return value
    if quarter:
        return f"{value.year}Q{(value.month + 2) // 3}"
    return f"{value.year}-{value.month:02d}"


def days_between(start: str, end: str) -> str:
    """Whole days from date ``start`` to date ``end``."""
    if connection.vendor == "postgresql":
        return f"({end} - {start})"
    return f"CAST(julianday({end}) - julianday({start}) AS INTEGER)"


def date_of(column: str) -> str:
    """The local date of a timestamp column."""
    if connection.vendor == "postgresql":
        return f"CAST(({column} AT TIME ZONE '{time_zone_literal()}') AS date)"
    return f"date({column})"


def greatest(*columns: str) -> str:
    if connection.vendor == "postgresql":
        return f"GREATEST({', '.join(columns)})"
    return f"MAX({', '.join(f'COALESCE({c}, {columns[0]})' for c in columns)})"


def instrument_versions(code: str) -> dict[int, str]:
    return dict(Instrument.objects.filter(code=code).values_list("id", "version"))


def quintile(value: Any) -> str:
    return "unknown" if value is None else str(int(value))


def percentile_from_counts(counts: dict[int, int], fraction: float) -> float | None:
    """The value at ``fraction`` of an exact histogram {value: count}, interpolating between
    ranks as PostgreSQL's percentile_cont does."""
    total = sum(counts.values())
    if not total:
        return None
    ordered = sorted(counts.items())

    def at_rank(rank: int) -> int:
        seen = 0
        for value, count in ordered:
            seen += count
            if seen > rank:
                return value
        return ordered[-1][0]

    position = fraction * (total - 1)
    below = int(position)
    low, high = at_rank(below), at_rank(min(below + 1, total - 1))
    return low + (high - low) * (position - below)
