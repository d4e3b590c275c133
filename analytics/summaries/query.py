"""What a request asks for: the measure, the period and the query, validated.

Shared by every question the analytics answer (comparison, equity, practices).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from outcomes.loading import catalogue

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
            # Our own value, not a published one (the common questionnaire's): say so
            # wherever "% improved" by the MIC is shown (docs/methods.md §3).
            "mic_provisional": (
                self.mic_source.lower().startswith("provisional") if self.mic is not None else None
            ),
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
