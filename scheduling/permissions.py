"""Who may do what to an appointment: one rule per action, asked by services, views and templates.

Each ``*_refusal`` function answers None when ``user`` may do it now, or the
SchedulingError that says why not (services raise it; pages show it). They
read only the appointment's own fields, so a template can ask them for every
row without a query (a "call the clinic" message reads the clinic's phone from the cache).

An appointment is *under way* once the patient has checked in or its doctor
has opened the consultation. From then on only its doctor may cancel it or
mark it a no-show (the doctor may be writing the note), and nobody marks a
checked-in patient as a no-show.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Role
from medly.clinic import with_clinic_phone
from scheduling.exceptions import (
    AlreadyCheckedIn,
    AppointmentUnderWay,
    CancellationTooLate,
    CheckedInNotNoShow,
    InvalidTransition,
    NotAllowed,
    RecordedAsNoShow,
)
from scheduling.models import AppointmentStatus

STAFF_ROLES = (Role.RECEPTION, Role.ADMIN)

CANCEL, MOVE, NO_SHOW, REVERT_NO_SHOW, CHECK_IN = "cancel", "move", "no_show", "revert_no_show", "check_in"
CONSULT = "consult"


def _is_its_doctor(user, appointment):
    return user.role == Role.DOCTOR and appointment.doctor_id == user.pk


def _is_its_patient(user, appointment):
    return user.role == Role.PATIENT and appointment.patient_id == user.pk


def _is_staff(user):
    return user.role in STAFF_ROLES


def _under_way_refusal(user, appointment, *, what):
    if _is_its_doctor(user, appointment):
        return None
    if appointment.checked_in_at is not None:
        messages = {
            CANCEL: _(
                "The patient has already checked in, so this appointment can no longer be cancelled here. "
                "If the visit is not going ahead, ask the doctor."
            ),
            MOVE: _("The patient has already checked in, so this appointment can no longer be moved."),
        }
        return AppointmentUnderWay(messages[what])
    if appointment.consultation_opened_at is not None:
        messages = {
            CANCEL: _(
                "The doctor has opened this consultation and may be writing the note, so it can no longer be "
                "cancelled here. Please ask the doctor."
            ),
            MOVE: _(
                "The doctor has opened this consultation and may be writing the note, so it can no longer be "
                "moved. Please ask the doctor."
            ),
        }
        return AppointmentUnderWay(messages[what])
    return None


def _cutoff_refusal(user, appointment, now, *, moving):
    if user.role != Role.PATIENT:
        return None
    minutes = settings.PATIENT_CHANGE_CUTOFF_MINUTES
    if appointment.starts_at - now >= timedelta(minutes=minutes):
        return None
    cutoff = patient_change_cutoff_text()
    if moving:
        message = _("Appointments can be moved online until %(cutoff)s before they start. Please call the clinic.")
    else:
        message = _("Appointments can be cancelled online until %(cutoff)s before they start. Please call the clinic.")
    return CancellationTooLate(with_clinic_phone(message % {"cutoff": cutoff}))


def patient_change_cutoff_text():
    """How long before the start a patient may still cancel or move online: "2 hours", "90 minutes"."""
    minutes = settings.PATIENT_CHANGE_CUTOFF_MINUTES
    if minutes % 60 == 0:
        return ngettext("%(count)d hour", "%(count)d hours", minutes // 60) % {"count": minutes // 60}
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def patient_change_deadline(starts_at):
    """The last moment a patient may cancel or move an appointment starting at ``starts_at`` online."""
    return starts_at - timedelta(minutes=settings.PATIENT_CHANGE_CUTOFF_MINUTES)


def cancel_refusal(user, appointment, *, now=None):
    """Its patient (until the cut-off), its doctor, reception and admins; not once under way (but its doctor)."""
    now = now or timezone.now()
    if not (_is_its_patient(user, appointment) or _is_its_doctor(user, appointment) or _is_staff(user)):
        return NotAllowed()
    if appointment.status != AppointmentStatus.SCHEDULED:
        return InvalidTransition(_("Only scheduled appointments can be cancelled."))
    return _under_way_refusal(user, appointment, what=CANCEL) or _cutoff_refusal(user, appointment, now, moving=False)


def move_refusal(user, appointment, *, now=None):
    """Its patient (until the cut-off), reception and admins; doctors do not move appointments; not once under way."""
    now = now or timezone.now()
    if not (_is_its_patient(user, appointment) or _is_staff(user)):
        return NotAllowed()
    if appointment.status != AppointmentStatus.SCHEDULED:
        return InvalidTransition(_("Only scheduled appointments can be moved."))
    return _under_way_refusal(user, appointment, what=MOVE) or _cutoff_refusal(user, appointment, now, moving=True)


def no_show_refusal(user, appointment, *, now=None):
    """Its doctor, reception and admins, once it has started; never once checked in; once opened, only its doctor."""
    now = now or timezone.now()
    if not (_is_its_doctor(user, appointment) or _is_staff(user)):
        return NotAllowed()
    if appointment.status == AppointmentStatus.NO_SHOW:
        return RecordedAsNoShow(appointment=appointment)
    if appointment.status != AppointmentStatus.SCHEDULED:
        return InvalidTransition()
    if appointment.checked_in_at is not None:
        return CheckedInNotNoShow(appointment=appointment)
    if appointment.consultation_opened_at is not None and not _is_its_doctor(user, appointment):
        return AppointmentUnderWay(
            _(
                "The doctor has opened this consultation and may be writing the note, so it cannot be marked as a "
                "no-show. Please ask the doctor."
            )
        )
    if appointment.starts_at > now:
        return InvalidTransition(_("A no-show can only be recorded once the appointment has started."))
    return None


def revert_no_show_refusal(user, appointment, *, now=None):
    """A no-show marked in error: its doctor, reception and admins put it back to scheduled."""
    if not (_is_its_doctor(user, appointment) or _is_staff(user)):
        return NotAllowed()
    if appointment.status != AppointmentStatus.NO_SHOW:
        return InvalidTransition(_("Only a no-show can be undone."))
    return None


def check_in_refusal(user, appointment, *, now=None):
    """Reception and admins, once, while it is scheduled."""
    if not _is_staff(user):
        return NotAllowed()
    if appointment.checked_in_at is not None:
        return AlreadyCheckedIn(appointment=appointment)
    if appointment.status == AppointmentStatus.NO_SHOW:
        return RecordedAsNoShow(appointment=appointment)
    if appointment.status != AppointmentStatus.SCHEDULED:
        return InvalidTransition(_("This appointment cannot be checked in."))
    return None


def may_open_consultation(user, appointment):
    """The consultation is clinical: records/permissions.py holds the rule."""
    from records import permissions as record_permissions  # records imports scheduling's models

    return record_permissions.may_open_consultation(user, appointment)


def consult_refusal(user, appointment, *, now=None):
    """Its doctor, while it is scheduled (the close itself is the coordinator's to refuse)."""
    if not may_open_consultation(user, appointment):
        return NotAllowed()
    if appointment.status != AppointmentStatus.SCHEDULED:
        return InvalidTransition()
    return None


RULES = {
    CONSULT: consult_refusal,
    CANCEL: cancel_refusal,
    MOVE: move_refusal,
    NO_SHOW: no_show_refusal,
    REVERT_NO_SHOW: revert_no_show_refusal,
    CHECK_IN: check_in_refusal,
}


def allowed_actions(user, appointment, *, now=None):
    """The names of the actions ``user`` may take on ``appointment`` now, for the pages' buttons."""
    now = now or timezone.now()
    return frozenset(name for name, rule in RULES.items() if rule(user, appointment, now=now) is None)


def may_hold_appointments(patient):
    """Only an active patient holds appointments."""
    return patient.role == Role.PATIENT and patient.is_active


def may_book_for_others(user):
    """Reception and admins book on a patient's behalf (the directory and doctor pages offer it)."""
    return user.is_authenticated and _is_staff(user)


def refusal_text(user, error):
    """A refusal worded to whoever reads it: reception and admins act for a patient, so theirs names the patient."""
    return error.message_for_staff() if may_book_for_others(user) else error.message


def may_book_for(booked_by, patient):
    """A patient books for themselves; reception and admins for any patient."""
    return booked_by.pk == patient.pk or _is_staff(booked_by)


def may_exceed_booking_limits(booked_by):
    """Reception and admins may give a patient more appointments than MAX_FUTURE_APPOINTMENTS allows."""
    return _is_staff(booked_by)


def may_download_calendar(user, appointment):
    """Its patient and its doctor take an appointment into their calendars."""
    return _is_its_patient(user, appointment) or _is_its_doctor(user, appointment)


def may_have_calendar_feed(user):
    return user.is_authenticated and user.role == Role.DOCTOR and hasattr(user, "doctor_profile")


def may_edit_public_profile(user):
    """A doctor edits their own public profile (bio, photo, fee, languages); admins do it in Django admin."""
    return user.is_authenticated and user.role == Role.DOCTOR and user.is_active
