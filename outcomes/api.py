"""The definitions and scoring API: one view per operation, thin over pure functions."""

from __future__ import annotations

from dataclasses import asdict

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from outcomes import fhir, serializers
from outcomes.loading import catalogue
from outcomes.scoring import AnswerError, score
from outcomes.specs import InstrumentSpec, version_key

# Definitions publish no patient data, so these endpoints are open to anyone (no key needed).
_PUBLIC = {"auth": [], "tags": ["definitions"]}
_ERROR = OpenApiResponse(OpenApiTypes.OBJECT, description='{"error": "..."}')
_VERSION = OpenApiParameter("version", str, description="An older version (default: current).")


def _instrument_or_404(code: str, version: str | None = None) -> InstrumentSpec:
    try:
        return catalogue().instrument(code, version)
    except KeyError:
        label = f"'{code}' version '{version}'" if version else f"'{code}'"
        raise Http404(f"No instrument {label} is defined.") from None


class InstrumentListView(APIView):
    """The current version of every instrument."""

    @extend_schema(operation_id="instruments_list", responses=OpenApiTypes.OBJECT, **_PUBLIC)
    def get(self, request: Request) -> Response:
        return Response(
            {
                "instruments": [
                    serializers.instrument_summary(spec, request)
                    for spec in catalogue().current_instruments()
                ]
            }
        )


class InstrumentDetailView(APIView):
    """One instrument's full definition (``?version=`` for an older one), without licensed text."""

    @extend_schema(
        parameters=[_VERSION], responses={200: OpenApiTypes.OBJECT, 404: _ERROR}, **_PUBLIC
    )
    def get(self, request: Request, code: str) -> Response:
        spec = _instrument_or_404(code, request.query_params.get("version"))
        versions = sorted((v for c, v in catalogue().instruments if c == code), key=version_key)
        return Response(serializers.instrument_detail(spec, versions))


class InstrumentScoreView(APIView):
    """Score coded answers with the instrument's published rules; bad answers get a 400."""

    @extend_schema(
        request=serializers.ScoreRequestSerializer,
        responses={200: OpenApiTypes.OBJECT, 400: _ERROR, 404: _ERROR},
        **_PUBLIC,
    )
    def post(self, request: Request, code: str) -> Response:
        spec = _instrument_or_404(code)  # 404 before validating the body, for unknown codes
        body = serializers.ScoreRequestSerializer(data=request.data)
        if not body.is_valid():
            return Response(
                {"error": "The request is not valid.", "fields": body.errors},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if "version" in body.validated_data:
            spec = _instrument_or_404(code, body.validated_data["version"])
        try:
            result = score(spec, body.validated_data["answers"], body.validated_data.get("options"))
        except AnswerError as error:
            return Response(
                {
                    "error": str(error),
                    "items": [
                        {"item": item_id, "message": message} for item_id, message in error.errors
                    ],
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        except ValueError as error:  # an unknown scoring option, e.g. a value set
            return Response({"error": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(result)


class InstrumentQuestionnaireView(APIView):
    """One instrument as a FHIR R4 Questionnaire (neutral labels for licensed wording)."""

    @extend_schema(
        parameters=[_VERSION], responses={200: OpenApiTypes.OBJECT, 404: _ERROR}, **_PUBLIC
    )
    def get(self, request: Request, code: str) -> Response:
        spec = _instrument_or_404(code, request.query_params.get("version"))
        return Response(fhir.questionnaire(spec, request.build_absolute_uri("/")))


class OutcomeListView(APIView):
    """The agreed MSK Together outcomes."""

    @extend_schema(responses=OpenApiTypes.OBJECT, **_PUBLIC)
    def get(self, request: Request) -> Response:
        return Response({"outcomes": [asdict(o) for o in catalogue().outcomes.values()]})


class ConditionListView(APIView):
    """Conditions and the current version of each pathway."""

    @extend_schema(responses=OpenApiTypes.OBJECT, **_PUBLIC)
    def get(self, request: Request) -> Response:
        definitions = catalogue()
        pathways = definitions.current_pathways()
        return Response(
            {
                "conditions": [
                    asdict(condition)
                    | {
                        "pathways": [
                            serializers.pathway_detail(p)
                            for p in pathways
                            if p.condition == condition.code
                        ]
                    }
                    for condition in definitions.conditions.values()
                ]
            }
        )
