"""An appointment as iCalendar: what a calendar program reads back."""

import pytest
from icalendar import Calendar

from records.models import ClinicDetails
from scheduling import calendar
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def test_an_appointment_reads_back_with_its_times_doctor_and_clinic():
    ClinicDetails(
        name="Clínica Medly", address="Calle 60 #123\nCentro, Mérida", legal_owner="X", phone="999 123 4567"
    ).save()
    appointment = AppointmentFactory()

    parsed = Calendar.from_ical(calendar.appointment_calendar(appointment))

    [event] = parsed.walk("VEVENT")
    assert str(parsed["method"]) == "PUBLISH"
    assert str(event["uid"]) == f"appointment-{appointment.pk}@medly"
    assert event.decoded("dtstart") == appointment.starts_at
    assert event.decoded("dtend") == appointment.ends_at
    assert appointment.doctor.get_full_name() in str(event["summary"])
    assert str(event["location"]) == "Clínica Medly, Calle 60 #123 Centro, Mérida"
    assert "999 123 4567" in str(event["description"])
    assert str(event["status"]) == "CONFIRMED"


def test_a_cancelled_appointment_cancels_the_same_event():
    appointment = AppointmentFactory(status="cancelled")

    parsed = Calendar.from_ical(calendar.appointment_calendar(appointment, sequence=1))

    [event] = parsed.walk("VEVENT")
    assert (str(parsed["method"]), str(event["status"]), event["sequence"]) == ("CANCEL", "CANCELLED", 1)
    assert str(event["uid"]) == f"appointment-{appointment.pk}@medly"


def test_a_doctors_agenda_names_each_patient():
    first, second = AppointmentFactory(), AppointmentFactory()

    parsed = Calendar.from_ical(calendar.agenda_calendar([first, second], name="Dr. Agenda"))

    summaries = sorted(str(event["summary"]) for event in parsed.walk("VEVENT"))
    assert summaries == sorted(f"Appointment with {a.patient.get_full_name()}" for a in (first, second))
    assert str(parsed["x-wr-calname"]) == "Dr. Agenda"
