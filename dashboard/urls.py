from django.urls import path

from . import views

app_name = "dashboard"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("conditions/", views.conditions, name="conditions"),
    path("conditions/<slug:code>/", views.condition, name="condition"),
    path("providers/", views.providers, name="providers"),
    path("practices/", views.practices, name="practices"),
    path("practices/<str:ods_code>/", views.practice, name="practice"),
    path("between-services/", views.between, name="between"),
    path("methods/", views.methods, name="methods"),
    path("charts/<slug:name>.svg", views.chart, name="chart"),
    path("data/<slug:name>.csv", views.figure_csv, name="figure_csv"),
]
