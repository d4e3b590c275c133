"""SQL fragments shared by the paired-result read model (surveys/pairs.py) and the outcome
analytics built on it (analytics/): JSON numbers, age bands, IN lists. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connection

AGE_BANDS = ("0-49", "50-59", "60-69", "70-79", "80+")  # population-methods §3.1 bands


def json_number_sql(alias: str, column: str, key: str) -> tuple[str, list[Any]]:
    """SQL for a numeric value of a JSON object column, and its parameter."""
    if connection.vendor == "postgresql":
        return f"CAST({alias}.{column} ->> %s AS double precision)", [key]
    return f"CAST(json_extract({alias}.{column}, %s) AS REAL)", ['$."' + key + '"']


def age_sql(on: str, born: str) -> str:
    """Whole years of age on a date (age at referral)."""
    if connection.vendor == "postgresql":
        return f"CAST(date_part('year', age({on}, {born})) AS integer)"
    return (
        f"(CAST(strftime('%%Y', {on}) AS INTEGER) - CAST(strftime('%%Y', {born}) AS INTEGER)"
        f" - (strftime('%%m-%%d', {on}) < strftime('%%m-%%d', {born})))"
    )


def age_band_sql(age: str) -> str:
    return (
        f"CASE WHEN {age} < 50 THEN '0-49' WHEN {age} < 60 THEN '50-59' "
        f"WHEN {age} < 70 THEN '60-69' WHEN {age} < 80 THEN '70-79' ELSE '80+' END"
    )


def age_band_at_sql(on: str, born: str) -> str:
    """SQL for the age band (AGE_BANDS) on date ``on`` of someone born on ``born``."""
    return age_band_sql(age_sql(on, born))


def in_sql(values: Sequence[Any]) -> str:
    return f"IN ({', '.join(['%s'] * len(values))})"


def time_zone_literal() -> str:
    """The service's time zone, checked so that it can be written into SQL as a literal (an
    index expression or a GROUP BY cannot take it as a parameter): never anything else."""
    zone = settings.TIME_ZONE
    if not all(c.isalnum() or c in "/_+-" for c in zone):
        raise ValueError("Unexpected TIME_ZONE")
    return zone
