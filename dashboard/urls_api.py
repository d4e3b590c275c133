from django.urls import path

from .api import FigureView

app_name = "dashboard_api"
urlpatterns = [path("dashboard/<slug:name>/", FigureView.as_view(), name="figure")]
