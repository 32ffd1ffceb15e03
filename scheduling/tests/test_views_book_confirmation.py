"""The confirmation step: GET /slots/<id>/book/ shows what is being booked; its form POSTs to the same URL."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import DoctorFactory, PatientFactory, ReceptionFactory
from medly.tests.browser import text, when
from records.models import ClinicDetails
from scheduling import services as scheduling_services
from scheduling.models import Appointment, Slot, SlotStatus
from scheduling.tests.factories import AppointmentFactory, SlotFactory, SpecialtyFactory
from scheduling.tests.helpers import days_ahead, shown_messages
from waitlist import services as waitlist_services
from waitlist.tests.helpers import booked_slot, waiting

pytestmark = pytest.mark.django_db

APPOINTMENTS_URL = reverse("scheduling:appointments")
# The user (sessions live in Redis), the slot with its doctor and profile, its specialties, "does the patient hold it?".
CONFIRMATION_QUERIES = 4


def book_url(slot):
    return reverse("scheduling:book", args=[slot.pk])


@pytest.fixture
def clinic():
    return ClinicDetails.objects.create(
        name="Clínica Ceiba",
        address="Calle 60 #123\nCentro, Mérida, Yucatán",
        legal_owner="Ceiba SC",
        phone="+52 999 123 4567",
    )


@pytest.fixture
def patient(client):
    patient = PatientFactory()
    client.force_login(patient)
    return patient


@pytest.fixture
def slot():
    doctor = DoctorFactory(first_name="Itzel", last_name="Chablé Uc")
    doctor.doctor_profile.specialties.add(SpecialtyFactory(name="Cardiología"))
    return SlotFactory(doctor=doctor, starts_at=days_ahead(3, 10), ends_at=days_ahead(3, 10, 45))


def test_it_shows_the_doctor_specialty_date_time_length_clinic_and_cut_off(client, patient, clinic, slot, settings):
    settings.PATIENT_CHANGE_CUTOFF_MINUTES = 120

    response = client.get(book_url(slot))

    assert response.status_code == 200
    page = response.text
    for expected in (
        "Confirm your appointment",
        "Itzel Chablé Uc",
        "Cardiología",
        when(slot.starts_at, "en", "DATE_FORMAT"),
        "10:00–10:45",
        "45 minutes",
        "Clínica Ceiba",
        "Calle 60 #123",
        "Centro, Mérida, Yucatán",
        'href="tel:+529991234567"',
        "+52 999 123 4567",
        "https://www.google.com/maps/search/?api=1&amp;query=",
        f"until {when(slot.starts_at - timedelta(hours=2), 'en')} (2 hours before it starts)",
    ):
        assert expected in page, expected
    assert f'<form method="post" action="{book_url(slot)}"' in page
    assert 'name="reason"' in page and 'maxlength="500"' in page


def test_it_speaks_spanish_with_the_mexican_date_format(client, patient, slot):
    client.cookies["django_language"] = "es-mx"

    page = client.get(book_url(slot), headers={"accept-language": "es-mx"}).text

    assert text("Confirm your appointment", "es-mx") in page
    assert when(slot.starts_at, "es-mx", "DATE_FORMAT") in page
    assert " de " in when(slot.starts_at, "es-mx", "DATE_FORMAT")
    assert "45 minutos" in page


def test_it_costs_a_fixed_number_of_queries(client, patient, slot, django_assert_num_queries):
    with django_assert_num_queries(CONFIRMATION_QUERIES):
        response = client.get(book_url(slot))
    assert response.status_code == 200


def test_showing_the_confirmation_books_nothing(client, patient, slot):
    client.get(book_url(slot))

    assert Slot.objects.get(pk=slot.pk).status == SlotStatus.OPEN
    assert not Appointment.objects.exists()


def test_the_form_books_with_the_reason_and_lands_on_the_appointments(client, patient, slot):
    response = client.post(book_url(slot), {"reason": "  Control de presión arterial  "})

    assert response.status_code == 302
    assert response["Location"] == APPOINTMENTS_URL
    appointment = Appointment.objects.get(live_slot=slot)
    assert appointment.patient == patient
    assert appointment.reason == "Control de presión arterial"


def test_the_reason_may_be_empty(client, patient, slot):
    client.post(book_url(slot), {"reason": ""})

    assert Appointment.objects.get(live_slot=slot).reason == ""


def test_a_reason_of_500_characters_is_kept_whole(client, patient, slot):
    client.post(book_url(slot), {"reason": "a" * 500})

    assert Appointment.objects.get(live_slot=slot).reason == "a" * 500


def test_a_reason_over_500_characters_is_refused_with_a_message_and_books_nothing(client, patient, slot):
    response = client.post(book_url(slot), {"reason": "a" * 501})

    assert response.status_code == 200
    assert "Ensure this value has at most 500 characters (it has 501)." in response.text
    assert "a" * 501 in response.text
    assert not Appointment.objects.exists()
    assert Slot.objects.get(pk=slot.pk).status == SlotStatus.OPEN


def test_a_taken_slot_answers_409_with_a_clear_page(client, patient):
    taken = AppointmentFactory()

    response = client.get(book_url(taken.slot))

    assert response.status_code == 409
    assert "Sorry, that slot has just been taken or is no longer available." in response.text
    assert 'name="reason"' not in response.text


def test_a_started_slot_answers_409(client, patient):
    started = SlotFactory(starts_at=timezone.now() - timedelta(minutes=5))

    response = client.get(book_url(started))

    assert response.status_code == 409
    assert "That slot has already started" in response.text


def test_a_deactivated_doctors_slot_answers_409_and_says_so(client, patient):
    retired = SlotFactory(doctor=DoctorFactory(is_active=False), starts_at=days_ahead(2, 9))

    response = client.get(book_url(retired))

    assert response.status_code == 409
    assert "This doctor is not taking appointments at the moment." in response.text


def test_a_slot_that_does_not_exist_answers_404(client, patient):
    assert client.get(reverse("scheduling:book", args=[987654])).status_code == 404


def test_a_slot_held_for_someone_on_the_waitlist_answers_409(client, patient):
    appointment = booked_slot(hour=10)
    waiting(appointment.doctor)
    scheduling_services.cancel_appointment(appointment_id=appointment.pk, actor=appointment.patient)
    offer = waitlist_services.offer_slot(appointment.slot_id)
    assert offer is not None

    response = client.get(book_url(appointment.slot))

    assert response.status_code == 409
    assert "This slot is being held for a patient on the doctor" in response.text


def test_a_slot_the_patient_already_holds_leads_to_their_appointments(client, patient):
    mine = AppointmentFactory(patient=patient)

    response = client.get(book_url(mine.slot))

    assert response.status_code == 302
    assert response["Location"] == APPOINTMENTS_URL
    assert shown_messages(response) == ["You have already booked this slot."]


@pytest.mark.parametrize("factory", [DoctorFactory, ReceptionFactory])
def test_anyone_but_a_patient_is_refused_403(client, slot, factory):
    client.force_login(factory())

    assert client.get(book_url(slot)).status_code == 403
    assert client.post(book_url(slot), {"reason": "x"}).status_code == 403
    assert not Appointment.objects.exists()


def test_an_anonymous_visitor_is_sent_to_log_in_and_back(client, slot):
    response = client.get(book_url(slot))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={book_url(slot)}"
