"""Calendars: one appointment as .ics for its patient and doctor; each doctor's private, revocable feed."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from accounts.models import DoctorProfile
from accounts.services import new_calendar_token
from accounts.tests.factories import DoctorFactory, PatientFactory, ReceptionFactory
from scheduling.calendar import appointment_uid
from scheduling.models import AppointmentStatus
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def parsed(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    return Calendar.from_ical(response.content)


def events(calendar):
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


# --- one appointment --------------------------------------------------------------


def ics_url(appointment):
    return reverse("scheduling:appointment_calendar", args=[appointment.pk])


def test_its_patient_downloads_the_appointment_as_ics(client):
    appointment = AppointmentFactory(slot__doctor=DoctorFactory(first_name="Itzel", last_name="Chablé"))
    client.force_login(appointment.patient)

    response = client.get(ics_url(appointment))

    assert response["Content-Disposition"] == f'attachment; filename="appointment-{appointment.pk}.ics"'
    (event,) = events(parsed(response)).values()
    assert str(event["uid"]) == appointment_uid(appointment)
    assert event.decoded("dtstart") == appointment.starts_at
    assert str(event["summary"]) == "Appointment with Itzel Chablé"


def test_its_doctor_downloads_it_named_after_the_patient(client):
    appointment = AppointmentFactory(patient=PatientFactory(first_name="Ana", last_name="Pech"))
    client.force_login(appointment.doctor)

    (event,) = events(parsed(client.get(ics_url(appointment)))).values()

    assert str(event["summary"]) == "Appointment with Ana Pech"


@pytest.mark.parametrize(("who", "status"), [("other_patient", 404), ("other_doctor", 404), ("reception", 403)])
def test_nobody_else_downloads_it(client, who, status):
    appointment = AppointmentFactory()
    client.force_login(
        {"other_patient": PatientFactory, "other_doctor": DoctorFactory, "reception": ReceptionFactory}[who]()
    )

    assert client.get(ics_url(appointment)).status_code == status


def test_an_unknown_appointment_is_404(client):
    client.force_login(PatientFactory())

    assert client.get(reverse("scheduling:appointment_calendar", args=[999999])).status_code == 404


# --- the doctor's feed ---------------------------------------------------------------


def feed_url(token):
    return reverse("scheduling:calendar_feed", args=[token])


def test_the_doctor_creates_the_feed_address_on_the_agenda_page_and_sees_it(client, settings):
    settings.SITE_URL = "https://citas.ceiba.mx"
    doctor = DoctorFactory()
    client.force_login(doctor)
    assert b"Create my calendar address" in client.get(reverse("scheduling:appointments")).content

    response = client.post(reverse("scheduling:new_calendar_feed"))

    assert response.status_code == 302
    token = DoctorProfile.objects.get(user=doctor).calendar_token
    assert len(token) >= 43, "32 random bytes"
    page = client.get(reverse("scheduling:appointments")).content.decode()
    assert f'value="https://citas.ceiba.mx/calendar/{token}.ics"' in page


def test_the_feed_lists_the_doctors_live_appointments_in_its_window_with_patient_names_only(client):
    doctor = DoctorFactory(first_name="Itzel", last_name="Chablé")
    now = timezone.now().replace(microsecond=0)
    patient = PatientFactory(first_name="Ana", last_name="Pech")
    upcoming = AppointmentFactory(slot__doctor=doctor, patient=patient, slot__starts_at=now + timedelta(days=3))
    far = AppointmentFactory(slot__doctor=doctor, slot__starts_at=now + timedelta(days=179))
    recent = AppointmentFactory(
        slot__doctor=doctor, slot__starts_at=now - timedelta(days=29), status=AppointmentStatus.COMPLETED
    )
    closing = AppointmentFactory(
        slot__doctor=doctor, slot__starts_at=now - timedelta(hours=2), status=AppointmentStatus.CLOSING
    )
    AppointmentFactory(
        slot__doctor=doctor, slot__starts_at=now + timedelta(days=4), status=AppointmentStatus.CANCELLED, live_slot=None
    )
    AppointmentFactory(
        slot__doctor=doctor, slot__starts_at=now - timedelta(days=2), status=AppointmentStatus.NO_SHOW, live_slot=None
    )
    AppointmentFactory(slot__doctor=doctor, slot__starts_at=now - timedelta(days=31))
    AppointmentFactory(slot__doctor=doctor, slot__starts_at=now + timedelta(days=181))
    AppointmentFactory(slot__starts_at=now + timedelta(days=3, hours=1))  # another doctor's

    calendar = parsed(client.get(feed_url(new_calendar_token(doctor))))

    assert set(events(calendar)) == {appointment_uid(a) for a in (upcoming, far, recent, closing)}
    assert str(calendar["x-wr-calname"]) == "Medly: Itzel Chablé"
    event = events(calendar)[appointment_uid(upcoming)]
    assert str(event["summary"]) == "Appointment with Ana Pech"
    assert event.decoded("dtstart") == upcoming.starts_at
    assert set(event) == {"UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "SUMMARY", "STATUS", "LOCATION"}, (
        "times, the place and the patient's name: nothing clinical"
    )


def test_a_revoked_or_replaced_token_answers_404_and_the_new_one_works(client):
    doctor = DoctorFactory()
    first = new_calendar_token(doctor)
    assert client.get(feed_url(first)).status_code == 200
    client.force_login(doctor)

    client.post(reverse("scheduling:new_calendar_feed"))
    second = DoctorProfile.objects.get(user=doctor).calendar_token

    assert second != first
    client.logout()
    assert client.get(feed_url(first)).status_code == 404
    assert parsed(client.get(feed_url(second)))

    client.force_login(doctor)
    client.post(reverse("scheduling:revoke_calendar_feed"))
    client.logout()
    assert DoctorProfile.objects.get(user=doctor).calendar_token is None
    assert client.get(feed_url(second)).status_code == 404


@pytest.mark.parametrize("token", ["", "None", "x" * 43, "../../etc"])
def test_a_made_up_token_answers_404(client, token):
    DoctorFactory()
    new_calendar_token(DoctorFactory())

    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_a_deactivated_doctors_feed_answers_404(client):
    doctor = DoctorFactory()
    token = new_calendar_token(doctor)
    doctor.is_active = False
    doctor.save()

    assert client.get(feed_url(token)).status_code == 404


def test_the_patients_appointments_page_links_each_upcoming_appointment_to_its_ics(client):
    appointment = AppointmentFactory()
    client.force_login(appointment.patient)

    page = client.get(reverse("scheduling:appointments")).content.decode()

    assert f'href="{ics_url(appointment)}" download' in page
