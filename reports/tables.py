"""How a board pack's tables are laid out. Table cells are most of WeasyPrint's work (about a
millisecond each, bench/board_pack.py and docs/benchmarks.md), so column widths are worked out
here for a one-pass ``table-layout: fixed`` (the automatic layout measures every cell's text
first), and a dashboard table prints the page's figures in fewer cells (``dashboard_table``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Characters a column is sized for at most: a longer cell wraps (its words stay whole).
WIDEST = 36
# A column is never narrower than this many characters: a label's longest word, a figure.
NARROWEST = 4
# A column repeating one value in at least this many rows is said once, under the table.
SAME_IN_ROWS = 3
# A table with more columns or rows than these writes each figure and its 95% interval in one
# cell, and prints at most MOST_COLUMNS columns (the rest are in the dashboard's CSV).
WIDE = 10
LONG = 20
MOST_COLUMNS = 10


@dataclass
class Table:
    """Formatted cells, with the width of each column in percent of the table."""

    columns: list[str]
    rows: list[list[str]]
    widths: list[int] = field(default_factory=list)
    same: list[str] = field(default_factory=list)  # "Column: value" of the columns taken out

    def __post_init__(self):
        if not self.widths:
            self.widths = column_widths(self.columns, self.rows)


def column_widths(columns: list[str], rows: list[list[Any]]) -> list[int]:
    """Percent widths in proportion to what each column has to hold: its longest cell as
    printed (up to WIDEST characters; a longer one wraps) or its heading's longest word
    (headings wrap). Cells may be numbers (the value report's counts), not only text."""
    if not columns:
        return []
    needs = []
    for index, heading in enumerate(columns):
        longest_word = max((len(word) for word in heading.split()), default=0)
        longest_cell = max((len(str(row[index])) for row in rows if index < len(row)), default=0)
        needs.append(max(NARROWEST, longest_word, min(WIDEST, longest_cell)))
    total = sum(needs)
    widths = [max(1, round(100 * need / total)) for need in needs]
    widths[widths.index(max(widths))] += 100 - sum(widths)  # whole percents that add up
    return widths


def same_in_every_row(columns: list[str], rows: list[list[str]]) -> Table:
    """The table without the columns that hold one value in every one of SAME_IN_ROWS or more
    rows (an outcome's name, its process limits, "No" withheld): ``same`` says each once
    ("Outcome: quality-of-life"), so no figure is lost and the table keeps what varies."""
    if len(rows) < SAME_IN_ROWS or len(columns) < 2:
        return Table(columns, rows)
    keep, same = [], []
    for index, heading in enumerate(columns):
        values = {row[index] for row in rows}
        if len(values) == 1:
            same.append(f"{heading}: {values.pop()}")
        else:
            keep.append(index)
    if not keep:  # every row the same: the table is its first row
        return Table(columns, rows[:1])
    return Table(
        columns=[columns[i] for i in keep],
        rows=[[row[i] for i in keep] for row in rows],
        same=same,
    )


def interval_columns(columns: list[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """The figures that have a 95% interval in their own columns: value key -> (lower key,
    upper key), for ``x``/``x_pct`` (or else the column just before) beside ``x_lower`` and
    ``x_upper`` (``standardised_rate_per_1000``, ``rate_lower``, ``rate_upper``)."""
    order = [key for key, _label in columns]
    keys = set(order)
    found = {}
    for position, key in enumerate(order):
        if not key.endswith("_lower"):
            continue
        base = key.removesuffix("_lower")
        upper = f"{base}_upper"
        before = order[position - 1] if position else None
        if before and before.endswith(("_lower", "_upper")):
            before = None
        value = next((k for k in (base, f"{base}_pct", before) if k in keys), None)
        if upper in keys and value is not None:
            found[value] = (key, upper)
    return found


def dashboard_table(
    columns: list[tuple[str, str]], rows: list[dict[str, Any]], cell: Callable[..., str]
) -> tuple[Table, list[str]]:
    """A dashboard figure's table as the pack prints it, with every figure the page's table
    has, written by the page's ``cell``, in fewer cells (each one costs WeasyPrint about a
    millisecond, and a 30-column table does not fit A4): rows withheld whole are named in a
    note; a wide table writes each figure with its interval ("9.2 (5.7 to 12.8)"); columns
    the same in every row are said once; a table wider than A4 takes (MOST_COLUMNS) keeps its
    first columns and names the others, which the dashboard's CSV has. Returns the table and
    its notes."""
    notes = []
    labels = _label_key(columns, rows)
    gone = [r for r in rows if r.get("suppressed") and _only_labels(r)]
    if gone and len(gone) < len(rows):
        names = ", ".join(cell(r, labels) for r in gone)
        notes.append(f"Withheld (too few patients): {names}.")
        rows = [r for r in rows if r not in gone]
    if not any(r.get("suppressed") for r in rows):  # "Withheld: No" in every row says nothing
        columns = [(key, label) for key, label in columns if key != "suppressed"]
    merged = interval_columns(columns) if len(columns) > WIDE or len(rows) > LONG else {}
    inside = {key for pair in merged.values() for key in pair}
    kept = [(key, label) for key, label in columns if key not in inside]
    headings = [f"{label} (95% CI)" if key in merged else label for key, label in kept]
    cells = []
    for row in rows:
        line = []
        for key, _label in kept:
            text = cell(row, key)
            if key in merged and row.get(key) is not None:
                lower, upper = (cell(row, k) for k in merged[key])
                text = f"{text} ({lower} to {upper})"
            line.append(text)
        cells.append(line)
    table = same_in_every_row(headings, cells)
    if table.same:
        notes.insert(0, "In every row: " + "; ".join(table.same) + ".")
    if len(table.columns) > MOST_COLUMNS:
        left_out = table.columns[MOST_COLUMNS:]
        notes.append("Also in the dashboard's CSV, by row: " + "; ".join(left_out) + ".")
        table = Table(
            columns=table.columns[:MOST_COLUMNS],
            rows=[row[:MOST_COLUMNS] for row in table.rows],
            same=table.same,
        )
    return table, notes


def _label_key(columns: list[tuple[str, str]], rows: list[dict[str, Any]]) -> str:
    """The first column that tells the rows apart (a period, a group's name)."""
    for key, _label in columns:
        values = [row.get(key) for row in rows]
        if all(isinstance(v, str) for v in values) and len(set(values)) == len(values):
            return key
    return columns[0][0] if columns else ""


def _only_labels(row: dict[str, Any]) -> bool:
    """A withheld row with no figure at all: its values are only labels and flags."""
    return all(v is None or isinstance(v, (str, bool)) for v in row.values())
