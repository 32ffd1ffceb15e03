"""The patient's home: the next appointment in full, what to do next, offers held for them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import DoctorFactory, PatientFactory
from medly.tests.browser import when
from records.models import ClinicDetails
from scheduling import services as scheduling_services
from scheduling.models import AppointmentStatus
from scheduling.tests.factories import AppointmentFactory, SlotFactory, SpecialtyFactory
from scheduling.tests.helpers import days_ahead, starting_in
from waitlist import services as waitlist_services
from waitlist.tests.helpers import booked_slot, waiting

pytestmark = pytest.mark.django_db

HOME_URL = reverse("home")
# The user (sessions live in Redis), upcoming appointments with doctors and profiles, their specialties, open offers.
PATIENT_HOME_QUERIES = 4


@pytest.fixture
def clinic():
    return ClinicDetails.objects.create(
        name="Clínica Ceiba", address="Calle 60 #123\nCentro, Mérida", legal_owner="Ceiba SC", phone="999 123 4567"
    )


@pytest.fixture
def patient(client):
    patient = PatientFactory()
    client.force_login(patient)
    return patient


def appointment_for(patient, *, days=3, hour=10, **doctor_fields):
    doctor = DoctorFactory(**doctor_fields)
    doctor.doctor_profile.specialties.add(SpecialtyFactory(name="Pediatría"))
    slot = SlotFactory(doctor=doctor, starts_at=days_ahead(days, hour))
    return AppointmentFactory(patient=patient, slot=slot, reason="Vacunas")


def test_it_shows_the_next_appointment_with_doctor_specialty_time_place_and_actions(client, patient, clinic, settings):
    later = appointment_for(patient, days=5, first_name="Rodrigo", last_name="Pool")
    soonest = appointment_for(patient, days=2, first_name="Itzel", last_name="Chablé")

    page = client.get(HOME_URL).text

    next_part = page.split('id="next-appointment"')[1].split("</section>")[0]
    for expected in (
        "Itzel Chablé",
        "Pediatría",
        when(soonest.starts_at, "en"),
        "Clínica Ceiba",
        "Calle 60 #123",
        "https://www.google.com/maps/search/?api=1&amp;query=Cl%C3%ADnica+Ceiba%2C+Calle+60+%23123%2C+Centro%2C+M%C3%A9rida",
        'href="tel:9991234567"',
        "Vacunas",
        reverse("scheduling:reschedule", args=[soonest.pk]),
        reverse("scheduling:cancel", args=[soonest.pk]),
    ):
        assert expected in next_part, expected
    assert "Rodrigo Pool" not in next_part
    deadline = when(soonest.starts_at - timedelta(minutes=settings.PATIENT_CHANGE_CUTOFF_MINUTES), "en")
    assert f"You can cancel or move it online until {deadline}." in next_part
    assert f"{when(later.starts_at, 'en')} with Rodrigo Pool" in page


def test_it_offers_booking_the_record_and_prescriptions(client, patient):
    page = client.get(HOME_URL).text

    assert "You have no upcoming appointments." in page
    assert f'<a class="button" href="{reverse("scheduling:directory")}">Book an appointment</a>' in page
    assert f'href="{reverse("records:my_record")}">My record and prescriptions</a>' in page


def test_move_and_cancel_are_hidden_once_past_the_cut_off_and_the_clinic_phone_is_given(
    client, patient, clinic, settings
):
    settings.PATIENT_CHANGE_CUTOFF_MINUTES = 120
    soon = AppointmentFactory(patient=patient, slot=SlotFactory(starts_at=starting_in(minutes=90)))

    page = client.get(HOME_URL).text

    assert reverse("scheduling:reschedule", args=[soon.pk]) not in page
    assert reverse("scheduling:cancel", args=[soon.pk]) not in page
    assert "To change it now, please call the clinic." in page
    assert "You can cancel or move it online until" not in page
    assert "999 123 4567" in page.split('id="next-appointment"')[1]


def test_cancelled_and_past_appointments_are_not_the_next_one(client, patient):
    cancelled = appointment_for(patient, days=1, first_name="Ana", last_name="Cancelada")
    cancelled.status = AppointmentStatus.CANCELLED
    cancelled.live_slot = None
    cancelled.save()
    past = AppointmentFactory(patient=patient, slot=SlotFactory(starts_at=timezone.now() - timedelta(days=1)))

    page = client.get(HOME_URL).text

    assert "You have no upcoming appointments." in page
    assert "Ana Cancelada" not in page
    assert past.doctor.get_full_name() not in page


def test_an_offer_held_for_the_patient_is_shown_with_a_link_to_answer_it(client, patient):
    appointment = booked_slot(hour=10)
    waiting(appointment.doctor, patient=patient)
    scheduling_services.cancel_appointment(appointment_id=appointment.pk, actor=appointment.patient)
    offer = waitlist_services.offer_slot(appointment.slot_id)

    page = client.get(HOME_URL).text

    assert offer.patient == patient
    assert f"is held for you until {when(offer.held_until, 'en', 'TIME_FORMAT')}" in page
    assert reverse("waitlist:mine") in page


@pytest.mark.parametrize("appointments", [1, 4])
def test_it_costs_a_fixed_number_of_queries(client, patient, django_assert_num_queries, appointments):
    for n in range(appointments):
        appointment_for(patient, days=n + 1)

    with django_assert_num_queries(PATIENT_HOME_QUERIES):
        response = client.get(HOME_URL)

    assert response.status_code == 200
