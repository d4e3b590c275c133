"""Paired cells: per-cell sums of baseline and follow-up values, and the case-mix model."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from operator import itemgetter
from types import MappingProxyType
from typing import Any

from analytics import disclosure
from analytics.summaries.query import CASE_MIX_FACTORS, OutcomeQuery
from analytics.summaries.sql import (
    _check_timepoints,
    _fetch,
    _pairs_from_read_model,
    _pairs_from_responses,
    _pathway_ids,
    _period_label,
    cell_sums_sql,
)
from outcomes import statistics as st
from outcomes.models import Instrument
from surveys.pairs import paired_baselines


@dataclass(slots=True)  # thousands per answer: no __dict__ each
class Cell:
    key: dict[str, Any]
    sums: st.CellSums
    improved: int = 0  # by the MIC
    worse: int = 0
    improved_any: int = 0  # by any change in the better direction (the NHS PROMs rule)
    worse_any: int = 0
    # The case-mix covariates (CASE_MIX_FACTORS) as keyed, None without an IMD quintile (not
    # modelled): worked out once here, as cells are merged by them many times over.
    pattern: tuple[Any, ...] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        key = self.key
        self.pattern = None if key["imd_quintile"] is None else _pattern_of(key)


_pattern_of = itemgetter(*CASE_MIX_FACTORS)


def paired_cells(
    query: OutcomeQuery,
    *,
    by_practice: bool = False,
    by_provider: bool = True,
    keep_provider: int | None = None,
) -> list[Cell]:
    """Per-cell sums of paired baseline and follow-up values for a condition and measure.

    Cells are keyed by provider id [, practice id] [, period], age band (age at referral), sex
    and IMD quintile ((decile + 1) // 2; None when the patient has no area). All providers are
    included, since the case-mix model is fitted on all of them; callers filter afterwards. The
    period restricts the follow-up response's submission time. ``by_provider=False`` leaves
    the provider out of the key (None), but for the cells of ``keep_provider`` if given: for
    a caller that does not group by provider and filters by that one at most, the cells are
    then several times fewer and every figure is the same.
    """
    pathway_ids = _pathway_ids(query.condition)
    _check_timepoints(query)
    versions = dict(
        Instrument.objects.filter(code=query.measure.instrument).values_list("id", "version")
    )
    if not pathway_ids or not versions:
        return []
    measure = query.measure
    source = (
        _pairs_from_read_model
        if query.baseline_timepoint in paired_baselines()
        else _pairs_from_responses
    )
    inner, inner_params = source(
        query, pathway_ids, versions, by_practice, by_provider, keep_provider
    )
    sql, params = cell_sums_sql(measure, inner, inner_params)
    rows = _fetch(sql, params)
    cells = []
    labels: dict[Any, str | None] = {}  # period → label: a few periods, thousands of cells
    for (
        provider_id,
        practice_id,
        period,
        age_band,
        sex,
        imd,
        n,
        sb,
        sf,
        sbb,
        sbf,
        sff,
        i,
        w,
        improved_any,
        worse_any,
    ) in rows:
        if period not in labels:
            labels[period] = _period_label(period, query.series)
        key = {
            "provider_id": provider_id,
            "practice_id": practice_id,
            "period": labels[period],
            "age_band": age_band,
            "sex": sex,
            "imd_quintile": None if imd is None else int(imd),
        }
        sums = st.CellSums(int(n), sb, sf, sbb, sbf, sff)
        cells.append(
            Cell(key, sums, int(i or 0), int(w or 0), int(improved_any or 0), int(worse_any or 0))
        )
    return cells


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while an answer works through its thousands of cells
    (a decorator too). They hold no reference cycles and reference counting frees them as it
    returns; a collection in between only walks them, and, when it reaches the oldest
    generation, the whole process's heap: ~35 ms, in one knee-pain series of practices in two
    at a million responses. Left alone if it is already paused (another thread's answer, which
    turns collection back on when it ends)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# --- from cells to published rows ------------------------------------------------------------


def _rounded(value: float | None, decimals: int = 2) -> float | None:
    return None if value is None else round(value, decimals)


def _total(cells: Iterable[Cell]) -> tuple[st.CellSums, int, int]:
    """The cells' sums added up (in the cells' order, as ``CellSums.add`` would) and their MIC
    classes: inline, since every group of a breakdown is totalled."""
    n = improved = worse = 0
    sum_b = sum_f = sum_bb = sum_bf = sum_ff = 0.0
    for cell in cells:
        sums = cell.sums
        n += sums.n
        sum_b += sums.sum_b
        sum_f += sums.sum_f
        sum_bb += sums.sum_bb
        sum_bf += sums.sum_bf
        sum_ff += sums.sum_ff
        improved += cell.improved
        worse += cell.worse
    return st.CellSums(n, sum_b, sum_f, sum_bb, sum_bf, sum_ff), improved, worse


def _modelled(cells: Iterable[Cell]) -> list[Cell]:
    """Complete cases for the case-mix model: patients with a known IMD quintile."""
    return [cell for cell in cells if cell.pattern is not None]


def _patterns(cells: Iterable[Cell]) -> list[tuple[Mapping[str, str], st.CellSums]]:
    """Modelled cells merged by covariate pattern. The model and its predictions depend on a
    cell only through its covariates and sums, which add up, so merging cells of the same
    pattern (across providers, practices and periods) changes no figure: it only spares
    fitting thousands of by-practice cells one by one. A pattern of one cell keeps that
    cell's sums (read only, like every pattern's)."""
    merged: dict[tuple[Any, ...], list[Cell]] = {}
    for cell in cells:
        if cell.pattern is not None:
            if cell.pattern in merged:
                merged[cell.pattern].append(cell)
            else:
                merged[cell.pattern] = [cell]
    return [
        (_covariates(pattern), members[0].sums if len(members) == 1 else _total(members)[0])
        for pattern, members in merged.items()
    ]


@cache
def _covariates(pattern: tuple[Any, ...]) -> Mapping[str, str]:
    """A pattern's covariates by factor (the IMD quintile as text, a model level), read
    only: one mapping per pattern, shared."""
    return MappingProxyType(
        {
            factor: str(value) if factor == "imd_quintile" else value
            for factor, value in zip(CASE_MIX_FACTORS, pattern, strict=True)
        }
    )


# Patients per model coefficient: Austin & Steyerberg (J Clin Epidemiol 2015;68:627-36) found
# two per coefficient enough for OLS coefficients; five leaves a margin for the residual SD,
# which sets every funnel limit (docs/methods.md §4).
PATIENTS_PER_PARAMETER = 5


def case_mix_model(cells: Sequence[Cell]) -> st.CaseMixModel | None:
    """follow-up ~ 1 + age band + sex + IMD quintile + baseline, on every provider's patients;
    None (no model, no adjusted figure, nothing about it published) unless it rests on at
    least DISCLOSURE_MIN_ADJUSTED patients and PATIENTS_PER_PARAMETER per coefficient."""
    model = st.case_mix_fit(_patterns(cells), CASE_MIX_FACTORS)
    if model is None:
        return None
    needed = max(disclosure.min_adjusted(), PATIENTS_PER_PARAMETER * len(model.columns))
    return model if model.n >= needed else None


def change_estimate(total: st.CellSums) -> st.MeanEstimate:
    """Mean paired change with its t interval, from the sums: Σ(f − b)² = Σf² − 2Σbf + Σb²."""
    return st.mean_from_sums(
        total.n, total.sum_f - total.sum_b, total.sum_ff - 2 * total.sum_bf + total.sum_bb
    )


def _sort_key(value: Any) -> tuple:
    return (value is None, str(value) if not isinstance(value, int) else f"{value:09d}")


def _series_partitions(
    query: OutcomeQuery, table: Callable[[dict[str, Any]], Any], group_key: str = "group"
) -> list[Callable[[dict[str, Any]], Any]]:
    """Sets of rows with a known total. Without a series, the rows of each ``table`` add up to
    one; in a series, so do the groups of each period and the periods of each group (the
    same sets as ``protect`` checks for the summary)."""
    if not query.series:
        return [table]
    return [
        lambda row: (table(row), "period", row["period"]),
        lambda row: (table(row), "group", row[group_key]),
    ]
