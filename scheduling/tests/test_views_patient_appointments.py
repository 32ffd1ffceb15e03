"""The patient's appointments page: upcoming ones with what may still be done, past ones paged below."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import DoctorFactory, PatientFactory
from medly.tests.browser import when
from records.models import ClinicDetails
from scheduling.models import AppointmentStatus
from scheduling.tests.factories import AppointmentFactory, SlotFactory
from scheduling.tests.helpers import days_ahead, starting_in

pytestmark = pytest.mark.django_db

APPOINTMENTS_URL = reverse("scheduling:appointments")
# The user (sessions live in Redis), the upcoming page's count and rows, the past page's count and rows.
PATIENT_APPOINTMENTS_QUERIES = 5


@pytest.fixture
def patient(client):
    patient = PatientFactory()
    client.force_login(patient)
    return patient


def sections(page):
    upcoming, past = page.split('<h2 id="past">')
    return upcoming, past


def past_appointment(patient, *, days_ago, **fields):
    doctor = DoctorFactory(**fields)
    slot = SlotFactory(doctor=doctor, starts_at=timezone.now() - timedelta(days=days_ago))
    return AppointmentFactory(patient=patient, slot=slot, status=AppointmentStatus.COMPLETED, live_slot=None)


def test_upcoming_lists_only_what_is_still_to_come(client, patient):
    coming = AppointmentFactory(patient=patient, slot=SlotFactory(doctor=DoctorFactory(last_name="Próximo")))
    past_appointment(patient, days_ago=3, last_name="Pasado")
    cancelled = AppointmentFactory(patient=patient, slot=SlotFactory(doctor=DoctorFactory(last_name="Cancelado")))
    cancelled.status, cancelled.live_slot = AppointmentStatus.CANCELLED, None
    cancelled.save()

    upcoming, past = sections(client.get(APPOINTMENTS_URL).text)

    assert "Próximo" in upcoming and when(coming.starts_at, "en") in upcoming
    assert "Pasado" not in upcoming and "Cancelado" not in upcoming
    assert "Pasado" in past and "Cancelado" in past


def test_past_appointments_are_paged_latest_first(client, patient):
    for days_ago in range(1, 13):
        past_appointment(patient, days_ago=days_ago, last_name=f"Doctor{days_ago:02d}")

    first = sections(client.get(APPOINTMENTS_URL).text)[1]
    second = sections(client.get(APPOINTMENTS_URL, {"page": 2}).text)[1]

    assert first.index("Doctor01") < first.index("Doctor10")
    assert "Doctor11" not in first and "Page 1 of 2" in first
    assert "Doctor11" in second and "Doctor12" in second and "Doctor01" not in second


def test_upcoming_appointments_are_paged_soonest_first_beside_the_past_page(client, patient):
    # Reception may book a patient far past the patient's own limit: the page still shows ten at a time.
    for days in range(1, 13):
        AppointmentFactory(
            patient=patient,
            slot__doctor=DoctorFactory(last_name=f"Doctor{days:02d}"),
            slot__starts_at=days_ahead(days, 10),
        )
    past_appointment(patient, days_ago=3, last_name="Pasado")

    first = sections(client.get(APPOINTMENTS_URL).text)[0]
    second = sections(client.get(APPOINTMENTS_URL, {"upcoming": 2, "page": 1}).text)[0]

    assert first.index("Doctor01") < first.index("Doctor10") and "Doctor11" not in first
    assert "upcoming=2" in first and "Page 1 of 2" in first
    assert "Doctor11" in second and "Doctor12" in second and "Doctor01" not in second
    assert "page=1&amp;upcoming=1" in second


def test_a_page_number_past_the_end_shows_the_last_page(client, patient):
    past_appointment(patient, days_ago=1, last_name="Único")

    response = client.get(APPOINTMENTS_URL, {"page": "999"})

    assert response.status_code == 200
    assert "Único" in sections(response.text)[1]


def test_move_and_cancel_show_only_while_the_patient_may_use_them(client, patient, settings):
    settings.PATIENT_CHANGE_CUTOFF_MINUTES = 120
    ClinicDetails(name="Clínica", address="", legal_owner="X", phone="999 123 4567").save()
    open_to_change = AppointmentFactory(patient=patient, slot=SlotFactory(starts_at=days_ahead(3, 10)))
    too_late = AppointmentFactory(patient=patient, slot=SlotFactory(starts_at=starting_in(minutes=60)))

    page = client.get(APPOINTMENTS_URL).text

    assert reverse("scheduling:reschedule", args=[open_to_change.pk]) in page
    assert reverse("scheduling:cancel", args=[open_to_change.pk]) in page
    assert reverse("scheduling:reschedule", args=[too_late.pk]) not in page
    assert reverse("scheduling:cancel", args=[too_late.pk]) not in page
    assert 'To change it now, please call the clinic. <a href="tel:9991234567">999 123 4567</a>' in page


def test_the_reason_given_when_booking_is_shown(client, patient):
    AppointmentFactory(patient=patient, reason="Dolor de rodilla")

    assert "Dolor de rodilla" in client.get(APPOINTMENTS_URL).text


@pytest.mark.parametrize("count", [1, 12])
def test_it_costs_a_fixed_number_of_queries(client, patient, django_assert_num_queries, count):
    for n in range(count):
        AppointmentFactory(patient=patient, slot=SlotFactory(starts_at=days_ahead(n + 2, 10)))
        past_appointment(patient, days_ago=n + 1)

    with django_assert_num_queries(PATIENT_APPOINTMENTS_QUERIES):
        response = client.get(APPOINTMENTS_URL)

    assert response.status_code == 200
