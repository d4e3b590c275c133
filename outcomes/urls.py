from django.urls import path

from outcomes import api, api_summaries

urlpatterns = [
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
    path("outcomes/summary/", api_summaries.OutcomeSummaryView.as_view(), name="outcome-summary"),
    path("outcomes/equity/", api_summaries.OutcomeEquityView.as_view(), name="outcome-equity"),
    path(
        "outcomes/practices/",
        api_summaries.PracticeVariationView.as_view(),
        name="outcome-practices",
    ),
    path("conditions/", api.ConditionListView.as_view(), name="condition-list"),
]
