from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from outcomes import api, exports

urlpatterns = [
    # OpenAPI 3 schema and its documentation page (Swagger UI served from our static files).
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file (?script=), so no inline script; Swagger
    # UI's page has one inline <style> and sets styles as it draws: its own, looser style-src.
    path(
        "docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="docs",
    ),
    # Pseudonymised patient-level export, for a key's own providers (outcomes/exports.py).
    path("exports/responses/", exports.ResponseExportView.as_view(), name="export-responses"),
    path(
        "exports/responses/fhir/",
        exports.ResponseExportFhirView.as_view(),
        name="export-responses-fhir",
    ),
    path("instruments/", api.InstrumentListView.as_view(), name="instrument-list"),
    path("instruments/<slug:code>/", api.InstrumentDetailView.as_view(), name="instrument-detail"),
    path(
        "instruments/<slug:code>/score/", api.InstrumentScoreView.as_view(), name="instrument-score"
    ),
    path(
        "instruments/<slug:code>/fhir/",
        api.InstrumentQuestionnaireView.as_view(),
        name="instrument-fhir",
    ),
    path("outcomes/", api.OutcomeListView.as_view(), name="outcome-list"),
    path("conditions/", api.ConditionListView.as_view(), name="condition-list"),
]
