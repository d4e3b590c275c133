"""Read models for comparing outcomes: paired baseline/follow-up scores aggregated in the database.

One query per figure set. The database joins each follow-up result to the same episode's
baseline result (same instrument code) and returns, per *cell* (provider [, practice]
[, period], age band, sex, IMD quintile), the count and the sums Σb, Σf, Σb², Σbf, Σf² and the
MIC class counts. Every published figure, the case-mix model included, is an exact function of
these sums (outcomes/statistics.py), so the response never holds patient-level rows and never
touches identifiers: only ids, age bands, sex and deprivation quintiles leave the database.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext

from outcomes import disclosure
from outcomes import statistics as st
from outcomes.loading import catalogue
from outcomes.models import Condition, Instrument, Pathway
from surveys.pairs import measure_slots, paired_baselines
from surveys.sql import AGE_BANDS, age_band_sql, age_sql, in_sql, json_number_sql

DEFAULT_INSTRUMENT = "mskt-core"  # the common questionnaire: every condition, every timepoint
DEFAULT_OUTCOME = "quality-of-life"
GROUPINGS = ("provider", "practice", "imd_quintile", "age_band", "sex", "none")
CASE_MIX_FACTORS = ("age_band", "sex", "imd_quintile")
UNKNOWN = "unknown"


class QueryError(ValueError):
    """A request that cannot be answered, with a message for the person who made it."""


# --- what is measured ------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """One number per response: a harmonised outcome or a native score of one instrument."""

    instrument: str
    kind: str  # "outcome" (InstrumentResult.outcomes) or "score" (InstrumentResult.scores)
    name: str
    label: str
    higher_is_better: bool
    minimum: float | None
    maximum: float | None
    mic: float | None
    mic_score: str | None  # the native score the MIC applies to
    mic_higher_is_better: bool | None
    mic_source: str = ""

    @property
    def decimals(self) -> int:
        """Decimal places of published means: 1 on scales spanning 10 points or more (0-100,
        OKS 0-48, NRS 0-10), 3 on index scales such as EQ-5D (-0.285 to 1). Coarser figures
        make differencing two overlapping requests less precise (docs/methods.md §7)."""
        if self.minimum is None or self.maximum is None:
            return 1
        return 1 if self.maximum - self.minimum >= 10 else 3

    def describe(self) -> dict[str, Any]:
        return {
            "instrument": self.instrument,
            "kind": self.kind,
            "name": self.name,
            "label": self.label,
            "range": [self.minimum, self.maximum],
            "higher_is_better": self.higher_is_better,
            "mic": self.mic,
            "mic_applies_to": (
                f"score '{self.mic_score}' of {self.instrument} (its own scale)"
                if self.mic is not None
                else None
            ),
            "mic_source": self.mic_source or None,
        }


def measure_resolve(
    instrument: str | None = None, score: str | None = None, outcome: str | None = None
) -> Measure:
    """The measure a request names; defaults to the common questionnaire's quality of life."""
    definitions = catalogue()
    if score and outcome:
        raise QueryError("Give either 'score' or 'outcome', not both.")
    if not (instrument or score or outcome):
        outcome = DEFAULT_OUTCOME
    if outcome and not instrument:
        instrument = DEFAULT_INSTRUMENT
    if score and not instrument:
        raise QueryError("'score' needs 'instrument' (e.g. instrument=oks&score=total).")
    try:
        spec = definitions.instrument(instrument)
    except KeyError:
        raise QueryError(f"No instrument '{instrument}' is defined.") from None
    numeric = [s for s in spec.scores if s.kind == "number"]
    if outcome:
        if outcome not in definitions.outcomes:
            raise QueryError(f"No outcome '{outcome}' is defined.")
        rules = [r for r in spec.harmonisation if r.outcome == outcome]
        if not rules:
            informed = ", ".join(sorted(r.outcome for r in spec.harmonisation)) or "none"
            raise QueryError(
                f"Instrument '{instrument}' does not inform outcome '{outcome}' "
                f"(it informs: {informed})."
            )
        rule = rules[0]
        native = spec.score(rule.name) if rule.source == "score" else None
        has_mic = native is not None and native.mic is not None
        return Measure(
            instrument=spec.code,
            kind="outcome",
            name=outcome,
            label=f"{definitions.outcomes[outcome].title} (harmonised 0-100, {spec.short_title})",
            higher_is_better=True,
            minimum=0.0,
            maximum=100.0,
            mic=native.mic if has_mic else None,
            mic_score=native.name if has_mic else None,
            mic_higher_is_better=native.higher_is_better if has_mic else None,
            mic_source=native.mic_source if has_mic else "",
        )
    if score:
        chosen = next((s for s in numeric if s.name == score), None)
        if chosen is None:
            names = ", ".join(s.name for s in numeric)
            raise QueryError(
                f"Instrument '{instrument}' has no numeric score '{score}' (scores: {names})."
            )
    else:
        chosen = next((s for s in numeric if s.outcome), numeric[0] if numeric else None)
        if chosen is None:
            raise QueryError(f"Instrument '{instrument}' has no numeric score.")
    return Measure(
        instrument=spec.code,
        kind="score",
        name=chosen.name,
        label=f"{spec.short_title} {chosen.label}",
        higher_is_better=bool(chosen.higher_is_better),
        minimum=chosen.minimum,
        maximum=chosen.maximum,
        mic=chosen.mic,
        mic_score=chosen.name if chosen.mic is not None else None,
        mic_higher_is_better=chosen.higher_is_better,
        mic_source=chosen.mic_source,
    )


# --- periods ---------------------------------------------------------------------------------

QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Period:
    """A half-open range of local dates [start, end) and the label it was asked for by."""

    start: dt.date | None
    end: dt.date | None
    label: str | None = None

    def bounds(self) -> tuple[dt.datetime | None, dt.datetime | None]:
        zone = ZoneInfo(settings.TIME_ZONE)

        def at_midnight(day):
            return None if day is None else dt.datetime.combine(day, dt.time(), tzinfo=zone)

        return at_midnight(self.start), at_midnight(self.end)


