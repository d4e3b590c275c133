"""The short code printed on letters, at ``/l/`` (a patient page: no log-in)."""

from django.urls import path

from notifications import views

app_name = "letter"
urlpatterns = [
    path("", views.letter_code, name="code"),
    path("<str:code>/", views.letter_code, name="code_given"),
    path("<str:code>", views.letter_code),  # typed without the final slash
]
