"""GET /appointments/ for patients and reception: the patient's list, reception's clinic day."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import DoctorFactory, PatientFactory, ReceptionFactory
from scheduling.models import AppointmentStatus
from scheduling.tests.factories import AppointmentFactory
from scheduling.tests.helpers import days_ahead, local

pytestmark = pytest.mark.django_db

APPOINTMENTS_URL = reverse("scheduling:appointments")


# --- patients ----------------------------------------------------------------


def test_a_patient_sees_upcoming_and_past_appointments_apart_and_nobody_elses(client):
    patient = PatientFactory()
    upcoming = AppointmentFactory(patient=patient, slot__starts_at=days_ahead(3, 9))
    past = AppointmentFactory(patient=patient, slot__starts_at=days_ahead(-3, 9), status=AppointmentStatus.COMPLETED)
    cancelled = AppointmentFactory(
        patient=patient, slot__starts_at=days_ahead(5, 9), status=AppointmentStatus.CANCELLED, live_slot=None
    )
    AppointmentFactory(slot__starts_at=days_ahead(3, 10))
    client.force_login(patient)

    response = client.get(APPOINTMENTS_URL)

    assert response.status_code == 200
    assert [a.pk for a in response.context["upcoming"]] == [upcoming.pk]
    assert [a.pk for a in response.context["past"]] == [cancelled.pk, past.pk]
    assert "Cancelled" in response.text
    assert upcoming.doctor.get_full_name() in response.text


# The doctor's agenda: test_views_doctor_agenda.py.


# --- reception -----------------------------------------------------------------


@pytest.fixture
def reception(client):
    reception = ReceptionFactory()
    client.force_login(reception)
    return reception


def test_reception_sees_every_doctors_day_on_the_desk(client, reception):
    day = timezone.localdate() + timedelta(days=2)
    first = AppointmentFactory(slot__starts_at=local(day, 9))
    second = AppointmentFactory(slot__starts_at=local(day, 10))
    cancelled = AppointmentFactory(slot__starts_at=local(day, 11), status=AppointmentStatus.CANCELLED, live_slot=None)
    AppointmentFactory(slot__starts_at=local(day + timedelta(days=1), 9))

    response = client.get(APPOINTMENTS_URL, {"day": day.isoformat()}, follow=True)

    assert response.redirect_chain == [(f"{reverse('desk:day')}?date={day.isoformat()}", 302)]
    shown = {a.pk for column in response.context["desk"].columns for a in column.appointments}
    assert shown == {first.pk, second.pk}
    assert response.context["desk"].cancelled == 1
    assert cancelled.patient.get_full_name() not in response.text
    for appointment in (first, second):
        assert appointment.doctor.get_full_name() in response.text
        assert appointment.patient.get_full_name() in response.text


def test_reception_sees_check_in_and_cancel_steps_for_scheduled_appointments(client, reception):
    appointment = AppointmentFactory(slot__starts_at=days_ahead(0, 23, 30))

    response = client.get(APPOINTMENTS_URL, follow=True)

    assert reverse("desk:confirm_check_in", args=[appointment.pk]) in response.text
    assert reverse("desk:confirm_cancel", args=[appointment.pk]) in response.text


@pytest.mark.parametrize("query", ["maria", "MARÍA", "maría lópez", "lopez", "maria.lopez@"])
def test_reception_finds_a_patient_by_name_or_email_ignoring_accents_and_case(client, reception, query):
    maria = PatientFactory(first_name="María", last_name="López", email="maria.lopez@example.test")
    PatientFactory(first_name="Mario", last_name="Gómez")

    response = client.get(reverse("desk:book"), {"q": query})

    assert list(response.context["found"]) == [maria]
    assert f"?patient={maria.pk}" in response.text


def test_the_patient_search_finds_only_active_patients(client, reception):
    DoctorFactory(first_name="María", last_name="Doctora")
    PatientFactory(first_name="María", last_name="Inactiva", is_active=False)

    response = client.get(reverse("desk:book"), {"q": "maria"})

    assert list(response.context["found"]) == []
    assert "No patient matches" in response.text
