from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from medly.admin_lists import ReadOnlyAdmin, RelatedFetchedAfterThePage
from records import audit
from records.audit_labels import ACTION_LABELS, action_label
from records.models import AuditEvent, ClinicDetails, Operation


class AuditedDetailAdmin(ReadOnlyAdmin):
    """A detail page that shows clinical content leaves an audit event before it is drawn."""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Only a GET draws the page: these admins refuse every POST.
        obj = self.get_object(request, unquote(object_id)) if request.method == "GET" else None
        if obj is not None and self.has_view_permission(request, obj):
            audit.record(
                user=request.user,
                action=audit.ADMIN_VIEW,
                patient_id=obj.patient_id,
                encounter_id=obj.encounter_id,
                ip_address=audit.client_address(request),
                object=f"{obj._meta.label_lower}:{obj.pk}",
            )
        return super().change_view(request, object_id, form_url, extra_context)


class ActionFilter(admin.SimpleListFilter):
    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return sorted(ACTION_LABELS.items(), key=lambda item: str(item[1]))

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


class RoleFilter(admin.SimpleListFilter):
    """The roles to filter by, from the roles themselves: a plain filter reads SELECT DISTINCT role over every
    event (hundreds of thousands at a clinic network's size) on each view of the list."""

    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return Role.choices

    def queryset(self, request, queryset):
        return queryset.filter(role=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(AuditedDetailAdmin):
    list_display = ("created_at", "user", "role", "action_display", "patient", "encounter_id", "ip_address")
    list_filter = (ActionFilter, RoleFilter, ("created_at", admin.DateFieldListFilter))
    search_fields = ("user__email", "patient__email", "encounter_id")
    # No date_hierarchy: it converts time zones inside MySQL, which fails where
    # the server has no time zone tables; the date filter computes its ranges here.
    list_select_related = ("user", "patient")
    readonly_fields = ("created_at", "action_display")

    @admin.display(description=_("action"), ordering="action")
    def action_display(self, event):
        return action_label(event.action)


@admin.register(Operation)
class OperationAdmin(RelatedFetchedAfterThePage, AuditedDetailAdmin):
    list_display = (
        "pk",
        "kind",
        "state",
        "needs_attention",
        "patient",
        "appointment",
        "encounter_id",
        "attempts",
        "short_error",
        "next_attempt_at",
        "updated_at",
    )
    list_filter = ("needs_attention", "kind", "state")
    search_fields = ("encounter_id", "patient__email")
    fetched_after_the_page = ("patient", "appointment")
    ordering = ("-pk",)  # newest first, through the primary key

    @admin.display(description=_("last error"))
    def short_error(self, operation):
        return Truncator(operation.last_error).chars(120)


@admin.register(ClinicDetails)
class ClinicDetailsAdmin(admin.ModelAdmin):
    list_display = ("name", "legal_owner", "clues")

    def has_add_permission(self, request):
        return not ClinicDetails.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
