app_name = "staff"
urlpatterns: list = []  # filled by the staff pages
