"""The booking POST does only what it must: its queries are pinned, whatever the patient's history."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import DoctorFactory, PatientFactory
from medly.clinic import clinic_details
from scheduling.models import Appointment, AppointmentStatus
from scheduling.tests.factories import AppointmentFactory, SlotFactory
from scheduling.tests.helpers import days_ahead

pytestmark = pytest.mark.django_db

APPOINTMENTS_URL = reverse("scheduling:appointments")
# The session's user; in the transaction (a savepoint inside the test's): the patient's lock, the slot with its
# doctor and profile, the patient's appointments around it counted in one query, the claim, the waitlist hold,
# the appointment; after commit: the confirmation mail's task. The clinic's details come from the cache.
BOOKING_QUERIES = 10


@pytest.fixture
def patient(client):
    patient = PatientFactory()
    client.force_login(patient)
    return patient


def give_history(patient, visits):
    """``visits`` past completed appointments and two upcoming ones, with other doctors."""
    for n in range(visits):
        AppointmentFactory(
            patient=patient,
            status=AppointmentStatus.COMPLETED,
            slot__starts_at=timezone.now() - timedelta(days=n + 1),
        )
    for n in range(2):
        AppointmentFactory(patient=patient, slot__starts_at=days_ahead(10 + n, 9))


@pytest.mark.parametrize("visits", [0, 30])
def test_booking_costs_a_fixed_number_of_queries_whatever_the_history(
    client, patient, visits, django_assert_num_queries, django_capture_on_commit_callbacks
):
    give_history(patient, visits)
    slot = SlotFactory(doctor=DoctorFactory(), starts_at=days_ahead(3, 9))
    clinic_details()  # cached, as on every page

    with django_assert_num_queries(BOOKING_QUERIES), django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("scheduling:book", args=[slot.pk]))

    assert response.status_code == 302
    assert response["Location"] == APPOINTMENTS_URL
    assert Appointment.objects.filter(live_slot=slot, patient=patient).exists()


def test_the_checks_read_only_the_patients_appointments_from_the_slots_day_on(client, patient):
    give_history(patient, 5)
    slot = SlotFactory(starts_at=days_ahead(3, 9))

    with CaptureQueriesContext(connection) as captured:
        client.post(reverse("scheduling:book", args=[slot.pk]))

    sql = [q["sql"].replace("`", "").replace('"', "") for q in captured.captured_queries]
    checks = [query for query in sql if "FROM scheduling_appointment" in query]
    assert len(checks) == 1, checks
    assert "scheduling_appointment.patient_id =" in checks[0]
    assert "scheduling_appointment.starts_at >=" in checks[0], "the read of the patient's history is bounded"
