"""The dashboard's filters: bookmarkable GET parameters, validated once, passed to every figure.

``Filters`` is the plain value every figure function takes; ``FilterForm`` turns a query string
into one (or into polite errors). Empty fields take the defaults below.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import re
from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from analytics import summaries
from outcomes.loading import catalogue
from surveys.models import Practice, Provider

DEFAULT_CONDITION = "knee-pain"
DEFAULT_TIMEPOINT = "6-months"
DEFAULT_OUTCOME = summaries.DEFAULT_OUTCOME
DEFAULT_INSTRUMENT = summaries.DEFAULT_INSTRUMENT
DEFAULT_WEEKS = 12
PERIOD = re.compile(r"^(19|20)[0-9]{2}(Q[1-4]|-(0[1-9]|1[0-2]))$")
# A range of whole months, first and last included: 2025-12..2026-11.
MONTHS = re.compile(r"^((?:19|20)[0-9]{2})-(0[1-9]|1[0-2])\.\.((?:19|20)[0-9]{2})-(0[1-9]|1[0-2])$")


def period_of(period: str | None) -> summaries.Period:
    """The ``analytics.summaries.Period`` a dashboard ``period`` names: a quarter, a month or
    a range of whole months (``2025-12..2026-11``, through the API's own from/to path, so the
    whole-months rule holds); labelled as the dashboard wrote it. The one place the dashboard
    reads its period (QueryError for a value the form would refuse)."""
    match = MONTHS.match(period or "")
    if match is None:
        return summaries.period_parse(period)
    first = dt.date(int(match[1]), int(match[2]), 1)
    year, month = int(match[3]), int(match[4])
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    if last < first:
        raise summaries.QueryError(
            f"The period {period} ends before it starts: write the earlier month first "
            f"({match[3]}-{match[4]}..{match[1]}-{match[2]})."
        )
    return dataclasses.replace(summaries.period_parse(date_from=first, date_to=last), label=period)


def period_words(period: str | None) -> str:
    """The months a period covers in plain English: 'March 2026', 'January to March 2026',
    'December 2025 to November 2026' (or 'every month to date' for none)."""
    if not period:
        return "every month to date"
    span = period_of(period)
    first, last = span.start, span.end - dt.timedelta(days=1)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first:%B %Y}"
    if first.year == last.year:
        return f"{first:%B} to {last:%B %Y}"
    return f"{first:%B %Y} to {last:%B %Y}"


@dataclass(frozen=True)
class Filters:
    """What a figure is asked for. ``period`` is a quarter (2026Q1), a month (2026-03) or a
    range of whole months, first and last included (2025-12..2026-11): ``period_of`` reads it."""

    condition: str = DEFAULT_CONDITION
    provider: str | None = None  # ODS code
    practice: str | None = None  # ODS code
    period: str | None = None
    timepoint: str = DEFAULT_TIMEPOINT
    outcome: str = DEFAULT_OUTCOME
    instrument: str = DEFAULT_INSTRUMENT
    weeks: int = DEFAULT_WEEKS

    def replace(self, **changes: Any) -> Filters:
        return replace(self, **changes)

    def measure(self) -> summaries.Measure:
        """The measure: a harmonised outcome of the instrument, or its main score if the
        instrument does not inform that outcome (e.g. the Oxford Knee Score's total)."""
        try:
            return summaries.measure_resolve(self.instrument, None, self.outcome)
        except summaries.QueryError:
            return summaries.measure_resolve(self.instrument, None, None)

    def outcome_query(self, **overrides: Any) -> summaries.OutcomeQuery:
        """The ``analytics.summaries`` query for these filters (the API's own code path)."""
        values = {
            "condition": self.condition,
            "measure": self.measure(),
            "timepoint": self.timepoint,
            "baseline_timepoint": "baseline",
            "provider": self.provider,
            "practice": self.practice,
            "period": period_of(self.period),
        }
        return summaries.OutcomeQuery(**(values | overrides))

    def as_params(self) -> dict[str, Any]:
        """Only what differs from the defaults, for short bookmarkable links."""
        defaults = asdict(Filters())
        return {k: v for k, v in asdict(self).items() if v not in (None, "") and v != defaults[k]}

    def query_string(self, **extra: Any) -> str:
        params = self.as_params() | {k: v for k, v in extra.items() if v not in (None, "")}
        return urlencode(params)

    def describe(self) -> dict[str, Any]:
        return asdict(self)


def conditions() -> list[tuple[str, str]]:
    return [(c.code, c.title) for c in catalogue().conditions.values() if c.active]


def outcomes() -> list[tuple[str, str]]:
    """The patient-reported outcomes the common questionnaire measures, in the agreed order."""
    definitions = catalogue()
    spec = definitions.instrument(DEFAULT_INSTRUMENT)
    informed = {rule.outcome for rule in spec.harmonisation}
    return [(code, o.title) for code, o in definitions.outcomes.items() if code in informed]


def timepoints(condition: str) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for pathway in catalogue().pathways.values():
        if pathway.condition == condition:
            for timepoint in pathway.timepoints[1:]:
                seen.setdefault(timepoint.code, timepoint.label)
    return list(seen.items())


def instruments(condition: str) -> list[tuple[str, str]]:
    definitions = catalogue()
    codes: dict[str, str] = {}
    for pathway in definitions.pathways.values():
        if pathway.condition == condition:
            for timepoint in pathway.timepoints:
                for code in timepoint.instruments:
                    spec = definitions.instrument(code)
                    if any(s.kind == "number" for s in spec.scores):
                        codes.setdefault(code, spec.short_title)
    return list(codes.items())


def _period_hint() -> SafeString:
    """The period's examples, each kept on one line (a phone would break 2025-12..2026-11 at
    its hyphens)."""
    example = '<span class="dash-nowrap">{}</span>'
    return format_html(
        _("{quarter}, {month} or a range of months, {months}. Empty: all time."),
        quarter=format_html(example, "2026Q1"),
        month=format_html(example, "2026-03"),
        months=format_html(example, "2025-12..2026-11"),
    )


class FilterForm(forms.Form):
    """GET filters; every field optional (the default applies)."""

    condition = forms.ChoiceField(label=_("Condition"), required=False)
    provider = forms.ChoiceField(label=_("Provider"), required=False)
    practice = forms.ChoiceField(label=_("GP practice"), required=False)
    period = forms.CharField(
        label=_("Period"),
        required=False,
        max_length=32,
        help_text=lazy(_period_hint, SafeString)(),
    )
    timepoint = forms.ChoiceField(label=_("Follow-up timepoint"), required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), required=False)
    instrument = forms.ChoiceField(label=_("Questionnaire"), required=False)
    weeks = forms.IntegerField(
        label=_("Weeks without contact"), required=False, min_value=1, max_value=104
    )

    def __init__(self, data=None, *, fields: tuple[str, ...] | None = None, **kwargs):
        super().__init__(data, **kwargs)
        condition = (data or {}).get("condition") or DEFAULT_CONDITION
        if condition not in dict(conditions()):
            condition = DEFAULT_CONDITION
        every = [("", _("All"))]
        self.fields["condition"].choices = conditions()
        self.fields["provider"].choices = every + list(
            Provider.objects.values_list("ods_code", "name")
        )
        self.fields["practice"].choices = every + [
            (code, f"{name} ({code})")
            for code, name in Practice.objects.values_list("ods_code", "name")
        ]
        self.fields["timepoint"].choices = timepoints(condition)
        self.fields["outcome"].choices = outcomes()
        self.fields["instrument"].choices = instruments(condition)
        if fields is not None:
            for name in list(self.fields):
                if name not in fields:
                    del self.fields[name]

    def clean_period(self) -> str | None:
        value = re.sub(r"\s+", "", self.cleaned_data.get("period") or "").upper()
        if not value:
            return None
        if match := MONTHS.match(value):
            if (match[3], match[4]) < (match[1], match[2]):
                raise forms.ValidationError(
                    _("The last month comes before the first: enter %(range)s instead."),
                    params={"range": f"{match[3]}-{match[4]}..{match[1]}-{match[2]}"},
                )
            return value
        if not PERIOD.match(value):
            raise forms.ValidationError(
                _(
                    "Enter a quarter such as 2026Q1, a month such as 2026-03, or the first "
                    "and last months of a range such as 2025-12..2026-11."
                )
            )
        return value

    def filters(self) -> Filters:
        """The validated filters (call after ``is_valid()``)."""
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        return Filters(**data)


def filters_from(params, *, fields: tuple[str, ...] | None = None) -> tuple[Filters, FilterForm]:
    """Filters from a query string (missing ones take their defaults, so the form always shows
    what the figures use); on errors the defaults, with the form carrying the errors."""
    data = {k: ("" if v is None else str(v)) for k, v in asdict(Filters()).items()}
    for key in params or {}:
        if key in data:
            data[key] = params.get(key)
    form = FilterForm(data, fields=fields)
    if form.is_valid():
        return form.filters(), form
    return Filters(), form
