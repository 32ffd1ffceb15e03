"""Admin for specialties, slots and appointments.

Appointments are never edited field by field here: booking, cancelling and
moving go through the same service functions as the site, so admin cannot
double-book either.

No date_hierarchy: it truncates dates in the database, which on MySQL needs
the server's time zone tables (CONVERT_TZ), and those are not loaded on our
MariaDB servers. DateFieldListFilter computes its bounds in Python instead.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from medly.admin_lists import CalendarSafeLists
from scheduling import services
from scheduling.exceptions import SchedulingError
from scheduling.models import Appointment, Slot, SlotStatus, Specialty


@admin.register(Specialty)
class SpecialtyAdmin(admin.ModelAdmin):
    search_fields = ("name",)


@admin.register(Slot)
class SlotAdmin(CalendarSafeLists, admin.ModelAdmin):
    list_display = ("starts_at", "ends_at", "doctor", "status")
    list_filter = ("status", ("starts_at", admin.DateFieldListFilter), "doctor")
    search_fields = ("doctor__email", "doctor__first_name", "doctor__last_name")
    list_select_related = ("doctor",)
    readonly_fields = ("status",)
    # No bulk delete: a booked slot holds an appointment.
    actions = None

    def has_add_permission(self, request):
        # Slots are opened from the doctor's availability page, which checks overlaps.
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Only open slots can go; a booked slot holds an appointment.
        return obj is None or obj.status == SlotStatus.OPEN


def _run_for_each(modeladmin, request, queryset, action, done):
    for appointment in queryset:
        try:
            action(appointment_id=appointment.pk, actor=request.user)
        except SchedulingError as error:
            modeladmin.message_user(request, f"#{appointment.pk}: {error.message}", messages.ERROR)
        else:
            modeladmin.message_user(request, f"#{appointment.pk}: {done}", messages.SUCCESS)


@admin.action(description=_("Cancel the selected appointments"))
def cancel_selected(modeladmin, request, queryset):
    _run_for_each(modeladmin, request, queryset, services.cancel_appointment, _("cancelled"))


@admin.action(description=_("Mark the selected appointments as no-shows"))
def mark_no_shows(modeladmin, request, queryset):
    _run_for_each(modeladmin, request, queryset, services.mark_no_show, _("marked as no-show"))


@admin.register(Appointment)
class AppointmentAdmin(CalendarSafeLists, admin.ModelAdmin):
    list_display = ("starts_at", "doctor", "patient", "status", "checked_in_at")
    # RelatedOnly: a plain "doctor" filter would list every user, patients included.
    list_filter = ("status", ("starts_at", admin.DateFieldListFilter), ("doctor", admin.RelatedOnlyFieldListFilter))
    search_fields = ("patient__email", "patient__last_name", "doctor__email", "doctor__last_name")
    list_select_related = ("doctor", "patient")
    actions = [cancel_selected, mark_no_shows]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
