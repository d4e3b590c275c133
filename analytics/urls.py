from django.urls import path

from analytics import api

urlpatterns = [
    path("outcomes/summary/", api.OutcomeSummaryView.as_view(), name="outcome-summary"),
    path("outcomes/equity/", api.OutcomeEquityView.as_view(), name="outcome-equity"),
    path("outcomes/practices/", api.PracticeVariationView.as_view(), name="outcome-practices"),
]
