from django.contrib import admin

from .models import DashboardRole


@admin.register(DashboardRole)
class DashboardRoleAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "practice")
    list_filter = ("role",)
    search_fields = ("user__username", "practice__ods_code", "practice__name")
    autocomplete_fields = ("user",)
    raw_id_fields = ("practice",)
