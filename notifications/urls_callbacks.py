"""GOV.UK Notify's callbacks, mounted at callbacks/notify/ (bearer token, no login)."""

from django.urls import path

from notifications import views

app_name = "notify_callbacks"
urlpatterns = [
    path("delivery/", views.delivery_receipt, name="delivery"),
    path("inbound-sms/", views.inbound_sms, name="inbound_sms"),
]
