"""What each stored audit action means, in words an administrator reads (the stored codes never change)."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "record.view": _("Viewed a clinical record"),
    "record.create": _("Created a clinical record"),
    "record.update": _("Changed a clinical record"),
    "record.update_not_written": _("Record change not written (store unavailable)"),
    "record.access_denied": _("Refused access to a clinical record"),
    "encounter.close": _("Closed a consultation"),
    "encounter.close_undone": _("Consultation close undone"),
    "encounter.addendum": _("Added an addendum"),
    "encounter.addendum_not_written": _("Addendum not written (store unavailable)"),
    "admin.view": _("Viewed clinical data in the administration"),
    "prescription.print": _("Printed a prescription"),
    "appointment.no_show": _("Marked a no-show"),
    "appointment.no_show_reverted": _("Undid a no-show"),
    "patient.register": _("Registered a patient in person"),
    "user.create": _("Created a staff account"),
    "user.role_change": _("Changed a user's role"),
    "doctor.create": _("Created a doctor"),
}


def action_label(action):
    """The readable label of ``action``; an action added later without a label shows its code."""
    return ACTION_LABELS.get(action, action)
