"""Pseudonymised patient-level export: one row per response, for a key's own providers only.

Rows carry a pseudonym (HMAC-SHA256 of the patient's id under ``settings.PSEUDONYM_KEY``), an age
band, sex, IMD decile, practice and provider ODS codes, the pathway and timepoint, days since
referral, the mode, and the scores and harmonised outcomes stored at submission (never
re-scored). Never an NHS number, name, date of birth, postcode, address or contact detail.

The pseudonym key is global, not per API key: a provider's analysts and the ICB see the same
pseudonym for a patient, so linked analyses agree. It is not reversible without the secret.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import exceptions, serializers
from rest_framework.generics import ListAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response as ApiResponse

from outcomes import fhir
from outcomes.audit import audit_read
from outcomes.loading import catalogue
from outcomes.permissions import PatientLevelAccess, providers_for_request
from outcomes.throttling import ClientRateThrottle
from proms.api import NonBlankQueryMixin
from surveys.models import Response

AGE_BANDS = ((18, "16-17"), (25, "18-24"), (35, "25-34"), (45, "35-44"), (55, "45-54"))
AGE_BANDS += ((65, "55-64"), (75, "65-74"), (85, "75-84"))
PSEUDONYM_SYSTEM_PATH = "/fhir/pseudonym"


def pseudonym(patient_id: int) -> str:
    """A stable, non-reversible id for a patient: HMAC-SHA256 under ``PSEUDONYM_KEY``."""
    message = f"patient:{patient_id}".encode()
    return hmac.new(settings.PSEUDONYM_KEY.encode(), message, hashlib.sha256).hexdigest()[:32]


def age_band(date_of_birth: dt.date, on: dt.date) -> str:
    age = (
        on.year
        - date_of_birth.year
        - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))
    )
    if age < 16:
        return "under 16"
    for upper, label in AGE_BANDS:
        if age < upper:
            return label
    return "85+"


def submitted_on(response: Response) -> dt.date:
    return timezone.localdate(response.submitted_at)


# --- input ---------------------------------------------------------------------------------


class ExportQuerySerializer(NonBlankQueryMixin, serializers.Serializer):
    condition = serializers.SlugField(required=False, help_text="Condition code, e.g. knee-pain.")
    provider = serializers.CharField(
        required=False,
        max_length=10,
        help_text="Provider ODS code; must be one of the key's providers.",
    )
    period = serializers.RegexField(
        r"^(19|20)[0-9]{2}(Q[1-4]|-(0[1-9]|1[0-2]))$",
        required=False,
        help_text="Quarter (2026Q1) or month (2026-03) of submission.",
        error_messages={"invalid": "Give a quarter like 2026Q1 or a month like 2026-03."},
    )
    page_size = serializers.IntegerField(
        required=False, min_value=1, max_value=5000, help_text="Rows per page (default 500)."
    )

    def validate_period(self, value: str) -> tuple[dt.date, dt.date]:
        quarter = re.fullmatch(r"(\d{4})Q([1-4])", value)
        month = re.fullmatch(r"(\d{4})-(\d{2})", value)
        if quarter:
            year, q = int(quarter[1]), int(quarter[2])
            start, months = dt.date(year, 3 * q - 2, 1), 3
        elif month and 1 <= int(month[2]) <= 12:
            start, months = dt.date(int(month[1]), int(month[2]), 1), 1
        else:
            raise serializers.ValidationError("Give a quarter like 2026Q1 or a month like 2026-03.")
        end_month = start.month - 1 + months
        end = dt.date(start.year + end_month // 12, end_month % 12 + 1, 1)
        return start, end

    def validate_provider(self, value: str) -> str:
        return value.strip().upper()


# Nested objects of any values: scores may be numbers, categories (text) or null.
extend_schema_field_dict = extend_schema_field(
    {"type": "object", "additionalProperties": {"type": "object", "additionalProperties": {}}}
)


# --- output --------------------------------------------------------------------------------


class ExportRowSerializer(serializers.Serializer):
    """One response, pseudonymised. Scores and outcomes are keyed by instrument code."""

    response = serializers.IntegerField(source="pk", help_text="This export's row id.")
    patient = serializers.SerializerMethodField(help_text="Pseudonymous patient id (HMAC).")
    age_band = serializers.SerializerMethodField(help_text="Age band when answering.")
    sex = serializers.CharField(source="invitation.episode.patient.sex")
    imd_decile = serializers.IntegerField(
        source="invitation.episode.patient.area.imd_decile",
        allow_null=True,
        default=None,
        help_text="IMD 2025 decile of the patient's area (1 = most deprived).",
    )
    practice = serializers.CharField(
        source="invitation.episode.patient.practice.ods_code", allow_null=True, default=None
    )
    provider = serializers.CharField(source="invitation.episode.provider.ods_code")
    condition = serializers.CharField(source="invitation.episode.pathway.condition.code")
    pathway = serializers.CharField(source="invitation.episode.pathway.code")
    pathway_version = serializers.CharField(source="invitation.episode.pathway.version")
    timepoint = serializers.CharField(source="invitation.timepoint")
    follow_up = serializers.BooleanField(source="invitation.follow_up")
    days_since_referral = serializers.SerializerMethodField()
    submitted_on = serializers.SerializerMethodField()
    mode = serializers.CharField()
    instruments = serializers.SerializerMethodField(help_text="Instrument code → version.")
    scores = serializers.SerializerMethodField(help_text="Instrument code → score name → value.")
    outcomes = serializers.SerializerMethodField(
        help_text="Instrument code → outcome code → harmonised 0-100 score."
    )

    def get_patient(self, obj: Response) -> str:
        return pseudonym(obj.invitation.episode.patient_id)

    def get_age_band(self, obj: Response) -> str:
        return age_band(obj.invitation.episode.patient.date_of_birth, submitted_on(obj))

    def get_days_since_referral(self, obj: Response) -> int:
        return (submitted_on(obj) - obj.invitation.episode.referred_on).days

    @extend_schema_field(OpenApiTypes.DATE)
    def get_submitted_on(self, obj: Response) -> str:
        return submitted_on(obj).isoformat()

    def get_instruments(self, obj: Response) -> dict[str, str]:
        return {r.instrument.code: r.instrument.version for r in obj.results.all()}

    @extend_schema_field_dict
    def get_scores(self, obj: Response) -> dict[str, dict[str, Any]]:
        return {r.instrument.code: dict(r.scores) for r in obj.results.all()}

    @extend_schema_field_dict
    def get_outcomes(self, obj: Response) -> dict[str, dict[str, Any]]:
        return {r.instrument.code: dict(r.outcomes) for r in obj.results.all()}


ErrorSerializer = inline_serializer("Error", {"error": serializers.CharField()})
ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="A filter is not valid."),
    401: OpenApiResponse(ErrorSerializer, description="No API key, or a revoked or unknown one."),
    403: OpenApiResponse(ErrorSerializer, description="Not allowed for this key or provider."),
    404: OpenApiResponse(ErrorSerializer, description="No such page (a bad cursor)."),
    429: OpenApiResponse(ErrorSerializer, description="Too many requests; try again later."),
}


class ExportPagination(CursorPagination):
    """Cursor pages in response order: stable while new responses arrive, and opaque."""

    ordering = "pk"
    page_size = 500
    page_size_query_param = "page_size"
    max_page_size = 5000

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:  # no such page: say how to get a good cursor
            raise exceptions.NotFound(
                "The page cursor is not valid: follow the 'next' link as given."
            ) from None


class ResponseExportView(ListAPIView):
    """Pseudonymised responses of the key's own providers, one row per response.

    Filters: ``condition``, ``provider`` (ODS; one of the key's providers), ``period``.
    ``?format=csv`` gives the page as CSV; ``.../fhir/`` gives FHIR QuestionnaireResponses.
    """

    serializer_class = ExportRowSerializer
    pagination_class = ExportPagination
    permission_classes = [PatientLevelAccess]
    throttle_classes = [ClientRateThrottle]
    throttle_scope = "export"
    csv_filename = "responses"

    def filters(self) -> dict[str, Any]:
        query = ExportQuerySerializer(data=self.request.query_params)
        if not query.is_valid():
            raise exceptions.ValidationError(
                {"error": "The filters are not valid.", "fields": query.errors}
            )
        return query.validated_data

    def get_queryset(self):
        filters = self.filters()
        allowed = providers_for_request(self.request)
        if "provider" in filters:
            # The same answer whether the provider exists or not: nothing is revealed.
            if not allowed.filter(ods_code=filters["provider"]).exists():
                raise exceptions.PermissionDenied(
                    f"This key may not read patient-level data for provider {filters['provider']}."
                )
            allowed = allowed.filter(ods_code=filters["provider"])
        queryset = (
            Response.objects.filter(invitation__episode__provider__in=allowed)
            .select_related(
                "invitation__episode__patient__area",
                "invitation__episode__patient__practice",
                "invitation__episode__provider",
                "invitation__episode__pathway__condition",
            )
            .prefetch_related("results__instrument")
        )
        if "condition" in filters:
            queryset = queryset.filter(
                invitation__episode__pathway__condition__code=filters["condition"]
            )
        if "period" in filters:
            start, end = filters["period"]
            tz = timezone.get_current_timezone()
            queryset = queryset.filter(
                submitted_at__gte=dt.datetime.combine(start, dt.time(), tzinfo=tz),
                submitted_at__lt=dt.datetime.combine(end, dt.time(), tzinfo=tz),
            )
        return queryset

    def paginate_queryset(self, queryset):
        self.page_rows = super().paginate_queryset(queryset)
        return self.page_rows

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code == 200 and getattr(self, "page_rows", None) is not None:
            # The next page for every format, CSV included (RFC 8288).
            if (next_link := self.paginator.get_next_link()) is not None:
                response["Link"] = f'<{next_link}>; rel="next"'
            self.audit(request)
        return response

    def audit(self, request) -> None:
        """Who took which patient-level rows: one read record per page served."""
        audit_read(
            request=request,
            object_type="export.responses",
            object_id="",
            details={
                "filters": {
                    k: v for k, v in request.query_params.items() if k not in ("cursor", "format")
                },
                "format": "fhir"
                if isinstance(self, ResponseExportFhirView)
                else (request.accepted_renderer.format),
                "responses": [row.pk for row in self.page_rows],
            },
        )

    @extend_schema(
        operation_id="exports_responses_list",
        parameters=[ExportQuerySerializer],
        responses={200: ExportRowSerializer(many=True), **ERRORS},
        tags=["exports"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# A plain object in the schema: FHIR's Bundle is defined by FHIR, and it is not a DRF page.
FhirBundle = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="A FHIR R4 Bundle (collection) of QuestionnaireResponse resources; the "
    "'next' link gives the next page.",
)


class ResponseExportFhirView(ResponseExportView):
    """The same rows as FHIR R4 ``QuestionnaireResponse`` resources, one per instrument."""

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        base_url = request.build_absolute_uri("/")
        system = base_url.rstrip("/") + PSEUDONYM_SYSTEM_PATH
        definitions = catalogue()
        entries = []
        for response in page:
            subject = pseudonym(response.invitation.episode.patient_id)
            authored = submitted_on(response).isoformat()
            for result in response.results.all():
                spec = definitions.instrument(result.instrument.code, result.instrument.version)
                resource = fhir.questionnaire_response(
                    spec=spec,
                    answers=(response.answers or {}).get(spec.code) or {},
                    resource_id=f"{response.pk}-{spec.code}",
                    subject_system=system,
                    subject=subject,
                    authored=authored,
                    base_url=base_url,
                )
                entries.append({"resource": resource})
        links = [{"relation": "self", "url": request.build_absolute_uri()}]
        if (next_link := self.paginator.get_next_link()) is not None:
            links.append({"relation": "next", "url": next_link})
        bundle = {"resourceType": "Bundle", "type": "collection", "link": links}
        if entries:
            bundle["entry"] = entries
        return ApiResponse(bundle)

    @extend_schema(
        operation_id="exports_responses_fhir",
        parameters=[ExportQuerySerializer],
        responses={200: FhirBundle, **ERRORS},
        tags=["exports"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
