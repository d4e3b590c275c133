"""``/api/v1/dashboard/<figure>/``: any dashboard figure as JSON (or ``?format=csv``), the
same dict the page, its CSV and the board pack render. Conventions of analytics/api.py: any
valid API key or signed-in staff (and dashboard users), throttled per client, 400 naming the
field."""

from __future__ import annotations

from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import summaries
from outcomes.permissions import AggregateAccess
from outcomes.throttling import ClientRateThrottle

from .access import viewer_for
from .figures import FIGURES, figure_compute
from .filters import filters_from


class DashboardAccess(AggregateAccess):
    """API keys and staff (as the aggregate API), and users with a dashboard role."""

    def has_permission(self, request, view) -> bool:
        user = getattr(request, "user", None)
        if getattr(user, "is_authenticated", False) and viewer_for(user) is not None:
            return True
        return super().has_permission(request, view)


class FigureView(APIView):
    permission_classes = [DashboardAccess]
    throttle_classes = [ClientRateThrottle]
    throttle_scope = "aggregate"

    def get(self, request: Request, name: str) -> Response:
        if name not in FIGURES:
            return Response(
                {"error": f"No dashboard figure '{name}'. Figures: {', '.join(FIGURES)}."},
                status=status.HTTP_404_NOT_FOUND,
            )
        params = request.query_params.copy()
        params.pop("format", None)
        filters, form = filters_from(params, fields=FIGURES[name].filters)
        if form.errors:
            fields = {k: [str(e) for e in v] for k, v in form.errors.items()}
            message = "; ".join(f"{k}: {' '.join(v)}" for k, v in fields.items())
            return Response(
                {"error": f"The query is not valid. {message}", "fields": fields},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            return Response(figure_compute(name, filters=filters))
        except summaries.QueryError as error:
            return Response({"error": str(error)}, status=status.HTTP_400_BAD_REQUEST)