def period_parse(
    period: str | None = None, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> Period:
    """'2026Q1' (a calendar quarter), '2026-03' (a month) or from/to dates (inclusive)."""
    if period and (date_from or date_to):
        raise QueryError("Give either 'period' or 'from'/'to', not both.")
    if period:
        if match := QUARTER.match(period):
            year, quarter = int(match[1]), int(match[2])
            start = dt.date(year, 3 * quarter - 2, 1)
            end = dt.date(year + 1, 1, 1) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1)
            return Period(start, end, period)
        if match := MONTH.match(period):
            year, month = int(match[1]), int(match[2])
            start = dt.date(year, month, 1)
            end = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
            return Period(start, end, period)
        raise QueryError(
            f"'period' must be a quarter such as 2026Q1 or a month such as 2026-03, not '{period}'."
        )
    if date_from and date_to and date_to < date_from:
        raise QueryError("'to' must not be before 'from'.")
    # Whole months only: two ranges a day apart would differ by a handful of patients, whose
    # figures could then be recovered by subtraction (docs/methods.md §7, differencing).
    if date_from and date_from.day != 1:
        raise QueryError(
            f"'from' must be the first day of a month (e.g. {date_from:%Y-%m}-01), "
            f"not {date_from}: figures are published for whole months only."
        )
    if date_to and date_to != _month_end(date_to):
        raise QueryError(
            f"'to' must be the last day of a month (e.g. {_month_end(date_to)}), not {date_to}: "
            "figures are published for whole months only."
        )
    end = date_to + dt.timedelta(days=1) if date_to and date_to < dt.date.max else None
    label = None
    if date_from or date_to:
        label = f"{date_from or ''}..{date_to or ''}"
    return Period(date_from, end, label)


def _month_end(day: dt.date) -> dt.date:
    if day.month == 12:
        return day.replace(day=31)
    return day.replace(month=day.month + 1, day=1) - dt.timedelta(days=1)


# --- the query ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeQuery:
    condition: str
    measure: Measure
    timepoint: str = "6-months"
    baseline_timepoint: str = "baseline"
    provider: str | None = None  # ODS code
    practice: str | None = None  # ODS code
    period: Period = field(default_factory=lambda: Period(None, None))
    group_by: str = "provider"
    series: str | None = None  # "month" or "quarter"


@dataclass
class Cell:
    key: dict[str, Any]
    sums: st.CellSums
    improved: int = 0
    worse: int = 0


def _pathway_ids(condition: str) -> list[int]:
    if not Condition.objects.filter(code=condition).exists():
        raise QueryError(f"No condition '{condition}' is defined.")
    return list(Pathway.objects.filter(condition__code=condition).values_list("id", flat=True))


def _check_timepoints(query: OutcomeQuery) -> None:
    codes = {
        timepoint.code
        for pathway in catalogue().pathways.values()
        if pathway.condition == query.condition
        for timepoint in pathway.timepoints
    }
    for name in ("timepoint", "baseline_timepoint"):
        value = getattr(query, name)
        if value not in codes:
            raise QueryError(
                f"'{name}' must be one of the {query.condition} pathway's timepoints "
                f"({', '.join(sorted(codes))}), not '{value}'."
            )
    if query.timepoint == query.baseline_timepoint:
        raise QueryError("'timepoint' and 'baseline_timepoint' must differ.")


def _period_label(value: Any, series: str | None) -> str | None:
    """'2026-03' or '2026Q1' for the start of a month or quarter (labels pass through)."""
    if not isinstance(value, dt.date):
        return value
    if series == "quarter":
        return f"{value.year}Q{(value.month - 1) // 3 + 1}"
    return f"{value.year:04d}-{value.month:02d}"


def _period_sql(column: str, series: str | None, *, date: bool = False) -> tuple[str, list[Any]]:
    """Month ('2026-03') or quarter ('2026Q1') of a timestamp in the service's time zone, or of
    a date column (``date=True``: a local date already, so no time-zone shift). On PostgreSQL a
    timestamp's period comes back as its first moment, for ``_period_label`` to name: twice
    as quick as ``to_char`` over every pair of a series."""
    if not series:
        return "NULL", []
    if connection.vendor == "postgresql":
        if date:
            fmt = "YYYY-MM" if series == "month" else 'YYYY"Q"Q'
            return f"to_char({column}, '{fmt}')", []
        return f"date_trunc(%s, {column} AT TIME ZONE %s)", [series, settings.TIME_ZONE]
    # SQLite stores UTC text; month boundaries are UTC here (local demo and tests only).
    if series == "month":
        return f"strftime('%%Y-%%m', {column})", []
    return (
        f"(strftime('%%Y', {column}) || 'Q' || "
        f"((CAST(strftime('%%m', {column}) AS INTEGER) + 2) / 3))",
        [],
    )


def _datetime_param(value: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def paired_cells(query: OutcomeQuery, *, by_practice: bool = False) -> list[Cell]:
    """Per-cell sums of paired baseline and follow-up values for a condition and measure.

    Cells are keyed by provider id [, practice id] [, period], age band (age at referral), sex
    and IMD quintile ((decile + 1) // 2; None when the patient has no area). All providers are
    included, since the case-mix model is fitted on all of them; callers filter afterwards. The
    period restricts the follow-up response's submission time.
    """
    pathway_ids = _pathway_ids(query.condition)
    _check_timepoints(query)
    versions = dict(
        Instrument.objects.filter(code=query.measure.instrument).values_list("id", "version")
    )
    if not pathway_ids or not versions:
        return []
    measure = query.measure
    mic_columns = measure.mic is not None and measure.kind == "outcome"
    source = (
        _pairs_from_read_model
        if query.baseline_timepoint in paired_baselines()
        else _pairs_from_responses
    )
    inner, inner_params = source(query, pathway_ids, versions, by_practice)
    class_columns = ", 0, 0"
    class_params: list[Any] = []
    if measure.mic is not None:
        direction = 1 if measure.mic_higher_is_better else -1
        change = "(mf - mb) * %s" if mic_columns else "(f - b) * %s"
        class_columns = (
            f", SUM(CASE WHEN {change} >= %s THEN 1 ELSE 0 END)"
            f", SUM(CASE WHEN {change} <= %s THEN 1 ELSE 0 END)"
        )
        class_params = [
            direction,
            measure.mic - st.MIC_TOLERANCE,
            direction,
            -measure.mic + st.MIC_TOLERANCE,
        ]
    sql = f"""
        SELECT provider_id, practice_id, period, age_band, sex, imd_quintile, COUNT(*),
               SUM(b), SUM(f), SUM(b * b), SUM(b * f), SUM(f * f){class_columns}
        FROM ({inner}) AS pairs
        WHERE b IS NOT NULL AND f IS NOT NULL
        GROUP BY provider_id, practice_id, period, age_band, sex, imd_quintile
    """  # noqa: S608
    # Parameters in text order: the outer MIC classes, then the inner query's.
    rows = _fetch(sql, [*class_params, *inner_params])
    cells = []
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
    ) in rows:
        cells.append(
            Cell(
                key={
                    "provider_id": provider_id,
                    "practice_id": practice_id,
                    "period": _period_label(period, query.series),
                    "age_band": age_band,
                    "sex": sex,
                    "imd_quintile": None if imd is None else int(imd),
                },
                sums=st.CellSums(int(n), sb, sf, sbb, sbf, sff),
                improved=int(i or 0),
                worse=int(w or 0),
            )
        )
    return cells


