"""CSV for every API response that carries rows (``?format=csv``).

Summaries answer ``{"meta": {...}, "results": [rows]}`` and exports are paginated
``{"next": ..., "results": [rows]}``: the CSV is the ``results``, one line per row, with a header
from the union of the rows' keys in first-seen order. Nested objects become dotted columns
(``scores.total``). Cells that a spreadsheet would run as a formula are defused (OWASP, CSV
injection): a leading ``= + - @``, tab or carriage return gets a ``'`` in front. Negative numbers
are numbers, not text, so they are written as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from rest_framework.renderers import BaseRenderer

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def flatten(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` → ``{"a.b": 1}``; lists are joined with ``;``."""
    flat: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        elif isinstance(value, list | tuple):
            flat[name] = ";".join("" if v is None else str(v) for v in value)
        else:
            flat[name] = value
    return flat


def cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def rows_of(data: Any) -> list[Mapping[str, Any]]:
    if isinstance(data, Mapping) and isinstance(data.get("results"), list):
        rows = data["results"]
    elif isinstance(data, list):
        rows = data
    elif isinstance(data, Mapping):
        rows = [data]  # an error or a single object: one line
    else:
        rows = [{"value": data}]
    return [row if isinstance(row, Mapping) else {"value": row} for row in rows]


def csv_text(rows: Iterable[Mapping[str, Any]]) -> str:
    flat_rows = [flatten(row) for row in rows]
    header: dict[str, None] = {}
    for row in flat_rows:
        header.update(dict.fromkeys(row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(header), restval="", lineterminator="\r\n")
    writer.writeheader()
    for row in flat_rows:
        writer.writerow({key: cell(value) for key, value in row.items()})
    return out.getvalue()


class CsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if data is None:
            return b""
        response = (renderer_context or {}).get("response")
        view = (renderer_context or {}).get("view")
        rows = rows_of(data)
        if response is not None and 200 <= response.status_code < 300:
            name = getattr(view, "csv_filename", None) or "proms"
            response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
            describe = getattr(view, "csv_description", None)
            if describe is not None and isinstance(data, Mapping) and "meta" in data:
                # The description travels inside the file, as columns on every row (one row
                # of description alone when there are no results): Excel, R read.csv and
                # pandas read_csv all open it with no options (docs/methods.md §10).
                description = describe(data["meta"])
                rows = [{**row, **description} for row in rows] or [description]
        return csv_text(rows).encode(self.charset)
