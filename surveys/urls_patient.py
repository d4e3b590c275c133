app_name = "patient"
urlpatterns: list = []  # filled by the patient pages
