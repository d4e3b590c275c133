"""Aggregate outcome endpoints: summaries by provider or group, equity, GP practice variation.

One view per operation; query parameters are validated by a serializer and the figures come
from ``analytics.summaries`` (SQL aggregation) and ``outcomes.statistics`` (pure). Every response
is ``{"meta": {...}, "results": [flat rows]}`` so the CSV renderer can write one line per row,
and every row has been through disclosure control. No identifier ever appears: rows are labelled
by provider or practice ODS code, IMD quintile, age band, sex or channel only.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import disclosure, downloads, summaries
from outcomes.exports import ErrorSerializer
from outcomes.loading import catalogue
from outcomes.permissions import AggregateAccess
from outcomes.throttling import ClientRateThrottle
from proms.api import NonBlankQueryMixin

# --- input -----------------------------------------------------------------------------------


def _choices() -> dict[str, list[str]]:
    """Codes from the definition files, so the schema lists what the API accepts."""
    definitions = catalogue()
    return {
        # Only conditions with a published pathway: a condition without one (hip and shoulder
        # pain today) has no timepoints to compare, so offering it could only answer 400.
        "condition": sorted({pathway.condition for pathway in definitions.pathways.values()}),
        "instrument": sorted({code for code, _ in definitions.instruments}),
        "outcome": sorted(
            {
                rule.outcome
                for spec in definitions.current_instruments()
                for rule in spec.harmonisation
            }
        ),
        "timepoint": sorted(
            {t.code for pathway in definitions.pathways.values() for t in pathway.timepoints}
        ),
    }


CHOICES = _choices()


class OutcomeQuerySerializer(NonBlankQueryMixin, serializers.Serializer):
    condition = serializers.ChoiceField(
        choices=CHOICES["condition"], help_text="Condition code, e.g. knee-pain (required)."
    )
    provider = serializers.CharField(
        required=False, max_length=10, help_text="Provider ODS code: only this provider's rows."
    )
    practice = serializers.CharField(
        required=False, max_length=10, help_text="GP practice ODS code: only its patients."
    )
    instrument = serializers.ChoiceField(
        choices=CHOICES["instrument"],
        required=False,
        help_text="Instrument code (default mskt-core, the common questionnaire).",
    )
    outcome = serializers.ChoiceField(
        choices=CHOICES["outcome"],
        required=False,
        help_text="Harmonised outcome code (0-100, higher better); default quality-of-life.",
    )
    score = serializers.CharField(
        required=False,
        max_length=50,
        help_text="A numeric score of the instrument, e.g. total (needs instrument).",
    )
    timepoint = serializers.ChoiceField(
        choices=CHOICES["timepoint"],
        default="6-months",
        help_text="Follow-up timepoint code of the condition's pathway (default 6-months).",
    )
    baseline_timepoint = serializers.ChoiceField(
        choices=CHOICES["timepoint"],
        default="baseline",
        help_text="Baseline timepoint code (default baseline).",
    )
    period = serializers.RegexField(
        r"^(19|20)[0-9]{2}(Q[1-4]|-(0[1-9]|1[0-2]))$",  # no year 0000 (a 500 from date())
        required=False,
        max_length=7,
        help_text="A quarter (2026Q1) or month (2026-03) of follow-up submission.",
        error_messages={"invalid": "Give a quarter such as 2026Q1 or a month such as 2026-03."},
    )

    series = serializers.ChoiceField(
        choices=["month", "quarter"],
        required=False,
        help_text=(
            "Also split every row by month or quarter (rows gain a `period`): of follow-up "
            "submission for outcome figures, referral for enrolment and age at enrolment, "
            "due date for response rates."
        ),
    )

    def get_fields(self):
        fields = super().get_fields()
        # "from" is a Python keyword, so these two are added here rather than declared.
        fields["from"] = serializers.DateField(
            required=False,
            help_text="First date (YYYY-MM-DD), inclusive: the first day of a month.",
        )
        fields["to"] = serializers.DateField(
            required=False,
            help_text="Last date (YYYY-MM-DD), inclusive: the last day of a month.",
        )
        return fields

    def query(self, **overrides: Any) -> summaries.OutcomeQuery:
        data = self.validated_data
        return summaries.OutcomeQuery(
            condition=data["condition"],
            measure=summaries.measure_resolve(
                data.get("instrument"), data.get("score"), data.get("outcome")
            ),
            timepoint=data["timepoint"],
            baseline_timepoint=data["baseline_timepoint"],
            provider=data.get("provider"),
            practice=data.get("practice"),
            period=summaries.period_parse(data.get("period"), data.get("from"), data.get("to")),
            series=data.get("series"),
            **overrides,
        )


class SummaryQuerySerializer(OutcomeQuerySerializer):
    group_by = serializers.ChoiceField(
        choices=summaries.GROUPINGS, default="provider", help_text="How rows are grouped."
    )


# --- output (for the schema) -------------------------------------------------------------------

_number = {"required": False, "allow_null": True}


def _floats(*names: str) -> dict[str, serializers.Field]:
    return {name: serializers.FloatField(**_number) for name in names}


FIGURE_FIELDS = {
    "n": serializers.IntegerField(
        allow_null=True, help_text="Paired episodes (rounded; null when withheld)."
    ),
    **_floats(
        "mean_baseline",
        "mean_baseline_lower",
        "mean_baseline_upper",
        "mean_follow_up",
        "mean_follow_up_lower",
        "mean_follow_up_upper",
        "mean_change",
        "mean_change_lower",
        "mean_change_upper",
        "pct_improved",
        "pct_improved_lower",
        "pct_improved_upper",
        "pct_unchanged",
        "pct_worse",
        "pct_improved_any",
        "pct_improved_any_lower",
        "pct_improved_any_upper",
        "pct_unchanged_any",
        "pct_worse_any",
    ),
    **{
        name: serializers.IntegerField(
            **_number, help_text=f"Patients {label} by the MIC (rounded like n)."
        )
        for name, label in (
            ("n_improved", "improved"),
            ("n_unchanged", "unchanged"),
            ("n_worse", "worse"),
        )
    },
    **{
        name: serializers.IntegerField(
            **_number,
            help_text=f"Patients {label} by any change (the NHS PROMs rule); rounded like n.",
        )
        for name, label in (
            ("n_improved_any", "improved"),
            ("n_unchanged_any", "unchanged"),
            ("n_worse_any", "worse"),
        )
    },
    "suppressed": serializers.BooleanField(help_text="Withheld by disclosure control."),
}
ADJUSTED_FIELDS = {
    "n_modelled": serializers.IntegerField(**_number),
    **_floats(
        "expected_follow_up",
        "adjusted_follow_up",
        "adjusted_change",
        "funnel_target",
        "funnel_lower_95",
        "funnel_upper_95",
        "funnel_lower_998",
        "funnel_upper_998",
    ),
    "funnel_position": serializers.CharField(**_number),
    "outside_95": serializers.BooleanField(**_number),
    "outside_998": serializers.BooleanField(**_number),
    "funnel_overdispersion_applied": serializers.BooleanField(
        **_number, help_text="Limits widened for over-dispersion (meta.overdispersion)."
    ),
    **_floats(
        "improved_funnel_target",
        "improved_funnel_lower_95",
        "improved_funnel_upper_95",
        "improved_funnel_lower_998",
        "improved_funnel_upper_998",
    ),
    "improved_funnel_position": serializers.CharField(**_number),
    "improved_outside_95": serializers.BooleanField(**_number),
    "improved_outside_998": serializers.BooleanField(**_number),
}
LABEL_FIELDS = {
    name: serializers.CharField(required=False, allow_null=True)
    for name in (
        "provider",
        "provider_name",
        "practice",
        "practice_name",
        "imd_quintile",
        "age_band",
        "sex",
        "group",
        "period",
    )
}


def _envelope(name: str, row_fields: dict[str, serializers.Field]) -> serializers.Serializer:
    return inline_serializer(
        name=name,
        fields={
            "meta": serializers.DictField(help_text="Filters, measure, method, disclosure rules."),
            "results": serializers.ListField(
                child=inline_serializer(name=f"{name}Row", fields=row_fields)
            ),
        },
    )


ERROR = inline_serializer(
    name="AggregateError",
    fields={
        "error": serializers.CharField(),
        "fields": serializers.DictField(required=False),
    },
)

# Every aggregate operation can also answer 401, 403 and 429 (authentication, permission and
# throttling run before the view), so the schema documents them and schemathesis holds us to it.
AGGREGATE_ERRORS = {
    400: OpenApiResponse(ERROR, description="A query parameter is not valid; `error` names it."),
    401: OpenApiResponse(
        ErrorSerializer, description="No API key or session, or a revoked or unknown key."
    ),
    403: OpenApiResponse(
        ErrorSerializer, description="Signed in, but not staff of a provider (no API key)."
    ),
    429: OpenApiResponse(ErrorSerializer, description="Too many requests; try again later."),
}

SUMMARY_RESPONSE = _envelope("OutcomeSummary", LABEL_FIELDS | FIGURE_FIELDS | ADJUSTED_FIELDS)
EQUITY_RESPONSE = _envelope(
    "OutcomeEquity",
    {
        "table": serializers.CharField(
            help_text="outcomes, slope_index_of_inequality, age_at_enrolment or response_rate"
        ),
        "dimension": serializers.CharField(),
        "group": serializers.CharField(allow_null=True),
        "period": serializers.CharField(required=False, allow_null=True),
        "timepoint": serializers.CharField(required=False),
        **{k: v for k, v in FIGURE_FIELDS.items() if k != "suppressed"},
        # Not on every table: the slope-index row has no patient count of its own.
        "n": serializers.IntegerField(required=False, allow_null=True),
        "suppressed": serializers.BooleanField(required=False),
        **_floats(
            "sii",
            "sii_lower",
            "sii_upper",
            "rii",
            "rii_lower",
            "rii_upper",
            "ipw_mean_change",
            "ipw_mean_change_lower",
            "ipw_mean_change_upper",
            "mean_age",
            "mean_age_lower",
            "mean_age_upper",
            "response_rate_pct",
            "response_rate_lower",
            "response_rate_upper",
        ),
        "note": serializers.CharField(required=False, allow_null=True),
        "invited": serializers.IntegerField(**_number),
        "responded": serializers.IntegerField(**_number),
        "not_responded": serializers.IntegerField(**_number),
    },
)
PRACTICES_RESPONSE = _envelope(
    "PracticeVariation",
    {
        "practice": serializers.CharField(),
        "practice_name": serializers.CharField(),
        "period": serializers.CharField(required=False, allow_null=True),
        "list_size": serializers.IntegerField(allow_null=True),
        "enrolled": serializers.IntegerField(allow_null=True),
        **_floats(
            "enrolment_rate_per_1000",
            "enrolment_rate_lower",
            "enrolment_rate_upper",
            "enrolment_ratio",
            "enrolment_ratio_lower",
            "enrolment_ratio_upper",
        ),
        "enrolment_rate_method": serializers.CharField(allow_null=True),
        "enrolment_rate_decile": serializers.IntegerField(allow_null=True),
        **{k: v for k, v in FIGURE_FIELDS.items() if k != "suppressed"},
        **ADJUSTED_FIELDS,
        "suppressed": serializers.BooleanField(),
        "outcome_suppressed": serializers.BooleanField(allow_null=True),
        "adjusted_change_decile": serializers.IntegerField(allow_null=True),
        "enrolment_rate_vs_median": serializers.CharField(allow_null=True),
        "adjusted_change_vs_median": serializers.CharField(allow_null=True),
    },
)


def _parameters(serializer_class) -> list:
    """Query parameters from the serializer (``from`` and ``to`` included via get_fields)."""
    return [serializer_class]


# --- views -------------------------------------------------------------------------------------


def data_version() -> tuple:
    """Changes whenever a response, invitation or episode is added (three index-only lookups),
    so a cached answer is never served after new data arrive; the TTL covers edits."""
    from surveys import models as journey

    return tuple(
        model.objects.aggregate(last=Max("pk"))["last"]
        for model in (journey.Response, journey.Invitation, journey.Episode)
    )


class AggregateView(APIView):
    """Aggregate figures: any valid API key or signed-in staff (``AggregateAccess``).

    Answers are cached for ``OUTCOME_SUMMARY_CACHE_SECONDS`` (0 = off) under a key made of the
    endpoint, the validated query, the disclosure rules and ``data_version()``.
    """

    permission_classes = [AggregateAccess]
    throttle_classes = [ClientRateThrottle]
    throttle_scope = "aggregate"
    query_serializer = OutcomeQuerySerializer
    csv_description = staticmethod(downloads.csv_description)

    def answer(self, params) -> dict[str, Any]:
        raise NotImplementedError

    endpoint = "outcomes"

    def get(self, request: Request) -> Response:
        params = self.query_serializer(data=request.query_params)
        self.csv_filename = f"proms-{self.endpoint}"
        if not params.is_valid():
            fields = {name: [str(e) for e in errors] for name, errors in params.errors.items()}
            message = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in fields.items())
            return Response(
                {"error": f"The query is not valid. {message}", "fields": fields},
                status=status.HTTP_400_BAD_REQUEST,
            )
        self.csv_filename = downloads.csv_filename(self.endpoint, params.validated_data)
        try:
            return Response(self.cached_answer(params))
        except summaries.QueryError as error:
            return Response({"error": str(error)}, status=status.HTTP_400_BAD_REQUEST)

    def cached_answer(self, params) -> dict[str, Any]:
        seconds = int(getattr(settings, "OUTCOME_SUMMARY_CACHE_SECONDS", 0) or 0)
        if seconds <= 0:
            return self.answer(params)
        identity = json.dumps(
            [type(self).__name__, params.validated_data, disclosure.policy(), data_version()],
            sort_keys=True,
            default=str,
        )
        key = "outcome-aggregate:" + hashlib.sha256(identity.encode()).hexdigest()
        answer = cache.get(key)
        if answer is None:
            answer = self.answer(params)
            cache.set(key, answer, seconds)
        return answer


class OutcomeSummaryView(AggregateView):
    """Paired outcome figures per provider (or practice, IMD quintile, age band, sex)."""

    endpoint = "summary"
    query_serializer = SummaryQuerySerializer

    @extend_schema(
        summary="Outcome summary",
        description=(
            "Per group: paired n, mean baseline, follow-up and change with 95% CIs, % improved/"
            "unchanged/worse by the instrument's MIC, and (providers, practices) the case-mix "
            "adjusted change with 95% and 99.8% funnel limits. `series` splits each group by "
            "month or quarter. Cells under the disclosure threshold are withheld."
        ),
        parameters=_parameters(SummaryQuerySerializer),
        responses={200: SUMMARY_RESPONSE, **AGGREGATE_ERRORS},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    def answer(self, params) -> dict[str, Any]:
        data = params.validated_data
        return summaries.outcome_summary(params.query(group_by=data["group_by"]))


class OutcomeEquityView(AggregateView):
    """Figures by IMD quintile, age band and sex; SII; age at enrolment; response rates."""

    endpoint = "equity"

    @extend_schema(
        summary="Equity of outcomes and response",
        description=(
            "Rows carry a `table`: `outcomes` (crude figures by IMD quintile, age band and sex), "
            "`slope_index_of_inequality` (mean change across IMD quintiles), `age_at_enrolment` "
            "(by IMD quintile) and `response_rate` (baseline and follow-up, by IMD quintile, "
            "age band and channel)."
        ),
        parameters=_parameters(OutcomeQuerySerializer),
        responses={200: EQUITY_RESPONSE, **AGGREGATE_ERRORS},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    def answer(self, params) -> dict[str, Any]:
        return summaries.outcome_equity(params.query())


class PracticeVariationView(AggregateView):
    """Per GP practice: enrolment per 1,000 registered, outcome figures and deciles."""

    endpoint = "practices"

    @extend_schema(
        summary="GP practice variation",
        description=(
            "Enrolment per 1,000 registered patients: indirectly standardised by age and sex "
            "(with the ratio O/E) for practices whose registered patients by age band and sex "
            "are loaded, crude otherwise (`enrolment_rate_method` says which); outcome figures "
            "with case-mix adjusted change and funnel limits; each practice's decile."
        ),
        parameters=_parameters(OutcomeQuerySerializer),
        responses={200: PRACTICES_RESPONSE, **AGGREGATE_ERRORS},
    )
    def get(self, request: Request) -> Response:
        return super().get(request)

    def answer(self, params) -> dict[str, Any]:
        return summaries.practice_variation(params.query())
