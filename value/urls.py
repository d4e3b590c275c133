from django.urls import path

from value import api

urlpatterns = [
    path("options/", api.ValueOptionsView.as_view(), name="value-options"),
    path("equity/", api.ValueEquityView.as_view(), name="value-equity"),
    path("reallocation/", api.ValueReallocationView.as_view(), name="value-reallocation"),
]
