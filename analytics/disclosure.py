"""Statistical disclosure control: the one rule every published count goes through.

Public entry points (the API, the dashboard, the board pack and any new table of counts call
these, never their own rule):

- ``protect_rows(rows, count_keys=..., parts=..., partitions=..., keep_keys=...)``: a table
  of result rows (one dict per published cell), suppressed and rounded, whole and parts kept
  consistent;
- ``protect_counts(counts, partitions=...)``: a plain mapping of cell → count, published;
- ``policy()``: the rule in force, for a response's ``meta`` or a download's header.

The default is NHS England's rule for HES-derived statistics (NHS Digital, *Disclosure control
methodology for HES and ECDS*, from September 2018), which the PROMs publication shares as a
HES-linked output (docs/methods.md §7):

- *Suppression*: a count of 1 to 7 patients (``DISCLOSURE_MIN_CELL`` − 1; default 8) is
  withheld, with every simple statistic (mean, percentage) computed from those patients.
  Zero is shown as zero.
- *Rounding*: every other count is rounded to the nearest 5 (``DISCLOSURE_ROUND_TO``).
- *Derived figures*: percentages are calculated from the rounded numerator and denominator;
  complex calculations (regression models, confidence intervals of means, standardised
  ratios) need no further control.

Two additions, because this API answers arbitrary nested requests rather than fixed tables:

- *Secondary suppression*: where exactly one row of a set with a known total is withheld,
  the next smallest is withheld too, so a suppressed row's means cannot be recovered by
  subtraction (the HES rule replaced this by rounding; rounding protects counts but not means).
- *Parts add up to their whole*: the parts of a row (improved + unchanged + worse = n;
  responded + not responded = invited) are rounded with *controlled rounding*: each part goes
  to an adjacent multiple of 5 and the parts add up exactly to the rounded whole (Cox 1987;
  Hundepool et al. 2012 §5.4). A part of 1-7 is then withheld on its own (null), so published
  parts never exceed their whole and never contradict it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings

SOURCE = (
    "NHS Digital, Disclosure control methodology for Hospital Episode Statistics (HES) and "
    "Emergency Care Data Set (ECDS), September 2018"
)


def min_cell() -> int:
    """Smallest count published: 8 by default (1-7 withheld, NHS Digital HES rule)."""
    return int(getattr(settings, "DISCLOSURE_MIN_CELL", 8))


def round_to() -> int:
    value = getattr(settings, "DISCLOSURE_ROUND_TO", 5)
    return int(value or 0)


def min_adjusted() -> int:
    return int(getattr(settings, "DISCLOSURE_MIN_ADJUSTED", 30))


def policy() -> dict[str, Any]:
    """The rules in force, for an API response's ``meta`` and a download's description."""
    low = min_cell() - 1
    base = round_to() if round_to() > 1 else None
    rounding = f"other counts are rounded to the nearest {base}" if base else "counts are exact"
    return {
        "min_cell": min_cell(),
        "round_counts_to": base,
        "min_n_for_adjusted": min_adjusted(),
        "source": SOURCE,
        "rule": (
            f"Counts of 1 to {low} patients are withheld (null, suppressed=true) with every "
            f"statistic from them; {rounding}; parts are rounded so that they add up to their "
            "rounded whole (a part of 1 to "
            f"{low} is null); one more row is withheld wherever a single withheld row could be "
            "recovered by subtraction from a total; percentages are calculated from the "
            "published counts; case-mix adjusted figures and flags need "
            f"{min_adjusted()} modelled patients."
        ),
    }


def round_count(count: int | None, base: int | None = None) -> int | None:
    """Round half up to the nearest ``base`` (0 stays 0; no rounding when base ≤ 1)."""
    base = round_to() if base is None else base
    if count is None or base <= 1:
        return count
    return int((count + base / 2) // base * base)


def round_parts(parts: Sequence[int], whole: int, base: int | None = None) -> list[int]:
    """Controlled rounding: each part to an adjacent multiple of ``base``, adding up exactly
    to ``round_count(whole)`` (``whole`` = Σ parts).

    Parts are floored to a multiple of base; the k = (rounded whole − Σ floors) / base parts
    with the largest remainders are rounded up instead (ties: the earlier part). k never
    exceeds the number of parts with a remainder, so every part moves by less than base, and
    a part of 0 stays 0. Deterministic: a cell's published parts depend only on its own counts.
    """
    base = round_to() if base is None else base
    if base <= 1:
        return list(parts)
    if sum(parts) != whole:
        raise ValueError("Parts must add up to their whole.")
    floors = [p // base * base for p in parts]
    k = (round_count(whole, base) - sum(floors)) // base
    by_remainder = sorted(range(len(parts)), key=lambda i: (-(parts[i] - floors[i]), i))
    for i in by_remainder[:k]:
        floors[i] += base
    return floors


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


def protect_counts(
    counts: Mapping[Hashable, int],
    *,
    partitions: Sequence[Callable[[Hashable], Hashable]] = (lambda key: None,),
) -> dict[Hashable, int | None]:
    """A table of counts as published: withheld cells None, the others rounded.

    For a new table that is only counts (e.g. referrals by month). ``partitions`` name the sets
    of cells whose total is published elsewhere (default: the whole table), as for
    ``cells_to_withhold``.
    """
    withheld = cells_to_withhold(counts, partitions)
    return {key: None if key in withheld else round_count(n) for key, n in counts.items()}


def protect_rows(
    rows: Iterable[dict[str, Any]],
    *,
    count_keys: Sequence[str] = ("n",),
    partitions: Sequence[Callable[[dict[str, Any]], Hashable]] = (lambda row: None,),
    rounded_keys: Sequence[str] | None = None,
    keep_keys: Sequence[str] = (),
    parts: Mapping[str, Sequence[str]] | None = None,
) -> list[dict[str, Any]]:
    """Apply suppression and rounding to result rows (one dict per published cell).

    A row is withheld if any of ``count_keys`` is withheld in any partition. A withheld row keeps
    only its labelling keys (``keep_keys``) and gets ``suppressed: true``; every other value is
    null. Kept rows have their ``rounded_keys`` (default ``count_keys``) rounded. ``parts`` maps
    a whole to the keys of the counts that add up to it (``{"n": ["n_improved", ...]}``): those
    are rounded together (``round_parts``) and a part of 1 to min_cell − 1 is null.
    """
    rows = list(rows)
    parts = dict(parts or {})
    tables = [
        {index: int(row.get(count_key) or 0) for index, row in enumerate(rows)}
        for count_key in count_keys
    ]
    withheld_rows = cells_to_withhold(
        tables, [lambda index, p=p: p(rows[index]) for p in partitions]
    )
    rounded_keys = count_keys if rounded_keys is None else rounded_keys
    in_parts = {key for keys in parts.values() for key in keys}
    protected = []
    for index, row in enumerate(rows):
        if index in withheld_rows:
            protected.append(
                {key: (value if key in keep_keys else None) for key, value in row.items()}
                | {"suppressed": True}
            )
            continue
        published = row | {
            key: round_count(row.get(key))
            for key in rounded_keys
            if key in row and key not in in_parts
        }
        for whole, keys in parts.items():
            published |= _published_parts(row, whole, keys)
        protected.append(published | {"suppressed": False})
    return protected


def _published_parts(row: Mapping[str, Any], whole: str, keys: Sequence[str]) -> dict[str, Any]:
    values = [row.get(key) for key in keys]
    if any(value is None for value in values):
        return {key: None for key in keys}
    rounded = round_parts(values, sum(values))
    low = min_cell()
    return {
        key: None if 0 < exact < low else shown
        for key, exact, shown in zip(keys, values, rounded, strict=True)
    }


def rounding_tolerance(parts: int = 0) -> int:
    """How far a published count may be from the exact one: base/2 for a count rounded on
    its own; for parts under controlled rounding each part within base − 1 and their sum equal
    to the rounded whole (docs/methods.md §7)."""
    base = round_to()
    if base <= 1:
        return 0
    return base - 1 if parts else base // 2
