from django.contrib import admin

from medly.admin_lists import ReadOnlyAdmin
from reminders.models import Reminder, ReminderConsent


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    """Read-only: the sweep is the one writer of a reminder's state."""

    list_display = ("due_at", "appointment", "channel", "state", "attempts", "sent_at", "error")
    list_filter = ("state", "channel", ("due_at", admin.DateFieldListFilter))
    search_fields = ("appointment__patient__email", "appointment__patient__last_name", "recipient")
    list_select_related = ("appointment",)


@admin.register(ReminderConsent)
class ReminderConsentAdmin(ReadOnlyAdmin):
    list_display = ("patient", "sms_reminders_opt_in_at", "whatsapp_reminders_opt_in_at", "recorded_by", "updated_at")
    search_fields = ("patient__email", "patient__last_name")
    list_select_related = ("patient", "recorded_by")
