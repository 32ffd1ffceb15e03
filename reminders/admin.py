from django.contrib import admin

from medly.admin_lists import CalendarSafeLists
from reminders.models import Reminder, ReminderConsent


@admin.register(Reminder)
class ReminderAdmin(CalendarSafeLists, admin.ModelAdmin):
    """Read-only: the sweep is the one writer of a reminder's state."""

    list_display = ("due_at", "appointment", "channel", "state", "attempts", "sent_at", "error")
    list_filter = ("state", "channel", ("due_at", admin.DateFieldListFilter))
    search_fields = ("appointment__patient__email", "appointment__patient__last_name", "recipient")
    list_select_related = ("appointment",)
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReminderConsent)
class ReminderConsentAdmin(admin.ModelAdmin):
    list_display = ("patient", "sms_reminders_opt_in_at", "whatsapp_reminders_opt_in_at", "recorded_by", "updated_at")
    search_fields = ("patient__email", "patient__last_name")
    list_select_related = ("patient", "recorded_by")
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
