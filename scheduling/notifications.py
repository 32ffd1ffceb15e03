"""Appointment emails: built in the request, sent by the worker (``medly.mail.queue_email``) after commit.

Each message is HTML and plain text in its recipient's language (``User.language``),
with times in the clinic's time zone; the patient's carry the ``.ics`` of the
appointment. A message failing to render or send never undoes the appointment:
the booking has committed before anything here runs.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Role
from medly.clinic import clinic_details
from medly.mail import queue_email
from scheduling import permissions
from scheduling.calendar import appointment_calendar

CALENDAR_MIMETYPE = "text/calendar"


def absolute_url(path):
    return f"{settings.SITE_URL}{path}"


def _render(template, *, language, subject, context):
    """(subject, text, html) of ``scheduling/email/<template>`` for a reader of ``language``."""
    clinic = clinic_details()
    with translation.override(language), timezone.override(settings.TIME_ZONE):
        context = {
            **context,
            "clinic": clinic,
            "clinic_address_lines": clinic.address_lines,
            "site_url": settings.SITE_URL,
            "language": language,
        }
        subject = subject()
        context["subject"] = subject
        text = render_to_string(f"scheduling/email/{template}.txt", context)
        html = render_to_string(f"scheduling/email/{template}.html", context)
    return subject, text, html


def _appointment_context(appointment):
    return {
        "appointment": appointment,
        "patient": appointment.patient,
        "doctor": appointment.doctor,
        "minutes": int((appointment.ends_at - appointment.starts_at).total_seconds() // 60),
        "change_deadline": permissions.patient_change_deadline(appointment.starts_at),
        "appointment_url": absolute_url(f"{reverse('scheduling:appointments')}#appointment-{appointment.pk}"),
        "calendar_url": absolute_url(reverse("scheduling:appointment_calendar", args=[appointment.pk])),
    }


def _calendar_attachment(appointment, *, language, sequence):
    with translation.override(language):
        content = appointment_calendar(appointment, sequence=sequence).decode()
    return (f"appointment-{appointment.pk}.ics", content, CALENDAR_MIMETYPE)


def _sequence_now():
    # Each change must carry a higher SEQUENCE than the last for calendars to take it; time only grows.
    return int(timezone.now().timestamp())


def _to_patient(appointment, template, subject, *, sequence, **extra):
    language = appointment.patient.language
    subject, text, html = _render(
        template, language=language, subject=subject, context={**_appointment_context(appointment), **extra}
    )
    queue_email(
        to=[appointment.patient.email],
        subject=subject,
        text=text,
        html=html,
        attachments=[_calendar_attachment(appointment, language=language, sequence=sequence)],
    )


def _doctor_wants_notices(doctor):
    profile = getattr(doctor, "doctor_profile", None)
    return profile is not None and profile.notify_on_booking and doctor.is_active


def _to_doctor(appointment, template, subject):
    doctor = appointment.doctor
    subject, text, html = _render(
        template, language=doctor.language, subject=subject, context=_appointment_context(appointment)
    )
    queue_email(to=[doctor.email], subject=subject, text=text, html=html)


def send_booking_confirmation(appointment):
    _to_patient(appointment, "booked", lambda: _("Your Medly appointment is booked"), sequence=0)
    if appointment.booked_by_id == appointment.patient_id and _doctor_wants_notices(appointment.doctor):
        _to_doctor(
            appointment,
            "doctor_booked",
            lambda: _("New appointment: %(patient)s") % {"patient": appointment.patient.get_full_name()},
        )


def send_reschedule(appointment):
    _to_patient(appointment, "moved", lambda: _("Your Medly appointment was moved"), sequence=_sequence_now())


def cancelled_by_whom(appointment):
    """Who cancelled, as the patient is told: ``patient``, ``doctor`` or ``clinic``."""
    actor = appointment.cancelled_by
    if actor is None or actor.pk == appointment.patient_id:
        return "patient"
    if actor.role == Role.DOCTOR:
        return "doctor"
    return "clinic"


def send_cancellation(appointment):
    by_whom = cancelled_by_whom(appointment)
    _to_patient(
        appointment,
        "cancelled",
        lambda: _("Your Medly appointment was cancelled"),
        sequence=_sequence_now(),
        cancelled_by=by_whom,
    )
    if by_whom == "patient" and _doctor_wants_notices(appointment.doctor):
        _to_doctor(
            appointment,
            "doctor_cancelled",
            lambda: _("Cancelled: %(patient)s") % {"patient": appointment.patient.get_full_name()},
        )


def queue_daily_digest(doctor, *, day, appointments):
    """The doctor's appointments of ``day`` (a date in the clinic's time zone), in one message."""
    subject, text, html = _render(
        "digest",
        language=doctor.language,
        subject=lambda: _("Your appointments today"),
        context={
            "doctor": doctor,
            "day": day,
            "appointments": list(appointments),
            "agenda_url": absolute_url(reverse("scheduling:appointments")),
        },
    )
    queue_email(to=[doctor.email], subject=subject, text=text, html=html)
