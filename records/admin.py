from django.contrib import admin

from medly.admin_lists import CalendarSafeLists
from records.models import AuditEvent, ClinicDetails, Operation


class ReadOnlyAdmin(CalendarSafeLists, admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "role", "action", "patient", "encounter_id", "ip_address")
    list_filter = ("action", "role", ("created_at", admin.DateFieldListFilter))
    search_fields = ("user__email", "patient__email", "encounter_id")
    # No date_hierarchy: it converts time zones inside MySQL, which fails where
    # the server has no time zone tables; the date filter computes its ranges here.
    list_select_related = ("user", "patient")


@admin.register(Operation)
class OperationAdmin(ReadOnlyAdmin):
    list_display = ("pk", "kind", "state", "patient", "appointment", "encounter_id", "attempts", "updated_at")
    list_filter = ("kind", "state")
    search_fields = ("encounter_id", "patient__email")
    list_select_related = ("patient",)


@admin.register(ClinicDetails)
class ClinicDetailsAdmin(admin.ModelAdmin):
    list_display = ("name", "legal_owner", "clues")

    def has_add_permission(self, request):
        return not ClinicDetails.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
