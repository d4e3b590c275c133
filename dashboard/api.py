"""``/api/v1/dashboard/<figure>/``: any dashboard figure as JSON (or ``?format=csv``), the
same dict the page, its CSV and the board pack render. Conventions of analytics/api.py: any
valid API key or signed-in staff (and dashboard users), throttled per client, 400 naming the
field."""

from __future__ import annotations

import dataclasses

from django.contrib.auth import get_user_model
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import summaries
from analytics.api import AGGREGATE_ERRORS
from outcomes.permissions import AggregateAccess
from outcomes.throttling import ClientRateThrottle

from .access import viewer_for
from .figures import FIGURES, figure_compute
from .filters import Filters, conditions, filters_from, outcomes

FILTER_NAMES = frozenset(field.name for field in dataclasses.fields(Filters))


class DashboardAccess(AggregateAccess):
    """API keys and staff (as the aggregate API), and users with a dashboard role."""

    def has_permission(self, request, view) -> bool:
        user = getattr(request, "user", None)
        # An API key authenticates as its ApiClient, not a user: the aggregate rules apply.
        is_person = isinstance(user, get_user_model())
        if is_person and user.is_authenticated and viewer_for(user) is not None:
            return True
        return super().has_permission(request, view)


FIGURE_ANSWER = inline_serializer(
    name="DashboardFigure",
    fields={
        "meta": serializers.DictField(
            help_text="figure, title, filters, method, disclosure rules, as_of (and per figure: "
            "measure, model, charts with SPC icons, ...)."
        ),
        "results": serializers.ListField(
            child=serializers.DictField(), help_text="Flat rows, disclosure-controlled."
        ),
    },
)
NOT_FOUND = inline_serializer(
    name="DashboardFigureNotFound", fields={"error": serializers.CharField()}
)
PARAMETERS = [
    OpenApiParameter(
        "name", str, OpenApiParameter.PATH, enum=list(FIGURES), description="The figure."
    ),
    OpenApiParameter(
        "condition",
        str,
        enum=[c for c, _ in conditions()],
        description="Condition (default knee-pain).",
    ),
    OpenApiParameter("provider", str, description="Provider ODS code (default all)."),
    OpenApiParameter("practice", str, description="GP practice ODS code (default all)."),
    OpenApiParameter(
        "period",
        str,
        description=(
            "A quarter (2026Q1), a month (2026-03) or a range of whole months, first and last "
            "included (2025-12..2026-11)."
        ),
    ),
    OpenApiParameter(
        "timepoint",
        str,
        description="Follow-up timepoint of the condition's pathway (default 6-months).",
    ),
    OpenApiParameter(
        "outcome",
        str,
        enum=[o for o, _ in outcomes()],
        description="Harmonised outcome (default quality-of-life).",
    ),
    OpenApiParameter("instrument", str, description="Questionnaire code (default mskt-core)."),
    OpenApiParameter(
        "weeks", int, description="Weeks without contact (no_contact; default 12, 1 to 104)."
    ),
]


class FigureView(APIView):
    permission_classes = [DashboardAccess]
    throttle_classes = [ClientRateThrottle]
    throttle_scope = "aggregate"

    @extend_schema(
        summary="Dashboard figure",
        description=(
            "Any figure of the MSK Together dashboard (docs/dashboard.md) as the page, its CSV "
            "and the board pack show it: `{meta, results}` with disclosure-controlled rows. "
            "Filters a figure does not use are ignored."
        ),
        parameters=PARAMETERS,
        responses={200: FIGURE_ANSWER, 404: OpenApiResponse(NOT_FOUND), **AGGREGATE_ERRORS},
    )
    def get(self, request: Request, name: str) -> Response:
        if name not in FIGURES:
            return Response(
                {"error": f"No dashboard figure '{name}'. Figures: {', '.join(FIGURES)}."},
                status=status.HTTP_404_NOT_FOUND,
            )
        params = request.query_params.copy()
        params.pop("format", None)
        filters, form = filters_from(params, fields=FIGURES[name].filters)
        # A filter the figure does not use is still checked: a bad value is an error, not
        # silently ignored (the schema lists every filter for every figure).
        supplied = tuple(key for key in params if key in FILTER_NAMES)
        errors = form.errors or filters_from(params, fields=supplied or None)[1].errors
        if errors:
            fields = {k: [str(e) for e in v] for k, v in errors.items()}
            message = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
            return Response(
                {"error": f"The query is not valid. {message}", "fields": fields},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            return Response(figure_compute(name, filters=filters))
        except summaries.QueryError as error:
            return Response({"error": str(error)}, status=status.HTTP_400_BAD_REQUEST)
