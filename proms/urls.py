from django.contrib import admin
from django.urls import include, path

from proms import admin as _superuser_only_admin  # noqa: F401 - admin for superusers only
from proms import views
from surveys import views_patient

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.health, name="health"),
    path("admin/", admin.site.urls),
    path("api/v1/value/", include("value.urls")),
    path("api/v1/", include("analytics.urls")),
    path("api/v1/", include("outcomes.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("staff/notifications/", include("notifications.urls")),
    path("callbacks/notify/", include("notifications.urls_callbacks")),
    path("staff/value/", include("value.urls_staff")),
    path("staff/", include("surveys.urls_staff")),
    path("q/", include("surveys.urls_patient")),
    path("l/", include("notifications.urls_letters")),  # the short code on a letter
]

# A broken patient link (/q/<token>/page/abc/) gets the friendly link page; other paths get
# templates/404.html. Django's own server_error renders templates/500.html with no context.
handler404 = views_patient.not_found
