"""Read-only views of the outbox for administrators (changes go through the services)."""

from django.contrib import admin

from notifications.models import Notification, NotificationAttempt

SECRET_FIELDS = ["link_token", "short_code", "short_code_hash"]


class AttemptInline(admin.TabularInline):
    model = NotificationAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "started_at", "finished_at", "outcome", "error_code"]
    exclude = ["error_message"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["pk", "invitation", "kind", "channel", "status", "not_before", "attempts"]
    list_filter = ["status", "channel", "kind"]
    search_fields = ["=pk", "=invitation__pk", "=provider_message_id"]
    exclude = SECRET_FIELDS  # never shown, even encrypted or hashed
    readonly_fields = [
        field.name for field in Notification._meta.fields if field.name not in SECRET_FIELDS
    ]
    inlines = [AttemptInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
