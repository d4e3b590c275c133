"""Property-based tests of the published rows over random synthetic populations (hypothesis).

For any population: no published row has parts that exceed or fail to add up to its whole
beyond the stated rounding, and no suppressed or rounded count can be recovered from one row,
or by subtracting two requests over nested periods, or groups from their total. The rows are
built by the same code the API runs (``grouped_rows`` then ``protect``) under the default rule
(1-7 withheld, other counts to the nearest 5; docs/methods.md §7).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from analytics import disclosure
from analytics.summaries.cells import Cell
from analytics.summaries.comparison import grouped_rows, protect
from analytics.summaries.query import Measure
from outcomes import statistics as st

MIC = 12.5
MEASURE = Measure(
    instrument="synthetic",
    kind="score",
    name="score",
    label="Synthetic 0-100 score",
    higher_is_better=True,
    minimum=0.0,
    maximum=100.0,
    mic=MIC,
    mic_score="score",
    mic_higher_is_better=True,
)
GROUPS = ("0-49", "50-59", "60-69", "70-79")
MONTHS = ("2026-01", "2026-02", "2026-03")
RULE = {"DISCLOSURE_MIN_CELL": 8, "DISCLOSURE_ROUND_TO": 5, "DISCLOSURE_MIN_ADJUSTED": 30}
PARTS = {
    "n": ("n_improved", "n_unchanged", "n_worse"),
    "n_any": ("n_improved_any", "n_unchanged_any", "n_worse_any"),
}


@dataclass(frozen=True)
class Patient:
    group: str
    month: str
    baseline: float
    change: float


patients = hs.lists(
    hs.builds(
        Patient,
        group=hs.sampled_from(GROUPS),
        month=hs.sampled_from(MONTHS),
        baseline=hs.integers(0, 80).map(float),
        change=hs.sampled_from([-20.0, -5.0, 0.0, 3.0, 12.5, 25.0]),
    ),
    min_size=0,
    max_size=160,
)


def cell_of(patient: Patient) -> Cell:
    follow_up = patient.baseline + patient.change
    return Cell(
        key={
            "provider_id": None,
            "practice_id": None,
            "period": patient.month,
            "age_band": patient.group,
            "sex": "female",
            "imd_quintile": 3,
        },
        sums=st.CellSums.of([(patient.baseline, follow_up)]),
        improved=int(patient.change >= MIC),
        worse=int(patient.change <= -MIC),
        improved_any=int(patient.change > 0),
        worse_any=int(patient.change < 0),
    )


def published(population: list[Patient], group_by: str, months, series: bool = False):
    cells = [cell_of(p) for p in population if p.month in months]
    rows = grouped_rows(cells, MEASURE, None, group_by, adjust=False, series=series)
    return protect(rows, group_by, series)


# --- what a published value says about the exact count ----------------------------------------


def whole_range(row) -> range:
    """Exact n consistent with a row: n rounds to the published n and is at least min_cell;
    a withheld row says only that it is 1 or more."""
    if row["suppressed"]:
        return range(1, 200)  # more patients than any generated population
    shown = row["n"]
    return range(max(shown - 2, 8, 0), shown + 3) if shown else range(0, 1)


def part_range(shown: int | None) -> set[int]:
    """Exact part consistent with its published value under controlled rounding."""
    if shown is None:
        return set(range(1, 8))
    return {x for x in range(max(shown - 4, 0), shown + 5) if x == 0 or x >= 8}


def exact_counts(population, group=None, months=MONTHS) -> int:
    return sum(1 for p in population if p.month in months and (group is None or p.group == group))


# --- the properties ------------------------------------------------------------------------


@given(population=patients)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_row_has_parts_that_exceed_or_fail_to_add_up_to_its_whole(population):
    with override_settings(**RULE):
        for months in (MONTHS[:1], MONTHS[:2], MONTHS):
            for group_by in ("age_band", "none"):
                for row in published(population, group_by, months):
                    if row["suppressed"]:
                        continue
                    n = row["n"]
                    for keys in PARTS.values():
                        shown = [row[k] for k in keys]
                        assert all(v is None or 0 <= v <= n for v in shown), row
                        total = sum(v for v in shown if v is not None)
                        if None in shown:
                            assert total <= n, row
                        else:
                            assert total == n, row
                            pcts = [row[k.replace("n_", "pct_", 1)] for k in keys]
                            assert abs(sum(pcts) - 100) <= 0.15, row
                        assert all(v % 5 == 0 for v in shown if v is not None)
                    # the percentage interval holds its percentage
                    if row["pct_improved"] is not None:
                        assert row["pct_improved_lower"] <= row["pct_improved"]
                        assert row["pct_improved"] <= row["pct_improved_upper"]


@given(population=patients)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_published_counts_stay_within_the_stated_rounding_of_the_exact_ones(population):
    with override_settings(**RULE):
        rows = published(population, "age_band", MONTHS)
        for row in rows:
            exact = [p for p in population if p.group == row["age_band"]]
            if row["suppressed"]:
                continue
            assert abs(row["n"] - len(exact)) <= disclosure.rounding_tolerance()
            improved = sum(1 for p in exact if p.change >= MIC)
            if row["n_improved"] is not None:
                assert abs(row["n_improved"] - improved) <= disclosure.rounding_tolerance(parts=3)
            else:
                assert 1 <= improved <= 7


@given(population=patients)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_count_is_recovered_from_one_row(population):
    with override_settings(**RULE):
        for row in published(population, "age_band", MONTHS):
            if row["suppressed"]:
                continue
            assert len(whole_range(row)) >= 2, row
            for keys in PARTS.values():
                # a withheld part from the whole and the other parts
                hidden = [k for k in keys if row[k] is None]
                if len(hidden) == 1:
                    others = [part_range(row[k]) for k in keys if k != hidden[0]]
                    possible = {
                        n - a - b
                        for n in whole_range(row)
                        for a in others[0]
                        for b in others[1]
                        if 1 <= n - a - b <= 7
                    }
                    assert len(possible) >= 2, row


@given(population=patients)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_count_is_recovered_by_subtracting_nested_periods(population):
    with override_settings(**RULE):
        for k in (1, 2):
            shorter = {r["age_band"]: r for r in published(population, "age_band", MONTHS[:k])}
            longer = {r["age_band"]: r for r in published(population, "age_band", MONTHS[: k + 1])}
            for group in GROUPS:
                added = exact_counts(population, group, MONTHS[k : k + 1])
                if not 1 <= added <= 7 or group not in longer:
                    continue
                before = whole_range(shorter[group]) if group in shorter else range(0, 1)
                after = whole_range(longer[group])
                # b − a over two intervals is the interval [min b − max a, max b − min a]
                low = max(min(after) - max(before), 1)
                high = min(max(after) - min(before), 7)
                assert high - low >= 1, (group, shorter.get(group), longer[group])


@given(population=patients)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_withheld_group_is_recovered_from_the_total(population):
    with override_settings(**RULE):
        for months in (MONTHS[:1], MONTHS):
            rows = published(population, "age_band", months)
            total = published(population, "none", months)
            if not total or total[0]["suppressed"]:
                continue
            hidden = [r for r in rows if r["suppressed"]]
            if len(hidden) != 1:
                continue  # none withheld, or several: only their sum could be estimated
            shown = [whole_range(r) for r in rows if not r["suppressed"]]
            low = min(whole_range(total[0])) - sum(max(s) for s in shown)
            high = max(whole_range(total[0])) - sum(min(s) for s in shown)
            assert high - max(low, 1) >= 1, (rows, total)


@given(population=patients)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_series_never_publishes_a_lone_withheld_month_of_a_group(population):
    with override_settings(**RULE):
        rows = published(population, "age_band", MONTHS, series=True)
        for group in GROUPS:
            withheld = [r for r in rows if r["age_band"] == group and r["suppressed"]]
            assert (
                len(withheld) != 1
                or exact_counts(population, group) == 0
                or all(r["suppressed"] for r in rows if r["age_band"] == group)
            )
        for month in MONTHS:
            withheld = [r for r in rows if r["period"] == month and r["suppressed"]]
            members = [r for r in rows if r["period"] == month]
            assert len(withheld) != 1 or len(members) == 1
