from django.utils.translation import gettext_lazy as _

from scheduling.exceptions import SchedulingError


class WaitlistError(SchedulingError):
    """A waitlist request that cannot be carried out; ``message`` is safe to show."""


class SlotHeld(WaitlistError):
    message = _(
        "This slot is being held for a patient on the doctor's waitlist. If they do not take it, "
        "it opens again; please choose another slot for now."
    )


class OfferNoLongerOpen(WaitlistError):
    message = _(
        "This offer has expired or has already been answered, so the slot was not booked for you. "
        "You are still on the waitlist unless you left it."
    )


class AlreadyWaiting(WaitlistError):
    message = _("You are already on this doctor's waitlist. Leave that entry first to change it.")


class NotOnWaitlist(WaitlistError):
    message = _("That waitlist entry is not open any more.")
