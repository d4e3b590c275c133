from django.urls import include, path

from accounts import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("two-factor/set-up/", views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/set-up/qr.svg", views.two_factor_qr, name="two_factor_qr"),
    path("two-factor/backup-codes/", views.backup_codes_new, name="backup_codes_new"),
    path("", include("django.contrib.auth.urls")),
]
