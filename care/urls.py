from django.urls import path

from care import views

app_name = "care"
urlpatterns = [
    path("", views.home, name="home"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert_detail"),
    path("alerts/email/", views.alert_email, name="alert_email"),
    path("overdue/", views.overdue, name="overdue"),
    path("locked-links/", views.locked, name="locked"),
    path("locked-links/<int:pk>/unlock/", views.unlock, name="unlock"),
    path("messages-not-delivered/", views.failed_messages, name="failed_messages"),
    path("no-contact/", views.no_contact, name="no_contact"),
    path("no-contact/<int:pk>/record/", views.contact_record, name="contact_record"),
    path("contact-requests/", views.contact_requests, name="contact_requests"),
    path(
        "contact-requests/<int:pk>/done/", views.contact_request_close, name="contact_request_done"
    ),
]
