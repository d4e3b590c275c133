"""Read-only admin for definitions: they change through reviewed files, not through forms."""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _

from outcomes.access import api_key_attach, api_key_providers_set, api_key_revoke
from outcomes.models import (
    ApiClient,
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
    """Every write and read record (outcomes/audit.py): who opened which patient, episode,
    export or report; filter by kind, user and date, or search a record's id."""

    list_display = ["at", "action", "object_type", "object_id", "actor"]
    list_filter = ["action", "object_type", ("actor", admin.RelatedOnlyFieldListFilter), "at"]
    search_fields = ["object_id", "actor__username"]
    date_hierarchy = "at"
    list_select_related = ["actor"]
    show_full_result_count = False  # the table grows by every page view: no COUNT(*) per page


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Issue keys (the raw key is shown once, on the page after adding), scope them (audited),
    revoke them."""

    list_display = ["name", "prefix", "created_at", "created_by", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    filter_horizontal = ["providers"]
    fields = [
        "name",
        "providers",
        "prefix",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = ["prefix", "created_at", "created_by", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the audit trail keeps pointing at the key

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        obj.created_by = request.user
        # Providers are saved by save_related once the row exists; the key is issued now.
        request._api_key_issued = api_key_attach(client=obj, by=request.user)

    def save_related(self, request, form, formsets, change):
        # The provider scope goes through the service, which audits what changed; taking it
        # out of cleaned_data stops the form setting it a second time without a record.
        providers = form.cleaned_data.pop("providers", None)
        super().save_related(request, form, formsets, change)
        if providers is not None:
            api_key_providers_set(client=form.instance, providers=providers, by=request.user)

    def response_add(self, request, obj, post_url_continue=None):
        """Show a new raw key on this response only. A Django message would carry it in the
        messages cookie (the default storage), readable in the browser and left in its cookie
        jar; this page is not stored (no-store) and the key is never written anywhere."""
        raw_key = getattr(request, "_api_key_issued", None)
        if not raw_key:
            return super().response_add(request, obj, post_url_continue)
        response = TemplateResponse(
            request,
            "admin/outcomes/apiclient/key_issued.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "client": obj,
                "raw_key": raw_key,
                "title": _("API key issued"),
                "change_url": reverse("admin:outcomes_apiclient_change", args=[obj.pk]),
            },
        )
        patch_cache_control(response, no_store=True, no_cache=True, private=True)
        return response

    @admin.action(description="Revoke the selected API keys")
    def revoke(self, request, queryset):
        for client in queryset.filter(revoked_at__isnull=True):
            api_key_revoke(client=client, by=request.user)
        self.message_user(request, _("Revoked. Requests with those keys now get a 401."))
