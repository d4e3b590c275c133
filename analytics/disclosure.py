"""Statistical disclosure control applied to every aggregate the API publishes.

Rules (docs/methods.md §7; NHS Digital's HES/ECDS rule and the NHS PROMs publication):

- *Primary suppression*: a cell counting 1 to ``DISCLOSURE_MIN_CELL`` − 1 patients (default 5,
  so 1-4) is withheld with every statistic computed from it. Zero is shown as zero.
- *Secondary suppression*: every set of cells that adds up to a total someone can obtain (the
  groups of one breakdown add up to the whole-service figure, the months of a series add up to
  the period's figure) is checked; if exactly one cell in a set is withheld, it could be
  recovered by subtraction, so the next smallest non-zero cell is withheld too. Sets are
  re-checked until nothing changes, since a cell withheld in one set can leave another set with
  a single gap.
- *Rounding*: published counts are rounded to the nearest ``DISCLOSURE_ROUND_TO`` (default 5;
  0 or 1 turns rounding off). Statistics are computed from unrounded counts.
- *Case-mix adjusted figures and funnel flags* need ``DISCLOSURE_MIN_ADJUSTED`` modelled
  patients (default 30, as NHS PROMs).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings


def min_cell() -> int:
    return int(getattr(settings, "DISCLOSURE_MIN_CELL", 5))


def round_to() -> int:
    value = getattr(settings, "DISCLOSURE_ROUND_TO", 5)
    return int(value or 0)


def min_adjusted() -> int:
    return int(getattr(settings, "DISCLOSURE_MIN_ADJUSTED", 30))


def policy() -> dict[str, Any]:
    """The rules in force, for an API response's ``meta``."""
    return {
        "min_cell": min_cell(),
        "round_counts_to": round_to() if round_to() > 1 else None,
        "min_n_for_adjusted": min_adjusted(),
        "rule": (
            "Cells from 1 to min_cell − 1 patients are withheld (null, suppressed=true) with "
            "every statistic from them; one more cell is withheld wherever a single withheld "
            "cell could be recovered by subtraction from a total; counts are rounded."
        ),
    }


def round_count(count: int | None, base: int | None = None) -> int | None:
    """Round half up to the nearest ``base`` (0 stays 0; no rounding when base ≤ 1)."""
    base = round_to() if base is None else base
    if count is None or base <= 1:
        return count
    return int((count + base / 2) // base * base)


def primary(counts: Mapping[Hashable, int], threshold: int) -> set[Hashable]:
    """Cells with 1 to threshold − 1: withheld on their own account."""
    return {key for key, n in counts.items() if 0 < n < threshold}


def secondary(counts: Mapping[Hashable, int], withheld: set[Hashable]) -> set[Hashable]:
    """One more cell to withhold if exactly one cell of this total-bearing set is withheld.

    The next smallest non-zero cell is chosen (ties broken by key, so the result is
    deterministic). Returns the extra cells (empty if none are needed or none can be chosen, in
    which case the set's total is itself below the threshold and withheld).
    """
    inside = [key for key in counts if key in withheld]
    if len(inside) != 1:
        return set()
    candidates = sorted(
        (n, repr(key), key) for key, n in counts.items() if key not in withheld and n > 0
    )
    return {candidates[0][2]} if candidates else set()


def cells_to_withhold(
    counts: Mapping[Hashable, int] | Sequence[Mapping[Hashable, int]],
    partitions: Sequence[Callable[[Hashable], Hashable]] = (lambda key: None,),
    threshold: int | None = None,
) -> set[Hashable]:
    """Primary and secondary suppression of a table of counts.

    ``counts`` is one table, or several tables over the same cells (e.g. responders and
    non-responders); a cell withheld in one is withheld in all. ``partitions`` map a cell's key
    to the id of each set of cells that adds up to a known total (by default the whole table is
    one such set). Iterates to a fixed point.
    """
    threshold = min_cell() if threshold is None else threshold
    tables = [counts] if isinstance(counts, Mapping) else list(counts)
    withheld: set[Hashable] = set()
    for table in tables:
        withheld |= primary(table, threshold)
    changed = True
    while changed:
        changed = False
        for table in tables:
            for partition in partitions:
                sets: dict[Hashable, dict[Hashable, int]] = defaultdict(dict)
                for key, n in table.items():
                    sets[partition(key)][key] = n
                for members in sets.values():
                    extra = secondary(members, withheld)
                    if extra:
                        withheld |= extra
                        changed = True
    return withheld


def protect_rows(
    rows: Iterable[dict[str, Any]],
    *,
    count_keys: Sequence[str] = ("n",),
    partitions: Sequence[Callable[[dict[str, Any]], Hashable]] = (lambda row: None,),
    rounded_keys: Sequence[str] | None = None,
    keep_keys: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Apply suppression and rounding to result rows (one dict per published cell).

    A row is withheld if any of ``count_keys`` is withheld in any partition. A withheld row keeps
    only its labelling keys (``keep_keys``) and gets ``suppressed: true``; every other value is
    null. Kept rows have their ``rounded_keys`` (default ``count_keys``) rounded.
    """
    rows = list(rows)
    tables = [
        {index: int(row.get(count_key) or 0) for index, row in enumerate(rows)}
        for count_key in count_keys
    ]
    withheld_rows = cells_to_withhold(
        tables, [lambda index, p=p: p(rows[index]) for p in partitions]
    )
    rounded_keys = count_keys if rounded_keys is None else rounded_keys
    protected = []
    for index, row in enumerate(rows):
        if index in withheld_rows:
            protected.append(
                {key: (value if key in keep_keys else None) for key, value in row.items()}
                | {"suppressed": True}
            )
        else:
            protected.append(
                row
                | {key: round_count(row.get(key)) for key in rounded_keys if key in row}
                | {"suppressed": False}
            )
    return protected
