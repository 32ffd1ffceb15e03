"""Admin for specialties, slots and appointments.

Appointments are never edited field by field here: booking, cancelling and
moving go through the same service functions as the site, so admin cannot
double-book either.

No date_hierarchy: it truncates dates in the database, which on MySQL needs
the server's time zone tables (CONVERT_TZ), and those are not loaded on our
MariaDB servers. DateFieldListFilter computes its bounds in Python instead.
"""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin_search import SearchPeopleByWords
from accounts.models import Role
from medly.admin_lists import BigTableLists, RelatedFetchedAfterThePage
from scheduling import availability, services
from scheduling.exceptions import SchedulingError
from scheduling.models import Appointment, ClinicClosure, Slot, SlotStatus, Specialty


@admin.register(Specialty)
class SpecialtyAdmin(admin.ModelAdmin):
    search_fields = ("name",)


class DoctorListFilter(admin.RelatedFieldListFilter):
    """The doctors to filter by: users with the doctor role. A plain filter would list every user, patients
    included; RelatedOnlyFieldListFilter reads the doctor of every appointment (SELECT DISTINCT over the table)."""

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, ordering=ordering, limit_choices_to={"role": Role.DOCTOR})


@admin.register(Slot)
class SlotAdmin(RelatedFetchedAfterThePage, SearchPeopleByWords, BigTableLists, admin.ModelAdmin):
    list_display = ("starts_at", "ends_at", "doctor", "status")
    list_filter = ("status", ("starts_at", admin.DateFieldListFilter), ("doctor", DoctorListFilter))
    search_fields = ("doctor__email", "doctor__first_name", "doctor__last_name")
    people_searched = ("doctor",)
    fetched_after_the_page = ("doctor",)
    ordering = ("starts_at", "pk")  # through the slot_start index
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
class AppointmentAdmin(RelatedFetchedAfterThePage, SearchPeopleByWords, BigTableLists, admin.ModelAdmin):
    list_display = ("starts_at", "doctor", "patient", "status", "checked_in_at")
    list_filter = ("status", ("starts_at", admin.DateFieldListFilter), ("doctor", DoctorListFilter))
    search_fields = ("patient__email", "patient__last_name", "doctor__email", "doctor__last_name")
    people_searched = ("patient", "doctor")
    fetched_after_the_page = ("doctor", "patient")
    ordering = ("starts_at", "pk")  # through the appointment_start index
    actions = [cancel_selected, mark_no_shows]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ClinicClosure)
class ClinicClosureAdmin(admin.ModelAdmin):
    """Adding a closure closes every doctor's free slots that day (through the service); booked ones are listed."""

    list_display = ("day", "name", "created_by", "created_at")
    list_select_related = ("created_by",)
    readonly_fields = ("created_by", "created_at")

    def get_readonly_fields(self, request, obj=None):
        # The day is what closed the slots: changing it would leave them closed on the old day.
        return (*self.readonly_fields, "day") if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        result = availability.close_clinic(day=obj.day, name=obj.name, created_by=request.user)
        obj.pk = result.closure.pk
        self.message_user(
            request,
            ngettext("%(count)d free slot closed.", "%(count)d free slots closed.", result.removed)
            % {"count": result.removed},
            messages.SUCCESS,
        )
        if result.kept_appointments:
            listed = "; ".join(
                f"{date_format(timezone.localtime(a.starts_at), 'H:i')} "
                f"{a.doctor.get_full_name()} — {a.patient.get_full_name()}"
                for a in result.kept_appointments
            )
            self.message_user(
                request,
                ngettext(
                    "%(count)d appointment that day was kept and still takes place unless you cancel it: %(list)s",
                    "%(count)d appointments that day were kept and still take place unless you cancel them: %(list)s",
                    len(result.kept_appointments),
                )
                % {"count": len(result.kept_appointments), "list": listed},
                messages.WARNING,
            )
