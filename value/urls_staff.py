from django.urls import path

from value import views

app_name = "value"
urlpatterns = [
    path("", views.report, name="report"),
    path("star.svg", views.chart, name="chart"),
    path("report.pdf", views.report_pdf, name="report_pdf"),
    path("unit-costs/", views.unit_costs, name="unit_costs"),
    path("activity/", views.activity, name="activity"),
    path("budgets/", views.budgets, name="budgets"),
    path("scenarios/", views.scenarios, name="scenarios"),
    path("scenarios/<int:pk>/", views.scenario, name="scenario"),
    path("scenarios/<int:pk>/export.csv", views.scenario_csv, name="scenario_csv"),
]
