"""What a reminder says, in the patient's language, on each channel."""

from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from records.models import ClinicDetails
from reminders.backends import PhoneMessage


def _details(appointment, clinic):
    local_start = timezone.localtime(appointment.starts_at)
    return {
        "appointment": appointment,
        "patient": appointment.patient,
        "doctor": appointment.doctor.get_full_name(),
        "clinic": clinic,
        "date": formats.date_format(local_start, "DATE_FORMAT"),
        "time": formats.time_format(local_start, "H:i"),
        "minutes": int((appointment.ends_at - appointment.starts_at).total_seconds() // 60),
    }


def reminder_email(appointment):
    """(subject, text, html) of the email reminder."""
    with override(appointment.patient.language):
        context = _details(appointment, ClinicDetails.current())
        subject = _("Reminder: your appointment on %(date)s at %(time)s") % context
        text = render_to_string("reminders/email/reminder.txt", context)
        html = render_to_string("reminders/email/reminder.html", context)
    return subject, text, html


def phone_message(reminder):
    appointment = reminder.appointment
    with override(appointment.patient.language):
        clinic = ClinicDetails.current()
        context = _details(appointment, clinic)
        body = _(
            "%(clinic)s: reminder of your appointment with %(doctor)s on %(date)s at %(time)s "
            "(%(minutes)s min). To cancel or move it, call %(phone)s."
        ) % {**context, "clinic": clinic.name, "phone": clinic.phone or clinic.name}
    return PhoneMessage(
        reminder_id=reminder.pk,
        channel=reminder.channel,
        to=reminder.recipient,
        body=body,
        template_variables={
            "1": appointment.patient.first_name,
            "2": context["doctor"],
            "3": context["date"],
            "4": context["time"],
            "5": clinic.name,
        },
    )
