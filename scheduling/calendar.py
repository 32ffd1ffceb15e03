"""Appointments as iCalendar (RFC 5545): the attachment of every appointment email and the doctors' feeds."""

from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from medly.clinic import clinic_details

PRODUCT_ID = "-//Medly//Clinic appointments//ES"


def _calendar():
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    return calendar


def appointment_uid(appointment):
    """Stable across moves and cancellations, so a calendar updates the one event it already has."""
    return f"appointment-{appointment.pk}@medly"


def appointment_event(appointment, *, clinic, sequence=0, for_doctor=False):
    event = Event()
    event.add("uid", appointment_uid(appointment))
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.starts_at)
    event.add("dtend", appointment.ends_at)
    event.add("sequence", sequence)
    if for_doctor:
        event.add("summary", _("Appointment with %(patient)s") % {"patient": appointment.patient.get_full_name()})
    else:
        event.add("summary", _("Appointment with %(doctor)s") % {"doctor": appointment.doctor.get_full_name()})
    location = ", ".join(part for part in (clinic.name, " ".join(clinic.address.split())) if part)
    if location:
        event.add("location", location)
    if clinic.phone:
        event.add("description", _("Clinic phone: %(phone)s") % {"phone": clinic.phone})
    cancelled = appointment.status == "cancelled"
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def appointment_calendar(appointment, *, sequence=0):
    """One appointment for its patient: a REQUEST, or a CANCEL once it is cancelled."""
    calendar = _calendar()
    calendar.add("method", "CANCEL" if appointment.status == "cancelled" else "PUBLISH")
    calendar.add_component(appointment_event(appointment, clinic=clinic_details(), sequence=sequence))
    return calendar.to_ical()


def agenda_calendar(appointments, *, name):
    """A doctor's agenda as one calendar (the subscribed feed)."""
    calendar = _calendar()
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    clinic = clinic_details()
    for appointment in appointments:
        calendar.add_component(appointment_event(appointment, clinic=clinic, for_doctor=True))
    return calendar.to_ical()
