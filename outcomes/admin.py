"""Read-only admin for definitions: they change through reviewed files, not through forms."""

from django.contrib import admin

from outcomes.models import (
    AuditEvent,
    Condition,
    Instrument,
    InstrumentWording,
    Outcome,
    Pathway,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Outcome)
class OutcomeAdmin(ReadOnlyAdmin):
    list_display = ["title", "code", "group", "patient_reported"]
    list_filter = ["group"]


@admin.register(Condition)
class ConditionAdmin(ReadOnlyAdmin):
    list_display = ["title", "code", "active"]


@admin.register(Instrument)
class InstrumentAdmin(ReadOnlyAdmin):
    list_display = ["short_title", "code", "version", "status", "licence_holder", "loaded_at"]
    list_filter = ["status", "wording_licensed"]
    search_fields = ["code", "title"]


@admin.register(InstrumentWording)
class InstrumentWordingAdmin(ReadOnlyAdmin):
    list_display = ["instrument", "language", "imported_at", "imported_by"]
    exclude = ["texts"]  # licensed text: shown where it is used, not browsed


@admin.register(Pathway)
class PathwayAdmin(ReadOnlyAdmin):
    list_display = ["title", "code", "version", "status", "condition"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "object_type", "object_id", "actor"]
    list_filter = ["action", "object_type"]
