"""Booking from the confirmation page: the patient's POST, reception booking for a patient, refusals."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import DoctorFactory, PatientFactory, ReceptionFactory
from desk.links import desk_day_url
from scheduling.models import Appointment, AppointmentStatus, Slot, SlotStatus
from scheduling.tests.factories import AppointmentFactory, SlotFactory
from scheduling.tests.helpers import days_ahead, shown_messages

pytestmark = pytest.mark.django_db

APPOINTMENTS_URL = reverse("scheduling:appointments")


def book_url(slot):
    return reverse("scheduling:book", args=[slot.pk])


@pytest.fixture
def patient(client):
    patient = PatientFactory()
    client.force_login(patient)
    return patient


def test_a_patient_books_with_one_post_and_lands_on_their_appointments(client, patient):
    slot = SlotFactory()

    response = client.post(book_url(slot))

    assert response.status_code == 302
    assert response["Location"] == APPOINTMENTS_URL
    assert Appointment.objects.get(live_slot=slot).patient == patient
    assert shown_messages(response) == ["Your appointment is booked. We have sent you a confirmation email."]


def test_a_taken_slot_answers_409_with_a_clear_message(client, patient):
    taken = AppointmentFactory()

    response = client.post(book_url(taken.slot))

    assert response.status_code == 409
    assert "Sorry, that slot has just been taken or is no longer available." in response.text
    assert not Appointment.objects.filter(patient=patient).exists()


def test_a_slot_that_no_longer_exists_answers_409(client, patient):
    response = client.post(reverse("scheduling:book", args=[987654]))

    assert response.status_code == 409


def test_a_started_slot_answers_409_and_stays_open(client, patient):
    slot = SlotFactory(starts_at=timezone.now() - timedelta(minutes=5))

    response = client.post(book_url(slot))

    assert response.status_code == 409
    assert "That slot has already started" in response.text
    assert Slot.objects.get(pk=slot.pk).status == SlotStatus.OPEN


def test_an_overlapping_booking_answers_409_and_says_why(client, patient):
    AppointmentFactory(patient=patient, slot__starts_at=days_ahead(2, 10))

    response = client.post(book_url(SlotFactory(starts_at=days_ahead(2, 10))))

    assert response.status_code == 409
    assert "You already have an appointment at that time." in response.text


def test_a_double_click_redirects_with_already_booked_instead_of_a_409(client, patient):
    slot = SlotFactory()
    client.post(book_url(slot), follow=True)

    second = client.post(book_url(slot))

    assert second.status_code == 302
    assert second["Location"] == APPOINTMENTS_URL
    assert shown_messages(second) == ["You have already booked this slot."]
    assert Appointment.objects.filter(patient=patient).count() == 1


def test_a_get_of_the_booking_route_only_shows_the_confirmation(client, patient):
    slot = SlotFactory()

    assert client.get(book_url(slot)).status_code == 200
    assert Slot.objects.get(pk=slot.pk).status == SlotStatus.OPEN
    assert not Appointment.objects.exists()


def test_a_booking_post_without_the_csrf_token_is_refused():
    patient, slot = PatientFactory(), SlotFactory()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(patient)

    response = strict.post(book_url(slot))

    assert response.status_code == 403
    assert not Appointment.objects.exists()


def test_the_confirmation_page_form_carries_the_token_that_makes_the_booking_go_through():
    patient, slot = PatientFactory(), SlotFactory(starts_at=days_ahead(2, 9))
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(patient)
    page = strict.get(book_url(slot)).text
    form = re.search(rf'<form method="post" action="{book_url(slot)}"[^>]*>.*?</form>', page, flags=re.S).group(0)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)

    response = strict.post(book_url(slot), {"csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert Appointment.objects.get().patient == patient


def test_the_booked_appointment_shows_on_the_patients_page(client, patient):
    slot = SlotFactory(doctor=DoctorFactory(first_name="Ximena", last_name="Ortiz"), starts_at=days_ahead(3, 12))

    response = client.post(book_url(slot), follow=True)

    assert "Ximena Ortiz" in response.text
    assert "12:00" in response.text
    assert "Your appointment is booked." in response.text


# --- reception books for a patient --------------------------------------------


@pytest.fixture
def reception(client):
    reception = ReceptionFactory()
    client.force_login(reception)
    return reception


def test_reception_reaches_a_doctor_page_ready_to_book_for_the_chosen_patient(client, reception):
    patient = PatientFactory(first_name="Rosa", last_name="Uc")
    slot = SlotFactory(starts_at=days_ahead(2, 9))

    directory = client.get(reverse("scheduling:directory"), {"for_patient": patient.pk}).text
    page = client.get(reverse("scheduling:doctor", args=[slot.doctor_id]), {"patient": patient.pk}).text

    assert f"{reverse('scheduling:doctor', args=[slot.doctor_id])}?patient={patient.pk}" in directory
    assert "Booking for Rosa Uc." in page
    assert f'action="{reverse("scheduling:book_for_patient", args=[slot.pk])}"' in page
    assert f'name="patient" value="{patient.pk}"' in page


def test_reception_books_for_a_patient(client, reception):
    patient = PatientFactory(first_name="Rosa", last_name="Uc")
    slot = SlotFactory()

    response = client.post(reverse("scheduling:book_for_patient", args=[slot.pk]), {"patient": patient.pk})

    appointment = Appointment.objects.get(live_slot=slot)
    assert response.status_code == 302
    assert response["Location"] == desk_day_url(timezone.localdate(slot.starts_at), patient_id=patient.pk)
    assert (appointment.patient, appointment.booked_by) == (patient, reception)
    assert shown_messages(response) == ["Booked for Rosa Uc."]


def test_reception_gets_409_for_a_taken_slot(client, reception):
    taken = AppointmentFactory()
    url = reverse("scheduling:book_for_patient", args=[taken.slot_id])

    response = client.post(url, {"patient": PatientFactory().pk})

    assert response.status_code == 409
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize("patient_field", ["", "abc", "²", "-3", "99999999999999999999999"])
def test_a_missing_or_malformed_patient_is_404_not_a_server_error(client, reception, patient_field):
    slot = SlotFactory()

    response = client.post(reverse("scheduling:book_for_patient", args=[slot.pk]), {"patient": patient_field})

    assert response.status_code == 404
    assert not Appointment.objects.exists()


def test_reception_cannot_book_a_doctor_as_the_patient(client, reception):
    response = client.post(
        reverse("scheduling:book_for_patient", args=[SlotFactory().pk]), {"patient": DoctorFactory().pk}
    )

    assert response.status_code == 404


@pytest.mark.parametrize("patient_param", ["abc", "²", "0"])
def test_a_malformed_patient_on_the_doctor_page_is_404(client, reception, patient_param):
    doctor = DoctorFactory()

    response = client.get(reverse("scheduling:doctor", args=[doctor.pk]), {"patient": patient_param})

    assert response.status_code == 404


def test_booking_for_a_patient_is_refused_for_inactive_patients(client, reception):
    slot = SlotFactory()

    response = client.post(
        reverse("scheduling:book_for_patient", args=[slot.pk]), {"patient": PatientFactory(is_active=False).pk}
    )

    assert response.status_code == 409
    assert Slot.objects.get(pk=slot.pk).status == SlotStatus.OPEN


def test_a_cancelled_booking_frees_the_slot_for_the_next_patient_through_the_site(client, patient):
    appointment = AppointmentFactory(patient=patient)
    client.post(reverse("scheduling:cancel", args=[appointment.pk]))
    newcomer = PatientFactory()
    client.force_login(newcomer)

    response = client.post(book_url(appointment.slot))

    assert response.status_code == 302
    assert Appointment.objects.get(live_slot=appointment.slot).patient == newcomer
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.CANCELLED