def _values_sql(measure: Measure, baseline: str, follow_up: str) -> tuple[str, list[Any]]:
    """The b and f (and, for a harmonised outcome with a MIC, mb and mf) columns of a pair of
    instrument results ``baseline`` and ``follow_up`` (table aliases)."""
    column = "outcomes" if measure.kind == "outcome" else "scores"
    value_b, params_b = json_number_sql(baseline, column, measure.name)
    value_f, params_f = json_number_sql(follow_up, column, measure.name)
    sql, params = f"{value_b} AS b, {value_f} AS f", [*params_b, *params_f]
    if measure.mic is not None and measure.kind == "outcome":
        mic_b, p_mb = json_number_sql(baseline, "scores", measure.mic_score)
        mic_f, p_mf = json_number_sql(follow_up, "scores", measure.mic_score)
        sql += f", {mic_b} AS mb, {mic_f} AS mf"
        params += [*p_mb, *p_mf]
    return sql, params


def _period_where(period: Period, column: str, where: list[str], params: list[Any]) -> None:
    """Restrict a timestamp column to the period (half-open, local midnights)."""
    start, end = period.bounds()
    if start:
        where.append(f"{column} >= %s")
        params.append(_datetime_param(start))
    if end:
        where.append(f"{column} < %s")
        params.append(_datetime_param(end))


def _slot_sql(column: str, versions: dict[int, str], instrument: str, kind: str, name: str) -> str:
    """SQL for one measure in a paired-result array column, by the row's instrument version
    (NULL where a version lacks the measure). Only integers are interpolated."""
    slots = {}
    for pk, version in versions.items():
        try:
            layout = measure_slots(catalogue().instrument(instrument, version))
        except KeyError:  # a version in the database but no longer in the definition files
            continue
        if (kind, name) in layout:
            slots[pk] = layout.index((kind, name))

    def element(slot: int) -> str:
        if connection.vendor == "postgresql":
            return f"pr.{column}[{slot + 1}]"
        return f"json_extract(pr.{column}, '$[{slot}]')"

    if not slots:
        return "NULL"
    if len(set(slots.values())) == 1 and len(slots) == len(versions):
        return element(next(iter(slots.values())))
    whens = " ".join(f"WHEN {int(pk)} THEN {element(slot)}" for pk, slot in slots.items())
    return f"CASE pr.instrument_id {whens} END"


def _pairs_from_read_model(
    query: OutcomeQuery, pathway_ids: list[int], versions: dict[int, str], by_practice: bool
) -> tuple[str, list[Any]]:
    """Pairs from ``surveys_pairedresult`` (surveys/pairs.py): one index range, no joins."""
    measure = query.measure

    def slot(column: str, kind: str, name: str | None) -> str:
        return _slot_sql(column, versions, measure.instrument, kind, name or "")

    values = (
        f"{slot('baseline_values', measure.kind, measure.name)} AS b, "
        f"{slot('follow_up_values', measure.kind, measure.name)} AS f"
    )
    if measure.mic is not None and measure.kind == "outcome":
        values += (
            f", {slot('baseline_values', 'score', measure.mic_score)} AS mb"
            f", {slot('follow_up_values', 'score', measure.mic_score)} AS mf"
        )
    period_sql, period_params = _period_sql("pr.followed_up_at", query.series)
    instrument_ids = sorted(versions)
    where = [
        f"pr.instrument_id {in_sql(instrument_ids)}",
        "pr.timepoint = %s",
        "pr.baseline_timepoint = %s",
        f"pr.pathway_id {in_sql(pathway_ids)}",
    ]
    params: list[Any] = [
        *instrument_ids,
        query.timepoint,
        query.baseline_timepoint,
        *pathway_ids,
    ]
    _period_where(query.period, "pr.followed_up_at", where, params)
    practice_col = "pr.practice_id" if by_practice else "NULL"
    # Only fixed SQL fragments are interpolated below; every value is a query parameter.
    sql = f"""
        SELECT pr.provider_id AS provider_id, {practice_col} AS practice_id,
               {period_sql} AS period, pr.age_band AS age_band, pr.sex AS sex,
               pr.imd_quintile AS imd_quintile, {values}
        FROM surveys_pairedresult pr
        WHERE {" AND ".join(where)}
    """  # noqa: S608
    return sql, [*period_params, *params]


