from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext_lazy as _


class SchedulingError(Exception):
    """A scheduling request that cannot be carried out; ``message`` is safe to show.

    ``message`` speaks to the patient ("You already have…"). Reception and admins act for a
    patient, so a refusal that carries the ``appointment`` it is about can be worded to them
    instead (``message_for_staff``: "María López already has…"); the view picks the audience.
    """

    message = _("This request could not be completed.")
    # Placeholders: %(patient)s, %(doctor)s, %(date)s, %(time)s, %(checked_in)s. None: ``message`` suits both.
    staff_message = None

    def __init__(self, message=None, *, appointment=None):
        if message is not None:
            self.message = message
        self.appointment = appointment
        super().__init__(str(self.message))

    def message_for_staff(self):
        if self.staff_message is None or self.appointment is None:
            return self.message
        return self.staff_message % staff_wording(self.appointment)


def staff_wording(appointment):
    """The names and clinic-time date and time that staff-worded messages put in."""
    starts_at = timezone.localtime(appointment.starts_at)
    checked_in = appointment.checked_in_at and timezone.localtime(appointment.checked_in_at)
    return {
        "patient": appointment.patient.get_full_name(),
        "doctor": appointment.doctor.get_full_name(),
        "date": date_format(starts_at, "j F"),
        "time": time_format(starts_at, "H:i"),
        "checked_in": time_format(checked_in, "H:i") if checked_in else "",
    }


class SlotUnavailable(SchedulingError):
    message = _("Sorry, that slot has just been taken or is no longer available. Please choose another one.")


class AlreadyBookedByYou(SlotUnavailable):
    """The patient already holds this very slot (a double click, a second tab)."""

    message = _("You have already booked this slot.")
    staff_message = _("%(patient)s already has this appointment: %(date)s at %(time)s with %(doctor)s.")


class SlotInPast(SchedulingError):
    message = _("That slot has already started; please choose a later one.")


class SlotBusy(SchedulingError):
    message = _("Many people are booking right now. Please try again in a moment.")


class OverlappingAppointment(SchedulingError):
    message = _("You already have an appointment at that time.")
    staff_message = _("%(patient)s already has an appointment at %(time)s on %(date)s with %(doctor)s.")


class NotAllowed(SchedulingError):
    message = _("You are not allowed to do that.")


class InvalidTransition(SchedulingError):
    message = _("This appointment can no longer be changed.")


class CancellationTooLate(SchedulingError):
    pass


class AvailabilityConflict(SchedulingError):
    pass


class AppointmentUnderWay(InvalidTransition):
    """The patient has checked in or the doctor has opened the consultation: staff leave it to the doctor."""


class AlreadyCheckedIn(InvalidTransition):
    message = _("This patient has already been checked in.")
    staff_message = _("%(patient)s was already checked in at %(checked_in)s.")


class CheckedInNotNoShow(AppointmentUnderWay):
    message = _("The patient has checked in, so this appointment cannot be a no-show.")
    staff_message = _("%(patient)s checked in at %(checked_in)s, so the appointment cannot be a no-show.")


class RecordedAsNoShow(InvalidTransition):
    """Checking in or marking a no-show an appointment that is already a no-show (often a second receptionist)."""

    message = _("This appointment is already recorded as a no-show. If the patient has arrived, undo the no-show.")
    staff_message = _(
        "%(patient)s's appointment at %(time)s is already recorded as a no-show. If they have arrived, "
        "undo the no-show first."
    )


class NoShowSlotTaken(SchedulingError):
    message = _(
        "This no-show cannot be undone: its time slot has since been given to another appointment. "
        "Book the patient a new appointment instead."
    )


class BookingLimitReached(SchedulingError):
    """A patient's own booking beyond what one patient may hold (reception and admins may exceed it)."""


class TooManyFutureAppointments(BookingLimitReached):
    pass


class OnePerDoctorPerDay(BookingLimitReached):
    message = _(
        "You already have an appointment with this doctor on that day. Please choose another day, or call the clinic."
    )


class DoctorUnavailable(SchedulingError):
    message = _("This doctor is not taking appointments at the moment. Please choose another doctor.")


class NothingToUndo(SchedulingError):
    pass
