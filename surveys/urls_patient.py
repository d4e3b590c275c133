"""The patient's pages, under ``/q/`` (names fixed by the issue 3 URL contract)."""

from django.urls import path

from surveys import views_patient

app_name = "patient"
urlpatterns = [
    path("<str:token>/", views_patient.start, name="start"),
    path("<str:token>/page/<int:n>/", views_patient.page, name="page"),
    path("<str:token>/check/", views_patient.check, name="check"),
    path("<str:token>/submit/", views_patient.submit, name="submit"),
    path("<str:token>/done/", views_patient.done, name="done"),
]
