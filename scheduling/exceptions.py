from django.utils.translation import gettext_lazy as _


class SchedulingError(Exception):
    """A scheduling request that cannot be carried out; ``message`` is safe to show."""

    message = _("This request could not be completed.")

    def __init__(self, message=None):
        if message is not None:
            self.message = message
        super().__init__(str(self.message))


class SlotUnavailable(SchedulingError):
    message = _("Sorry, that slot has just been taken or is no longer available. Please choose another one.")


class AlreadyBookedByYou(SlotUnavailable):
    """The patient already holds this very slot (a double click, a second tab)."""

    message = _("You have already booked this slot.")


class SlotInPast(SchedulingError):
    message = _("That slot has already started; please choose a later one.")


class SlotBusy(SchedulingError):
    message = _("Many people are booking right now. Please try again in a moment.")


class OverlappingAppointment(SchedulingError):
    message = _("You already have an appointment at that time.")


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
        "You already have an appointment with this doctor on that day. Please choose another day, "
        "or call the clinic."
    )


class DoctorUnavailable(SchedulingError):
    message = _("This doctor is not taking appointments at the moment. Please choose another doctor.")


class NothingToUndo(SchedulingError):
    pass
