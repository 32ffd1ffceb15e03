"""Appointment emails, sent after the booking transaction commits."""

import logging

from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def _send(appointment, subject, template_name):
    context = {"appointment": appointment, "patient": appointment.patient, "doctor": appointment.doctor}
    body = render_to_string(template_name, context)
    try:
        send_mail(subject, body, None, [appointment.patient.email])
    except Exception:
        # The appointment stands; a lost email must not undo it.
        logger.exception("could not send %s for appointment %s", template_name, appointment.pk)


def send_booking_confirmation(appointment):
    _send(appointment, _("Your Medly appointment is booked"), "scheduling/email/booked.txt")


def send_cancellation(appointment):
    _send(appointment, _("Your Medly appointment was cancelled"), "scheduling/email/cancelled.txt")


def send_reschedule(appointment):
    _send(appointment, _("Your Medly appointment was moved"), "scheduling/email/moved.txt")