def _pairs_from_responses(
    query: OutcomeQuery, pathway_ids: list[int], versions: dict[int, str], by_practice: bool
) -> tuple[str, list[Any]]:
    """Pairs joined from the responses themselves: for a baseline timepoint the read model
    does not hold. Same pairing rule as surveys/pairs.py (same episode, same instrument code)."""
    period_sql, period_params = _period_sql("frs.submitted_at", query.series)
    values, value_params = _values_sql(query.measure, "br", "fr")
    age = age_sql("e.referred_on", "p.date_of_birth")
    instrument_ids = sorted(versions)
    where = [
        "fi.timepoint = %s",
        "bi.timepoint = %s",
        f"e.pathway_id {in_sql(pathway_ids)}",
        f"fr.instrument_id {in_sql(instrument_ids)}",
        f"br.instrument_id {in_sql(instrument_ids)}",
    ]
    params: list[Any] = [
        query.timepoint,
        query.baseline_timepoint,
        *pathway_ids,
        *instrument_ids,
        *instrument_ids,
    ]
    _period_where(query.period, "frs.submitted_at", where, params)
    practice_col = "p.practice_id" if by_practice else "NULL"
    # Only fixed SQL fragments are interpolated below; every value is a query parameter.
    sql = f"""
        SELECT e.provider_id AS provider_id, {practice_col} AS practice_id,
               {period_sql} AS period, {age_band_sql(age)} AS age_band, p.sex AS sex,
               (a.imd_decile + 1) / 2 AS imd_quintile, {values}
        FROM surveys_instrumentresult fr
        JOIN surveys_response frs ON frs.id = fr.response_id
        JOIN surveys_invitation fi ON fi.id = frs.invitation_id
        JOIN surveys_episode e ON e.id = fi.episode_id
        JOIN surveys_patient p ON p.id = e.patient_id
        LEFT JOIN surveys_area a ON a.id = p.area_id
        JOIN surveys_invitation bi ON bi.episode_id = e.id
        JOIN surveys_response brs ON brs.invitation_id = bi.id
        JOIN surveys_instrumentresult br ON br.response_id = brs.id
        WHERE {" AND ".join(where)}
    """  # noqa: S608
    return sql, [*period_params, *value_params, *params]


# --- from cells to published rows ------------------------------------------------------------


def _rounded(value: float | None, decimals: int = 2) -> float | None:
    return None if value is None else round(value, decimals)


def _total(cells: Iterable[Cell]) -> tuple[st.CellSums, int, int]:
    total = st.CellSums()
    improved = worse = 0
    for cell in cells:
        total.add(cell.sums)
        improved += cell.improved
        worse += cell.worse
    return total, improved, worse


def _covariates(cell: Cell) -> dict[str, str]:
    return {
        "age_band": cell.key["age_band"],
        "sex": cell.key["sex"],
        "imd_quintile": str(cell.key["imd_quintile"]),
    }


def _modelled(cells: Iterable[Cell]) -> list[Cell]:
    """Complete cases for the case-mix model: patients with a known IMD quintile."""
    return [cell for cell in cells if cell.key["imd_quintile"] is not None]


def _patterns(cells: Iterable[Cell]) -> list[tuple[dict[str, str], st.CellSums]]:
    """Modelled cells merged by covariate pattern. The model and its predictions depend on a
    cell only through its covariates and sums, which add up, so merging cells of the same
    pattern (across providers, practices and periods) changes no figure: it only spares
    fitting thousands of by-practice cells one by one."""
    merged: dict[tuple, tuple[dict[str, str], st.CellSums]] = {}
    for cell in _modelled(cells):
        covariates = _covariates(cell)
        key = tuple(covariates[f] for f in CASE_MIX_FACTORS)
        if key not in merged:
            merged[key] = (covariates, st.CellSums())
        merged[key][1].add(cell.sums)
    return list(merged.values())


def case_mix_model(cells: Sequence[Cell]) -> st.CaseMixModel | None:
    """follow-up ~ 1 + age band + sex + IMD quintile + baseline, on every provider's patients."""
    return st.case_mix_fit(_patterns(cells), CASE_MIX_FACTORS)


def change_estimate(total: st.CellSums) -> st.MeanEstimate:
    """Mean paired change with its t interval, from the sums: Σ(f − b)² = Σf² − 2Σbf + Σb²."""
    return st.mean_from_sums(
        total.n, total.sum_f - total.sum_b, total.sum_ff - 2 * total.sum_bf + total.sum_bb
    )


def figures(
    cells: Sequence[Cell], measure: Measure, model: st.CaseMixModel | None, adjust: bool
) -> dict[str, Any]:
    """Crude figures of one group, and case-mix adjusted ones with funnel limits if asked.

    The improved/unchanged/worse counts are published (rounded) and the percentages are derived
    from them after rounding, in ``protect``. No SD is published: with a CI half-width it would
    give the exact n (n = (t·s/half-width)²), which rounding is there to hide.
    """
    total, improved, worse = _total(cells)
    n = total.n
    places = measure.decimals
    baseline = st.mean_from_sums(n, total.sum_b, total.sum_bb)
    follow_up = st.mean_from_sums(n, total.sum_f, total.sum_ff)
    change = change_estimate(total)
    has_mic = measure.mic is not None and n > 0
    row: dict[str, Any] = {
        "n": n,
        "mean_baseline": _rounded(baseline.mean, places),
        "mean_baseline_lower": _rounded(baseline.lower, places),
        "mean_baseline_upper": _rounded(baseline.upper, places),
        "mean_follow_up": _rounded(follow_up.mean, places),
        "mean_follow_up_lower": _rounded(follow_up.lower, places),
        "mean_follow_up_upper": _rounded(follow_up.upper, places),
        "mean_change": _rounded(change.mean, places),
        "mean_change_lower": _rounded(change.lower, places),
        "mean_change_upper": _rounded(change.upper, places),
        "n_improved": improved if has_mic else None,
        "n_unchanged": n - improved - worse if has_mic else None,
        "n_worse": worse if has_mic else None,
        "pct_improved": None,
        "pct_unchanged": None,
        "pct_worse": None,
    }
    if adjust:
        row |= adjusted_figures(cells, model, places)
    return row


CLASS_COUNTS = {
    "n_improved": "pct_improved",
    "n_unchanged": "pct_unchanged",
    "n_worse": "pct_worse",
}


def class_percentages(row: dict[str, Any]) -> dict[str, Any]:
    """% improved/unchanged/worse from the *published* (rounded) counts over the published n,
    so the percentages carry no more than the rounded counts do (NHS Digital: percentages may
    be calculated from rounded figures)."""
    n = row.get("n")
    if row.get("suppressed") or not n:
        return row
    return row | {
        pct: _rounded(100 * row[count] / n, 1)
        for count, pct in CLASS_COUNTS.items()
        if row.get(count) is not None
    }


ADJUSTED_KEYS = (
    "n_modelled",
    "expected_follow_up",
    "adjusted_follow_up",
    "adjusted_change",
    "funnel_target",
    "funnel_lower_95",
    "funnel_upper_95",
    "funnel_lower_998",
    "funnel_upper_998",
    "funnel_position",
    "outside_95",
    "outside_998",
)


