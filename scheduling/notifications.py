"""Appointment emails: the request queues ids and facts on commit; the worker builds and sends each message.

A booking, move or cancellation enqueues, when its transaction commits, one small
``send_appointment_mail`` task per message: the appointment's id, the kind of mail and
the facts that must be those of the moment of the change (the times, the calendar
``SEQUENCE``, who cancelled). The worker loads the appointment and renders the
message, HTML and plain text in its recipient's language (``User.language``), with
times in the clinic's time zone; the patient's carry the ``.ics`` of the appointment.
A message failing to render or send never undoes the appointment.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Role
from medly.clinic import clinic_details
from medly.mail import deliver, queue_email
from scheduling import permissions
from scheduling.calendar import appointment_calendar
from scheduling.models import Appointment, AppointmentStatus

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


def _doctor_wants_notices(doctor):
    profile = getattr(doctor, "doctor_profile", None)
    return profile is not None and profile.notify_on_booking and doctor.is_active


def cancelled_by_whom(appointment):
    """Who cancelled, as the patient is told: ``patient``, ``doctor`` or ``clinic``."""
    actor = appointment.cancelled_by
    if actor is None or actor.pk == appointment.patient_id:
        return "patient"
    if actor.role == Role.DOCTOR:
        return "doctor"
    return "clinic"


@dataclass(frozen=True)
class AppointmentMail:
    template: str
    to_patient: bool
    # News of a live appointment (booked, moved) is left unsent once it is no longer scheduled: the mail of
    # what happened since (a cancellation, above all) tells the patient what holds.
    only_while_scheduled: bool

    def subject(self, appointment):
        """In the language active when it is called (the recipient's, inside ``_render``)."""
        patient = {"patient": appointment.patient.get_full_name()}
        if self.template == "booked":
            return _("Your Medly appointment is booked")
        if self.template == "doctor_booked":
            return _("New appointment: %(patient)s") % patient
        if self.template == "moved":
            return _("Your Medly appointment was moved")
        if self.template == "cancelled":
            return _("Your Medly appointment was cancelled")
        return _("Cancelled: %(patient)s") % patient


APPOINTMENT_MAILS = {
    mail.template: mail
    for mail in (
        AppointmentMail("booked", to_patient=True, only_while_scheduled=True),
        AppointmentMail("doctor_booked", to_patient=False, only_while_scheduled=True),
        AppointmentMail("moved", to_patient=True, only_while_scheduled=True),
        AppointmentMail("cancelled", to_patient=True, only_while_scheduled=False),
        AppointmentMail("doctor_cancelled", to_patient=False, only_while_scheduled=False),
    )
}


def _queue(appointment, kind, **facts):
    arguments = {"appointment_id": appointment.pk, "kind": kind, **facts}
    transaction.on_commit(lambda: send_appointment_mail.enqueue(**arguments))


def _times_of(appointment):
    return {"starts_at": appointment.starts_at.isoformat(), "ends_at": appointment.ends_at.isoformat()}


def queue_booking_confirmation(appointment):
    """Inside the booking's transaction: the patient's confirmation and, if wanted, the doctor's notice."""
    _queue(appointment, "booked", sequence=0, **_times_of(appointment))
    if appointment.booked_by_id == appointment.patient_id and _doctor_wants_notices(appointment.doctor):
        _queue(appointment, "doctor_booked", **_times_of(appointment))


def queue_reschedule(appointment):
    _queue(appointment, "moved", sequence=_sequence_now(), **_times_of(appointment))


def queue_cancellation(appointment):
    by_whom = cancelled_by_whom(appointment)
    _queue(appointment, "cancelled", sequence=_sequence_now(), cancelled_by=by_whom)
    if by_whom == "patient":
        # Whether the doctor still wants notices is the worker's question: the request has not loaded the profile.
        _queue(appointment, "doctor_cancelled")


@task
def send_appointment_mail(*, appointment_id, kind, sequence=0, starts_at=None, ends_at=None, cancelled_by=None):
    """Build and send one appointment mail, as the appointment was when the request queued it."""
    mail = APPOINTMENT_MAILS[kind]
    appointment = (
        Appointment.objects.select_related("patient", "doctor__doctor_profile").filter(pk=appointment_id).first()
    )
    if appointment is None:
        return
    if mail.only_while_scheduled and appointment.status != AppointmentStatus.SCHEDULED:
        return
    if starts_at is not None:
        appointment.starts_at, appointment.ends_at = datetime.fromisoformat(starts_at), datetime.fromisoformat(ends_at)
    recipient = appointment.patient if mail.to_patient else appointment.doctor
    if not recipient.email or not (mail.to_patient or _doctor_wants_notices(recipient)):
        return
    context = _appointment_context(appointment)
    if cancelled_by is not None:
        context["cancelled_by"] = cancelled_by
    subject, text, html = _render(
        mail.template,
        language=recipient.language,
        subject=lambda: mail.subject(appointment),
        context=context,
    )
    attachments = []
    if mail.to_patient:
        attachments.append(_calendar_attachment(appointment, language=recipient.language, sequence=sequence))
    deliver(to=[recipient.email], subject=subject, text=text, html=html, attachments=attachments)


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
