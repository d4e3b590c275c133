"""EQ-5D-5L index from a value set, plus the EQ VAS as recorded.

The index is additive with no intercept and no interactions (both value sets used here):
``index = 1 + sum of the decrement for each dimension's level`` (level 1 decrements 0). The
tables live in the definition file's ``scoring.params`` as reviewed data, not in code:

- ``england-2018``: Devlin N et al. Health Econ 2018;27:7-22, doi:10.1002/hec.3564 (the default,
  as the contract requires).
- ``uk-2026``: Rowen D et al. Value Health 2026, doi:10.1016/j.jval.2026.03.008.

Both tables equal the ``England`` and ``UK`` columns of ``data-raw/VT.csv`` in the eq5d R package
(github.com/fragla/eq5d), whose tests give the worked examples in the tests of this module.

Params: ``value_sets`` (code -> ``{"title", "source", "decrements": {item id: [L1..L5]}}``),
``default_value_set`` and ``vas_item`` (default ``vas``). Options: ``value_set`` chooses another
table; an unknown one raises :class:`ValueError` (the API answers 400).

The sum is done in integer thousandths, so 1 - 0.058 - 0.05 is exactly 0.892, not a float
approximation. Any dimension missing gives no index (value sets have no imputation); the VAS is
reported independently. The ``value_set`` score always names the table asked for, so every index
is labelled with its value set.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from outcomes.specs import InstrumentSpec

LEVELS = 5


def score(
    spec: InstrumentSpec, values: Mapping[str, int | None], params: Mapping, options: Mapping
) -> dict[str, Any]:
    value_sets = params.get("value_sets") or {}
    chosen = options.get("value_set") or params.get("default_value_set")
    if not isinstance(chosen, str) or chosen not in value_sets:
        known = ", ".join(sorted(value_sets))
        raise ValueError(f"Unknown EQ-5D-5L value set {chosen!r}; choose one of {known}.")
    decrements = _thousandths(chosen, value_sets[chosen]["decrements"])

    levels = [values.get(dimension) for dimension in decrements]
    if any(level is None for level in levels):
        index = None
    else:
        total = 1000 + sum(
            table[level - 1] for table, level in zip(decrements.values(), levels, strict=True)
        )
        index = total / 1000  # exact to 3 dp: the integer is the index in thousandths

    return {"index": index, "vas": values.get(params.get("vas_item", "vas")), "value_set": chosen}


def _thousandths(code: str, decrements: Mapping[str, list]) -> dict[str, list[int]]:
    """Each dimension's decrements as whole thousandths, refusing anything finer than 3 dp."""
    tables: dict[str, list[int]] = {}
    for dimension, table in decrements.items():
        if len(table) != LEVELS:
            raise ValueError(f"Value set '{code}': '{dimension}' needs {LEVELS} decrements.")
        scaled = [Decimal(repr(value)) * 1000 for value in table]
        if any(value != value.to_integral_value() for value in scaled):
            raise ValueError(f"Value set '{code}': '{dimension}' decrements exceed 3 decimals.")
        tables[dimension] = [int(value) for value in scaled]
    return tables