def adjusted_figures(
    cells: Sequence[Cell], model: st.CaseMixModel | None, places: int = 1
) -> dict[str, Any]:
    """AdjQ2/AdjHG = national mean + (O − E), with Spiegelhalter funnel limits around the
    national mean change using the model's residual SD; withheld below DISCLOSURE_MIN_ADJUSTED
    modelled patients (NHS PROMs: 30).

    The limits depend on the unit only through its n, so they are drawn for the *published*
    (rounded) n_modelled: limits from the exact n, with the residual SD in ``meta``, would give
    the exact n back. The flag is judged against the same published limits."""
    row: dict[str, Any] = dict.fromkeys(ADJUSTED_KEYS)
    modelled = _modelled(cells)
    row["n_modelled"] = sum(cell.sums.n for cell in modelled)
    if model is None or model.residual_sd is None or row["n_modelled"] < disclosure.min_adjusted():
        return row
    adjusted = st.case_mix_adjust(model, _patterns(modelled))
    published_n = disclosure.round_count(adjusted.n)
    limits = st.funnel_limits_mean(model.mean_change, model.residual_sd, published_n)
    position = limits.position(adjusted.adjusted_change)
    return row | {
        "expected_follow_up": _rounded(adjusted.expected, places),
        "adjusted_follow_up": _rounded(adjusted.adjusted_follow_up, places),
        "adjusted_change": _rounded(adjusted.adjusted_change, places),
        "funnel_target": _rounded(limits.target, places),
        "funnel_lower_95": _rounded(limits.lower_95, places),
        "funnel_upper_95": _rounded(limits.upper_95, places),
        "funnel_lower_998": _rounded(limits.lower_998, places),
        "funnel_upper_998": _rounded(limits.upper_998, places),
        "funnel_position": position,
        "outside_95": position != "within",
        "outside_998": position.endswith("99.8"),
    }


def model_description(model: st.CaseMixModel | None, places: int = 1) -> dict[str, Any] | None:
    """The model as published: n rounded like every count, means to the measure's places."""
    if model is None:
        return None
    return {
        "formula": "follow_up ~ 1 + age_band + sex + imd_quintile + baseline (OLS)",
        "reference_levels": {f: levels[0] for f, levels in model.factor_levels.items() if levels},
        "n_modelled": disclosure.round_count(model.n),
        "rank": model.rank,
        "coefficients": dict(
            zip(model.columns, (round(c, 4) for c in model.coefficients), strict=True)
        ),
        "residual_sd": _rounded(model.residual_sd, 3),
        "national_mean_baseline": _rounded(model.mean_baseline, places),
        "national_mean_follow_up": _rounded(model.mean_follow_up, places),
        "national_mean_change": _rounded(model.mean_change, places),
    }


def _organisations(model, ids: Iterable[int | None]) -> dict[int, tuple[str, str]]:
    ids = {i for i in ids if i is not None}
    return {
        pk: (ods, name)
        for pk, ods, name in model.objects.filter(pk__in=ids).values_list("pk", "ods_code", "name")
    }


def _id_for(model, ods_code: str | None, what: str) -> int | None:
    if not ods_code:
        return None
    pk = model.objects.filter(ods_code=ods_code).values_list("pk", flat=True).first()
    if pk is None:
        raise QueryError(f"No {what} with ODS code '{ods_code}'.")
    return pk


GROUP_LABEL_KEYS = {
    "provider": ("provider", "provider_name"),
    "practice": ("practice", "practice_name"),
    "imd_quintile": ("imd_quintile",),
    "age_band": ("age_band",),
    "sex": ("sex",),
    "none": ("group",),
}


def _group_value(cell: Cell, group_by: str) -> Any:
    if group_by == "provider":
        return cell.key["provider_id"]
    if group_by == "practice":
        return cell.key["practice_id"]
    if group_by == "none":
        return "all"
    return cell.key[group_by]


def _sort_key(value: Any) -> tuple:
    return (value is None, str(value) if not isinstance(value, int) else f"{value:09d}")


def grouped_rows(
    cells: Sequence[Cell],
    measure: Measure,
    model: st.CaseMixModel | None,
    group_by: str,
    *,
    adjust: bool,
    series: bool,
) -> list[dict[str, Any]]:
    """One row per group (and period), labelled without identifiers."""
    from surveys.models import Practice, Provider

    groups: dict[tuple, list[Cell]] = defaultdict(list)
    for cell in cells:
        groups[(_group_value(cell, group_by), cell.key["period"])].append(cell)
    names: dict[int, tuple[str, str]] = {}
    if group_by == "provider":
        names = _organisations(Provider, (k[0] for k in groups))
    elif group_by == "practice":
        names = _organisations(Practice, (k[0] for k in groups))
    rows = []
    for (value, period), members in sorted(
        groups.items(), key=lambda item: (_sort_key(item[0][0]), str(item[0][1]))
    ):
        if group_by in ("provider", "practice"):
            code, name = names.get(value, (UNKNOWN, "Not recorded"))
            label = {group_by: code, f"{group_by}_name": name}
        elif group_by == "none":
            label = {"group": "all"}
        else:
            label = {group_by: UNKNOWN if value is None else str(value)}
        if series:
            label["period"] = period
        rows.append(label | figures(members, measure, model, adjust))
    return rows


