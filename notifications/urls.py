"""Staff pages for follow-up messages, mounted at staff/notifications/ (login required)."""

from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("letters/", views.letters_batch, name="letters"),
    path("letters/batches/<int:pk>/", views.letter_batch_download, name="letter_batch"),
    path("patients/<int:pk>/opt-out/", views.patient_opt_out, name="patient_opt_out"),
]
