"""How do GP practices vary? Enrolment per 1,000 registered, outcomes, deciles."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from analytics import disclosure
from analytics.summaries.cells import (
    _rounded,
    _series_partitions,
    case_mix_model,
    gc_paused,
    paired_cells,
)
from analytics.summaries.comparison import (
    IMPROVED_FUNNEL_KEYS,
    _modelled_n,
    add_funnels,
    figures,
    grouped_rows,
    meta,
    protect,
)
from analytics.summaries.query import OutcomeQuery
from analytics.summaries.sql import _id_for, practice_enrolment_rows
from outcomes import statistics as st
from proms.side_by_side import side_by_side
from surveys.sql import AGE_BANDS

# --- GP practice variation ---------------------------------------------------------------------


def _enrolment_rate(row: dict[str, Any], standard: Standardisation | None) -> dict[str, Any]:
    """Enrolment per 1,000 from the published (rounded) count: the list size is published, so
    a rate from the exact count would give the count back (rate × list size / 1,000).

    A practice with registered patients by age band and sex gets the indirectly standardised
    ratio O/E and the standardised rate = ratio × the crude rate of all practices with a
    breakdown (PHE ``calculate_ISRatio``); any other practice gets the crude rate."""
    pk = row.pop("_pk")
    row |= dict.fromkeys(("enrolment_ratio", "enrolment_ratio_lower", "enrolment_ratio_upper"))
    if row["suppressed"]:
        return row
    if standard is not None and pk in standard.populations:
        ratio = st.indirectly_standardised_ratio(
            standard.observed.get(pk, 0),  # exact: a complex calculation (methods §6)
            [standard.populations[pk].get(s, 0) for s in STRATA],
            [standard.rates[s] for s in STRATA],
        )
        if ratio is not None:
            per_1000 = 1000 * standard.overall_rate
            return row | {
                "enrolment_ratio": _rounded(ratio.value, 3),
                "enrolment_ratio_lower": _rounded(ratio.lower, 3),
                "enrolment_ratio_upper": _rounded(ratio.upper, 3),
                "enrolment_rate_per_1000": _rounded(ratio.value * per_1000),
                "enrolment_rate_lower": _rounded(ratio.lower * per_1000),
                "enrolment_rate_upper": _rounded(ratio.upper * per_1000),
                "enrolment_rate_method": "indirectly standardised by age and sex; "
                + ratio.method.removeprefix("indirect, "),
            }
    if not row["list_size"]:
        return row
    rate = st.crude_rate(row["enrolled"], row["list_size"])
    return row | {
        "enrolment_rate_per_1000": _rounded(rate.value),
        "enrolment_rate_lower": _rounded(rate.lower),
        "enrolment_rate_upper": _rounded(rate.upper),
        "enrolment_rate_method": "crude; " + rate.method,
    }


STRATA = tuple((sex, band) for sex in ("female", "male") for band in AGE_BANDS)


@dataclass(frozen=True)
class Standardisation:
    """Inputs of indirect standardisation over the practices that have a breakdown."""

    populations: dict[int, dict[tuple[str, str], int]]  # practice → (sex, band) → registered
    observed: dict[int, int]  # practice → episodes of its female and male patients
    rates: dict[tuple[str, str], float]  # reference enrolments per registered patient
    overall_rate: float  # those episodes ÷ everyone registered, over the same practices


def _practice_populations() -> dict[int, dict[tuple[str, str], int]]:
    """Registered patients by (sex, age band) of every practice that has a breakdown."""
    from surveys.models import PracticePopulation

    populations: dict[int, dict[tuple[str, str], int]] = defaultdict(dict)
    for practice_id, sex, band, registered in PracticePopulation.objects.values_list(
        "practice_id", "sex", "age_band", "registered"
    ):
        populations[practice_id][(sex, band)] = registered
    return populations


def _standardisation(
    populations: dict[int, dict[tuple[str, str], int]],
    by_stratum: Iterable[tuple[Any, Any, Any, Any]],
) -> Standardisation | None:
    """Reference rates by sex and age band from every practice with a breakdown; None if no
    practice has one (then every rate is crude). Episodes of patients whose sex is recorded as
    other or not known have no registered population to compare with and are left out of O
    and of the reference rates alike."""
    if not populations:
        return None
    events: dict[int, dict[tuple[str, str], int]] = defaultdict(dict)
    for practice_id, sex, band, count in by_stratum:
        if practice_id in populations and (sex, band) in STRATA:
            events[practice_id][(sex, band)] = int(count)
    registered = sum(sum(strata.values()) for strata in populations.values())
    observed = {pk: sum(strata.values()) for pk, strata in events.items()}
    return Standardisation(
        populations=dict(populations),
        observed=observed,
        rates=st.reference_rates(list(events.values()), list(populations.values()), STRATA),
        overall_rate=sum(observed.values()) / registered if registered else 0.0,
    )


@gc_paused()
def practice_variation(query: OutcomeQuery) -> dict[str, Any]:
    """Per practice (and period, in a series): enrolment per 1,000 registered patients
    (indirectly standardised by age and sex where the practice's registered patients by age
    band and sex are loaded, else crude), outcome figures with the case-mix adjusted change,
    and deciles among practices."""
    from surveys.models import Practice, Provider

    provider_id = _id_for(Provider, query.provider, "provider")
    practices = list(Practice.objects.values_list("pk", "ods_code", "name", "list_size"))
    # The model is fitted on every provider's patients (as for the summary), then the cells
    # are narrowed to the provider asked for: only its cells need their provider. The two
    # reads are independent: at the same time where possible (proms/side_by_side.py).
    enrolments, all_cells = side_by_side(
        [
            lambda: practice_enrolment_rows(query, provider_id),
            lambda: paired_cells(
                query, by_practice=True, by_provider=False, keep_provider=provider_id
            ),
        ]
    )
    by_period: dict[Any, list[tuple]] = defaultdict(list)
    for period, *stratum in enrolments:
        by_period[period].append(tuple(stratum))
    model = case_mix_model(all_cells)
    cells = [
        cell
        for cell in all_cells
        if cell.key["practice_id"] is not None
        and (provider_id is None or cell.key["provider_id"] == provider_id)
    ]
    periods = sorted({*by_period, *(c.key["period"] for c in cells)}, key=str)
    if not query.series:
        periods = [None]
    enrolment_rows = []
    for period in periods:
        enrolled: dict[int, int] = defaultdict(int)
        for practice_id, _, _, count in by_period.get(period, []):
            enrolled[practice_id] += int(count)
        for pk, code, name, list_size in practices:
            enrolment_rows.append(
                {
                    "_pk": pk,
                    "practice": code,
                    "practice_name": name,
                    **({"period": period} if query.series else {}),
                    "list_size": list_size,
                    "enrolled": enrolled.get(pk, 0),
                    "enrolment_rate_per_1000": None,
                    "enrolment_rate_lower": None,
                    "enrolment_rate_upper": None,
                    "enrolment_rate_method": None,
                }
            )
    populations = _practice_populations()
    standards = {
        period: _standardisation(populations, by_period.get(period, [])) for period in periods
    }
    enrolment_rows = [
        _enrolment_rate(row, standards[row.get("period")])
        for row in disclosure.protect_rows(
            enrolment_rows,
            count_keys=["enrolled"],
            partitions=_series_partitions(query, lambda row: None, "practice"),
            keep_keys=["_pk", "practice", "practice_name", "period", "list_size"],
        )
    ]
    series = query.series is not None
    raw = grouped_rows(cells, query.measure, model, "practice", adjust=True, series=series)
    dispersion = add_funnels(raw, model, query.measure, "practices")
    outcome_rows = protect(raw, "practice", series=series)
    outcomes_by_key = {(row["practice"], row.get("period")): row for row in outcome_rows}
    empty = (
        {
            key: value
            for key, value in figures([], query.measure, None, adjust=True).items()
            if not key.startswith("_")
        }
        | dict.fromkeys(IMPROVED_FUNNEL_KEYS)
        | {"suppressed": False}
    )
    rows = []
    for enrolment in enrolment_rows:
        key = (enrolment["practice"], enrolment.get("period"))
        outcome = dict(outcomes_by_key.get(key, empty))
        for label in ("practice", "practice_name", "period"):
            outcome.pop(label, None)
        outcome["outcome_suppressed"] = outcome.pop("suppressed", None)
        rows.append(enrolment | outcome)
    centiles = []
    for period in periods:
        members = [row for row in rows if row.get("period") == period]
        _add_deciles(members)
        centiles.append({"period": period} | reference_centiles(members))
    if query.practice:
        rows = [row for row in rows if row["practice"] == query.practice]
    answer_meta = meta(query, model, adjusted=True, fitted_on=_modelled_n(all_cells))
    answer_meta["overdispersion"] = dispersion
    answer_meta["centiles"] = centiles
    answer_meta["ranking"] = {
        "min_units": MIN_RANKED_UNITS,
        "rule": (
            "Deciles rank only practices with a published figure (enrolment rate: a list size "
            "and a published enrolment count; adjusted change: at least min_n_for_adjusted "
            f"modelled patients), and only when at least {MIN_RANKED_UNITS} practices of the "
            "period have one; otherwise the decile is null and *_vs_median with the funnel "
            "position say where a practice sits. centiles: the 10th to 90th centiles of all "
            "practices' published figures per period (OpenPrescribing's reference lines)."
        ),
    }
    return {"meta": answer_meta, "results": rows}


MIN_RANKED_UNITS = 10  # a decile among fewer units than this is a rank, not a distribution
CENTILES = (10, 20, 30, 40, 50, 60, 70, 80, 90)
RANKED = ("enrolment_rate_per_1000", "adjusted_change")


def _rankable(row: dict[str, Any], figure: str) -> float | None:
    """The figure a practice is ranked by, or None when it has too little data to rank."""
    if figure == "enrolment_rate_per_1000":
        if row["suppressed"] or not row.get("list_size"):
            return None
        return row.get(figure)
    if row.get("outcome_suppressed") is not False:
        return None
    return row.get(figure)  # published only with n_modelled ≥ DISCLOSURE_MIN_ADJUSTED


def reference_centiles(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """10th-90th centiles of each ranked figure over the practices of one period, as
    OpenPrescribing draws behind every practice's measure (its ``percentile`` lines: linear
    interpolation between order statistics, numpy's default); null with fewer than
    MIN_RANKED_UNITS practices."""
    out: dict[str, Any] = {}
    for figure in RANKED:
        values = sorted(v for v in (_rankable(r, figure) for r in rows) if v is not None)
        if len(values) < MIN_RANKED_UNITS:
            out[figure] = None
            continue
        out[figure] = {f"p{c}": _rounded(_centile(values, c), 3) for c in CENTILES}
    return out


def _centile(ordered: Sequence[float], centile: float) -> float:
    position = (len(ordered) - 1) * centile / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _add_deciles(rows: Sequence[dict[str, Any]]) -> None:
    """Each practice's decile among the practices of the same period, only for practices with
    enough data and only among at least MIN_RANKED_UNITS of them; and, for every practice with
    a figure, whether it sits above or below the period's median (docs/methods.md §6)."""
    for figure, decile_key in (
        ("enrolment_rate_per_1000", "enrolment_rate_decile"),
        ("adjusted_change", "adjusted_change_decile"),
    ):
        values = [_rankable(r, figure) for r in rows]
        present = sorted(v for v in values if v is not None)
        ranked = len(present) >= MIN_RANKED_UNITS
        deciles = st.deciles(values) if ranked else [None] * len(rows)
        median = _centile(present, 50) if present else None
        for row, value, decile in zip(rows, values, deciles, strict=True):
            row[decile_key] = decile
            row[f"{figure.removesuffix('_per_1000')}_vs_median"] = (
                None
                if value is None
                else "above"
                if value > median
                else "below"
                if value < median
                else "at"
            )