def protect(
    rows: list[dict[str, Any]], group_by: str, series: bool, extra_keep: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Disclosure control for a breakdown: the groups add up to a known total and, in a series,
    so do the periods of each group and the groups of each period."""
    label_keys = [*GROUP_LABEL_KEYS[group_by], *extra_keep]
    partitions = [lambda row: None]
    if series:
        label_keys.append("period")
        partitions = [
            lambda row: ("period", row.get("period")),
            lambda row: ("group", tuple(row.get(k) for k in GROUP_LABEL_KEYS[group_by])),
        ]
    protected = disclosure.protect_rows(
        rows,
        count_keys=["n"],
        partitions=partitions,
        rounded_keys=["n", "n_modelled", *CLASS_COUNTS],
        keep_keys=label_keys,
    )
    return [class_percentages(row) for row in protected]


def outcome_summary(query: OutcomeQuery) -> dict[str, Any]:
    """Per group: paired n, mean baseline/follow-up/change with 95% CIs, MIC classes and, for
    providers and practices, case-mix adjusted change with funnel limits."""
    from surveys.models import Practice, Provider

    if query.group_by not in GROUPINGS:
        raise QueryError(f"'group_by' must be one of {', '.join(GROUPINGS)}.")
    provider_id = _id_for(Provider, query.provider, "provider")
    practice_id = _id_for(Practice, query.practice, "practice")
    by_practice = query.group_by == "practice" or practice_id is not None
    cells = paired_cells(query, by_practice=by_practice)
    model = case_mix_model(cells)
    adjust = query.group_by in ("provider", "practice")
    series = query.series is not None

    def keep(cell: Cell) -> bool:
        # A filter on the grouping dimension itself applies after suppression (below), so that
        # a filtered view withholds exactly what the whole breakdown withholds.
        if provider_id is not None and query.group_by != "provider":
            return cell.key["provider_id"] == provider_id
        return True

    def keep_practice(cell: Cell) -> bool:
        if practice_id is not None and query.group_by != "practice":
            return cell.key["practice_id"] == practice_id
        return True

    selected = [cell for cell in cells if keep(cell) and keep_practice(cell)]
    rows = protect(
        grouped_rows(selected, query.measure, model, query.group_by, adjust=adjust, series=series),
        query.group_by,
        series,
    )
    if query.group_by == "provider" and query.provider:
        rows = [row for row in rows if row["provider"] == query.provider]
    if query.group_by == "practice" and query.practice:
        rows = [row for row in rows if row["practice"] == query.practice]
    return {"meta": meta(query, model, adjusted=adjust), "results": rows}


def meta(query: OutcomeQuery, model: st.CaseMixModel | None, *, adjusted: bool) -> dict[str, Any]:
    return {
        "filters": {
            "condition": query.condition,
            "provider": query.provider,
            "practice": query.practice,
            "timepoint": query.timepoint,
            "baseline_timepoint": query.baseline_timepoint,
            "period": query.period.label,
            "period_applies_to": "date the follow-up response was submitted",
            "group_by": query.group_by,
            "series": query.series,
        },
        "measure": query.measure.describe(),
        "method": {
            "summary": (
                "Paired episodes with both a baseline and a follow-up value. Means with t-based "
                "95% CIs; change = follow-up − baseline on the measure's own scale; improved/"
                "unchanged/worse by the instrument's MIC on its native score."
            ),
            "case_mix": (
                "Adjusted follow-up and change = national mean + (observed − expected) from one "
                "OLS model fitted on every provider's patients for this condition and measure; "
                "funnel limits national mean change ± z·residual SD/√n at 95% and 99.8%."
                if adjusted
                else "Not applied to this grouping: adjusted figures compare providers or "
                "practices; equity breakdowns stay crude (never adjust for the dimension "
                "being measured)."
            ),
            "reference": "docs/methods.md",
        },
        "model": model_description(model, query.measure.decimals) if adjusted else None,
        "disclosure": disclosure.policy(),
    }


# --- equity ----------------------------------------------------------------------------------

EQUITY_DIMENSIONS = ("imd_quintile", "age_band", "sex")


def _scope_sql(query: OutcomeQuery, provider_id, practice_id) -> tuple[list[str], list[Any]]:
    pathway_ids = _pathway_ids(query.condition) or [0]
    where = [f"e.pathway_id {in_sql(pathway_ids)}"]
    params: list[Any] = [*pathway_ids]
    if provider_id is not None:
        where.append("e.provider_id = %s")
        params.append(provider_id)
    if practice_id is not None:
        where.append("p.practice_id = %s")
        params.append(practice_id)
    return where, params


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple]:
    """Run one aggregate query. On PostgreSQL JIT compilation is switched off for it: these
    queries are costed high enough to trigger JIT, which then spends ~0.5 s compiling
    expressions for a query that runs in about the same time without it."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def _date_range_sql(column: str, query: OutcomeQuery) -> tuple[list[str], list[Any]]:
    """The request's period on a date column (referral date, due date), half-open."""
    where, params = [], []
    if query.period.start:
        where.append(f"{column} >= %s")
        params.append(query.period.start)
    if query.period.end:
        where.append(f"{column} < %s")
        params.append(query.period.end)
    return where, params


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


def _quintile(value: Any) -> str:
    return UNKNOWN if value is None else str(int(value))


def age_at_enrolment(query: OutcomeQuery, provider_id, practice_id) -> list[dict[str, Any]]:
    """Mean age at referral by IMD quintile (episodes referred in the period; in a series, by
    month or quarter of referral)."""
    where, params = _scope_sql(query, provider_id, practice_id)
    dates, date_params = _date_range_sql("e.referred_on", query)
    period_sql, period_params = _period_sql("e.referred_on", query.series, date=True)
    age = age_sql("e.referred_on", "p.date_of_birth")
    sql = f"""
        SELECT period, imd_quintile, COUNT(*), SUM(age), SUM(age * age) FROM (
            SELECT {period_sql} AS period, (a.imd_decile + 1) / 2 AS imd_quintile, {age} AS age
            FROM surveys_episode e
            JOIN surveys_patient p ON p.id = e.patient_id
            LEFT JOIN surveys_area a ON a.id = p.area_id
            WHERE {" AND ".join(where + dates)}
        ) AS enrolled GROUP BY period, imd_quintile
    """  # noqa: S608
    rows = []
    for period, quintile, n, total, squares in sorted(
        _fetch(sql, [*period_params, *params, *date_params]),
        key=lambda r: (_sort_key(r[1] and int(r[1])), str(r[0])),
    ):
        estimate = st.mean_from_sums(int(n), float(total), float(squares))
        label = {"period": period} if query.series else {}
        rows.append(
            {
                "table": "age_at_enrolment",
                "dimension": "imd_quintile",
                "group": _quintile(quintile),
                **label,
                "n": int(n),
                "mean_age": _rounded(estimate.mean, 1),
                "mean_age_lower": _rounded(estimate.lower, 1),
                "mean_age_upper": _rounded(estimate.upper, 1),
            }
        )
    return disclosure.protect_rows(
        rows,
        partitions=_series_partitions(query, lambda row: None),
        keep_keys=["table", "dimension", "group", "period"],
    )


def response_rates(query: OutcomeQuery, provider_id, practice_id) -> list[dict[str, Any]]:
    """Share of invitations answered, by IMD quintile, age band and channel, for the baseline
    and follow-up timepoints. Counted once the window has closed (or the patient answered);
    cancelled invitations are left out. The period applies to the invitation's due date."""
    where, params = _scope_sql(query, provider_id, practice_id)
    where += [
        "i.timepoint IN (%s, %s)",
        "i.status <> 'cancelled'",
        "(i.status = 'completed' OR i.closes_on < %s)",
    ]
    params += [query.baseline_timepoint, query.timepoint, timezone.localdate()]
    dates, date_params = _date_range_sql("i.due_on", query)
    where += dates
    params += date_params
    period_sql, period_params = _period_sql("i.due_on", query.series, date=True)
    age = age_sql("e.referred_on", "p.date_of_birth")
    # The channel the invitation was actually sent by: that of its first invitation message
    # handed to a channel (notifications outbox, read by table name: outcomes does not import
    # notifications). "none" when no message was sent, e.g. a questionnaire answered on paper
    # in clinic. The patient's preferred channel today may differ from the one used then.
    sql = f"""
        SELECT i.timepoint, (a.imd_decile + 1) / 2, {age_band_sql(age)},
               COALESCE((
                   SELECT n.channel FROM notifications_notification n
                   WHERE n.invitation_id = i.id AND n.kind = 'invite'
                     AND n.status NOT IN ('pending', 'held', 'cancelled')
                   ORDER BY n.id LIMIT 1
               ), 'none'),
               {period_sql},
               COUNT(*), SUM(CASE WHEN i.status = 'completed' THEN 1 ELSE 0 END)
        FROM surveys_invitation i
        JOIN surveys_episode e ON e.id = i.episode_id
        JOIN surveys_patient p ON p.id = e.patient_id
        LEFT JOIN surveys_area a ON a.id = p.area_id
        WHERE {" AND ".join(where)}
        GROUP BY 1, 2, 3, 4, 5
    """  # noqa: S608
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for timepoint, quintile, band, channel, period, invited, responded in _fetch(
        sql, [*period_params, *params]
    ):
        for dimension, group in (
            ("imd_quintile", _quintile(quintile)),
            ("age_band", band),
            ("channel", channel),
        ):
            totals[(timepoint, dimension, group, period)][0] += int(invited)
            totals[(timepoint, dimension, group, period)][1] += int(responded or 0)
    rows = []
    order = {query.baseline_timepoint: 0, query.timepoint: 1}
    dims = {"imd_quintile": 0, "age_band": 1, "channel": 2}
    for (timepoint, dimension, group, period), (invited, responded) in sorted(
        totals.items(),
        key=lambda t: (order[t[0][0]], dims[t[0][1]], _sort_key(t[0][2]), str(t[0][3])),
    ):
        rows.append(
            {
                "table": "response_rate",
                "timepoint": timepoint,
                "dimension": dimension,
                "group": group,
                **({"period": period} if query.series else {}),
                "invited": invited,
                "responded": responded,
                "not_responded": invited - responded,
                "response_rate_pct": None,
                "response_rate_lower": None,
                "response_rate_upper": None,
            }
        )
    protected = disclosure.protect_rows(
        rows,
        count_keys=["responded", "not_responded"],
        partitions=_series_partitions(query, lambda row: (row["timepoint"], row["dimension"])),
        rounded_keys=["invited", "responded", "not_responded"],
        keep_keys=["table", "timepoint", "dimension", "group", "period"],
    )
    return [_response_rate(row) for row in protected]


def _response_rate(row: dict[str, Any]) -> dict[str, Any]:
    """The rate and its Wilson interval from the published (rounded) counts: a rate from the
    exact counts, beside rounded ones, would give the exact counts back."""
    invited, responded = row["invited"], row["responded"]
    if row["suppressed"] or not invited:
        return row
    interval = st.wilson_interval(responded, invited)
    return row | {
        "response_rate_pct": _rounded(100 * responded / invited, 1),
        "response_rate_lower": _rounded(100 * interval[0], 1),
        "response_rate_upper": _rounded(100 * interval[1], 1),
    }


def deprivation_gradient(
    quintile_rows: Sequence[dict[str, Any]], measure: Measure
) -> dict[str, Any]:
    """SII (and RII) of mean improvement across IMD quintiles 1 (most deprived) to 5, on the
    unrounded means of the published quintiles; needs all five quintiles published.

    The change is oriented so that higher is better before fitting (population-methods §7.9):
    for a score where lower is better (ODI, NRS, PEG, FIQR) a fall is an improvement, so the
    mean change is multiplied by −1, as PHE ``phe_sii`` does with a negative multiplier. A
    positive SII then always means more improvement in less deprived areas."""
    row: dict[str, Any] = {
        "table": "slope_index_of_inequality",
        "dimension": "imd_quintile",
        "group": "1 (most deprived) to 5",
        "sii": None,
        "sii_lower": None,
        "sii_upper": None,
        "rii": None,
        "note": None,
    }
    usable = [
        r
        for r in quintile_rows
        if r.get("imd_quintile") in ("1", "2", "3", "4", "5")
        and not r.get("suppressed")
        and r.get("_sd_change") is not None
    ]
    if len(usable) < 5:
        return row | {"note": gettext("Needs all five IMD quintiles with published figures.")}
    usable.sort(key=lambda r: r["imd_quintile"])
    direction = 1 if measure.higher_is_better else -1
    index = st.slope_index_of_inequality(
        [direction * r["_mean_change"] for r in usable],
        [r["_n"] for r in usable],
        [r["_sd_change"] / r["_n"] ** 0.5 for r in usable],
    )
    if measure.higher_is_better:
        note = gettext(
            "SII of mean improvement (change in the score; higher is better). Positive: more "
            "improvement in less deprived areas."
        )
    else:
        note = gettext(
            "SII of mean improvement (the fall in the score, since lower is better for this "
            "measure). Positive: more improvement in less deprived areas."
        )
    rii = None
    if index.rii_meaningful:
        rii = _rounded(index.rii, 3)
    else:
        note += " " + gettext(
            "RII not given: the fitted mean improvement at one end of the deprivation scale is "
            "zero or negative, so their ratio has no meaning."
        )
    places = measure.decimals + 1
    return row | {
        "sii": _rounded(index.sii, places),
        "sii_lower": _rounded(index.lower, places),
        "sii_upper": _rounded(index.upper, places),
        "rii": rii,
        "note": note,
    }


def outcome_equity(query: OutcomeQuery) -> dict[str, Any]:
    """Crude figures by IMD quintile, age band and sex; SII across deprivation; age at
    enrolment by IMD quintile; response rates by IMD quintile, age band and channel."""
    from surveys.models import Practice, Provider

    provider_id = _id_for(Provider, query.provider, "provider")
    practice_id = _id_for(Practice, query.practice, "practice")
    cells = [
        cell
        for cell in paired_cells(query, by_practice=practice_id is not None)
        if (provider_id is None or cell.key["provider_id"] == provider_id)
        and (practice_id is None or cell.key["practice_id"] == practice_id)
    ]
    series = query.series is not None
    results: list[dict[str, Any]] = []
    sii_rows = []
    for dimension in EQUITY_DIMENSIONS:
        raw = grouped_rows(cells, query.measure, None, dimension, adjust=False, series=series)
        protected = protect(raw, dimension, series=series)
        if dimension == "imd_quintile":
            sii_rows = _gradients(protected, cells, query)
        for r in protected:
            group = r.pop(dimension)
            results.append({"table": "outcomes", "dimension": dimension, "group": group} | r)
    results += sii_rows
    results += age_at_enrolment(query, provider_id, practice_id)
    results += response_rates(query, provider_id, practice_id)
    return {"meta": meta(query, None, adjusted=False), "results": results}


def _gradients(
    protected: Sequence[dict[str, Any]], cells: Sequence[Cell], query: OutcomeQuery
) -> list[dict[str, Any]]:
    """One SII row (per period in a series) from the published quintiles. SII is a "complex
    calculation" (NHS Digital), fitted on the unrounded figures of the published quintiles."""
    periods = sorted({r.get("period") for r in protected}, key=str) if query.series else [None]
    rows = []
    for period in periods:
        quintiles = []
        period_cells = [c for c in cells if not query.series or c.key["period"] == period]
        for r in protected:
            if query.series and r["period"] != period:
                continue
            estimate = _change_exact(period_cells, r["imd_quintile"])
            quintiles.append(
                r | {"_n": estimate.n, "_mean_change": estimate.mean, "_sd_change": estimate.sd}
            )
        row = deprivation_gradient(quintiles, query.measure)
        if query.series:
            row = {**row, "period": period}
        rows.append(row)
    return rows


def _change_exact(cells: Sequence[Cell], quintile: Any) -> st.MeanEstimate:
    total, _, _ = _total(c for c in cells if _quintile(c.key["imd_quintile"]) == quintile)
    return change_estimate(total)


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
            disclosure.round_count(standard.observed.get(pk, 0)),
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


def practice_variation(query: OutcomeQuery) -> dict[str, Any]:
    """Per practice (and period, in a series): enrolment per 1,000 registered patients
    (indirectly standardised by age and sex where the practice's registered patients by age
    band and sex are loaded, else crude), outcome figures with the case-mix adjusted change,
    and deciles among practices."""
    from surveys.models import Practice, Provider

    provider_id = _id_for(Provider, query.provider, "provider")
    practices = list(Practice.objects.values_list("pk", "ods_code", "name", "list_size"))
    where, params = _scope_sql(query, provider_id, None)
    dates, date_params = _date_range_sql("e.referred_on", query)
    period_sql, period_params = _period_sql("e.referred_on", query.series, date=True)
    age = age_sql("e.referred_on", "p.date_of_birth")
    sql = f"""
        SELECT period, practice_id, sex, age_band, COUNT(*) FROM (
            SELECT {period_sql} AS period, p.practice_id AS practice_id, p.sex AS sex,
                   {age_band_sql(age)} AS age_band
            FROM surveys_episode e
            JOIN surveys_patient p ON p.id = e.patient_id
            WHERE {" AND ".join(where + dates)} AND p.practice_id IS NOT NULL
        ) AS enrolled GROUP BY period, practice_id, sex, age_band
    """  # noqa: S608
    by_period: dict[Any, list[tuple]] = defaultdict(list)
    for period, *stratum in _fetch(sql, [*period_params, *params, *date_params]):
        by_period[period].append(tuple(stratum))
    # The model is fitted on every provider's patients (as for the summary), then the cells
    # are narrowed to the provider asked for.
    all_cells = paired_cells(query, by_practice=True)
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
    outcome_rows = protect(
        grouped_rows(cells, query.measure, model, "practice", adjust=True, series=series),
        "practice",
        series=series,
    )
    outcomes_by_key = {(row["practice"], row.get("period")): row for row in outcome_rows}
    empty = figures([], query.measure, None, adjust=True) | {"suppressed": False}
    rows = []
    for enrolment in enrolment_rows:
        key = (enrolment["practice"], enrolment.get("period"))
        outcome = dict(outcomes_by_key.get(key, empty))
        for label in ("practice", "practice_name", "period"):
            outcome.pop(label, None)
        outcome["outcome_suppressed"] = outcome.pop("suppressed", None)
        rows.append(enrolment | outcome)
    for period in periods:
        _add_deciles([row for row in rows if row.get("period") == period])
    if query.practice:
        rows = [row for row in rows if row["practice"] == query.practice]
    return {"meta": meta(query, model, adjusted=True), "results": rows}


def _add_deciles(rows: Sequence[dict[str, Any]]) -> None:
    """Each practice's decile among the practices of the same period (published figures only;
    adjusted change ranked only with n ≥ the disclosure threshold)."""
    threshold = disclosure.min_cell()
    rate_deciles = st.deciles(
        [r["enrolment_rate_per_1000"] if not r["suppressed"] else None for r in rows]
    )
    change_deciles = st.deciles(
        [
            r.get("adjusted_change")
            if r.get("outcome_suppressed") is False and (r.get("n") or 0) >= threshold
            else None
            for r in rows
        ]
    )
    for row, rate_decile, change_decile in zip(rows, rate_deciles, change_deciles, strict=True):
        row["enrolment_rate_decile"] = rate_decile
        row["adjusted_change_decile"] = change_decile
