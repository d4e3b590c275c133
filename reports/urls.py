from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.pack_list, name="list"),
    path("subscription/", views.subscription, name="subscription"),
    path("<int:pk>/", views.pack_download, name="download"),
]
