from django.contrib import admin
from django.urls import include, path

from care.views_patient import contact_request
from proms import admin as _superuser_only_admin  # noqa: F401 - admin for superusers only
from proms import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.health, name="health"),
    path("healthz/metrics", views.metrics, name="metrics"),
    path("accessibility/", views.accessibility, name="accessibility"),
    path("privacy/", views.privacy, name="privacy"),
    path("contact/", views.contact, name="contact"),
    path("admin/", admin.site.urls),
    path("api/v1/value/", include("value.urls")),
    path("api/v1/", include("analytics.urls")),
    path("api/v1/", include("outcomes.urls")),
    path("api/v1/", include("dashboard.urls_api")),
    path("accounts/", include("accounts.urls")),
    path("staff/notifications/", include("notifications.urls")),
    path("staff/reports/", include("reports.urls")),
    path("callbacks/notify/", include("notifications.urls_callbacks")),
    path("staff/worklists/", include("care.urls")),
    path("staff/dashboard/", include("dashboard.urls")),
    path("staff/value/", include("value.urls_staff")),
    path("staff/", include("surveys.urls_staff")),
    # "Please contact me" on the done page (care), under the link's own cookie path.
    path("q/<str:token>/contact/", contact_request, name="patient_contact_request"),
    path("q/", include("surveys.urls_patient")),
    path("l/", include("notifications.urls_letters")),  # the short code on a letter
]

# An unknown address under /api/ gets a JSON 404; a broken patient link (/q/<token>/page/abc/)
# the friendly link page; other paths templates/404.html (proms.views.not_found). Django's own
# server_error renders templates/500.html with no context.
handler404 = views.not_found
