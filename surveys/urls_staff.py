from django.urls import path

from surveys import views_patients
from surveys import views_staff as views

app_name = "staff"
urlpatterns = [
    path("", views.home, name="home"),
    path("patients/new/", views.patient_new, name="patient_new"),
    path("patients/find/", views.patient_find, name="patient_find"),
    path("patients/search/", views_patients.patient_search, name="patient_search"),
    path("patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("patients/<int:pk>/details/", views_patients.patient_edit, name="patient_edit"),
    path("patients/<int:pk>/enrol/", views.episode_new, name="episode_new"),
    path("episodes/<int:pk>/", views.episode_detail, name="episode_detail"),
    path("episodes/<int:pk>/events/new/", views.event_new, name="event_new"),
    path("invitations/<int:pk>/resend/", views.invitation_resend_view, name="invitation_resend"),
    path("invitations/<int:pk>/answers/", views.invitation_answers, name="invitation_answers"),
]

try:  # the bulk upload page lives in its own module (surveys/views_bulk.py)
    from surveys.views_bulk import enrolment_upload
except ModuleNotFoundError as error:
    if error.name != "surveys.views_bulk":
        raise
else:
    urlpatterns.append(path("enrolments/upload/", enrolment_upload, name="enrolment_upload"))
