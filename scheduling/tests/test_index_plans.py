"""Every free-slot read uses (doctor, status, starts_at); appointment reads by status or day use theirs (EXPLAIN)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role, User
from accounts.tests.factories import DoctorFactory
from desk import queries as desk_queries
from medly.tests.query_plans import captured_plans
from reminders.services import plan_due_reminders
from scheduling import agenda, queries
from scheduling.models import Appointment, AppointmentStatus, Slot, SlotStatus
from waitlist import services as waitlist_services
from waitlist.models import WaitlistEntry

pytestmark = pytest.mark.django_db

SLOT_INDEX = "slot_doctor_status_start"


@pytest.fixture
def busy_clinic():
    """Six doctors with 300 slots each (a third booked) and 400 appointments of 50 patients over a month:
    enough rows that the optimizer prefers an index to reading a table."""
    doctors = [DoctorFactory() for _ in range(6)]
    patients = User.objects.bulk_create(
        User(email=f"plan{n}@clinic.test", first_name="Paciente", last_name=f"Plan {n}", role=Role.PATIENT)
        for n in range(50)
    )
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    Slot.objects.bulk_create(
        Slot(
            doctor=doctor,
            starts_at=now + timedelta(minutes=30 * n - 3000),
            ends_at=now + timedelta(minutes=30 * n - 2970),
            status=SlotStatus.BOOKED if n % 3 else SlotStatus.OPEN,
        )
        for doctor in doctors
        for n in range(300)
    )
    statuses = list(AppointmentStatus)
    Appointment.objects.bulk_create(
        Appointment(
            patient=patients[n % 50],
            doctor=doctors[n % 6],
            booked_by=patients[n % 50],
            starts_at=now + timedelta(hours=2 * n - 400),
            ends_at=now + timedelta(hours=2 * n - 400, minutes=30),
            status=statuses[n % len(statuses)],
        )
        for n in range(400)
    )
    return doctors[0]


def keys_reading(table, run):
    with CaptureQueriesContext(connection) as captured:
        run()
    rows = captured_plans(captured, table)
    assert rows, f"no query read {table}"
    return {row["key"] for row in rows}, rows


def test_the_doctor_pages_open_slots_use_the_index(busy_clinic):
    keys, rows = keys_reading("scheduling_slot", lambda: queries.open_slots_by_day(busy_clinic))
    assert keys == {SLOT_INDEX}, rows


def test_the_directorys_next_free_slot_uses_the_index(busy_clinic):
    keys, rows = keys_reading("scheduling_slot", lambda: list(queries.directory()))
    assert SLOT_INDEX in keys, rows


def test_the_agendas_free_times_use_the_index(busy_clinic):
    keys, rows = keys_reading(
        "scheduling_slot", lambda: agenda.doctor_agenda(busy_clinic, first_day=timezone.localdate(), days=7)
    )
    assert SLOT_INDEX in keys, rows


def test_the_availability_page_reads_the_doctors_slots_by_start(busy_clinic):
    # Open and booked slots alike: the (doctor, starts_at) unique index serves it.
    keys, rows = keys_reading("scheduling_slot", lambda: agenda.availability_days(busy_clinic))
    assert keys <= {"slot_unique_doctor_start", SLOT_INDEX} and None not in keys, rows


def test_the_desks_free_times_use_the_index(busy_clinic):
    tomorrow = timezone.localdate() + timedelta(days=1)
    keys, rows = keys_reading("scheduling_slot", lambda: desk_queries.free_slots(busy_clinic.pk, tomorrow))
    assert keys == {SLOT_INDEX}, rows
    keys, rows = keys_reading("scheduling_slot", lambda: desk_queries.next_free_day(busy_clinic.pk, tomorrow))
    assert keys == {SLOT_INDEX}, rows


def test_the_waitlists_free_slots_use_the_index(busy_clinic, monkeypatch):
    patient = User.objects.filter(role=Role.PATIENT).first()
    today = timezone.localdate()
    WaitlistEntry.objects.create(
        patient=patient, doctor=busy_clinic, from_date=today, to_date=today + timedelta(days=5)
    )
    monkeypatch.setattr(waitlist_services, "offer_slot", lambda slot_id: None)

    keys, rows = keys_reading("scheduling_slot", lambda: waitlist_services.offer_doctor_slots(busy_clinic.pk))
    assert keys == {SLOT_INDEX}, rows


def test_due_reminders_are_found_by_status_and_start(busy_clinic):
    keys, rows = keys_reading("scheduling_appointment", lambda: plan_due_reminders(now=timezone.now()))
    assert keys & {"appointment_status_start", "appointment_start"}, rows


def test_the_desk_day_reads_one_range_of_starts(busy_clinic):
    keys, rows = keys_reading("scheduling_appointment", lambda: list(queries.clinic_day(timezone.localdate())))
    assert keys == {"appointment_start"}, rows


def test_closing_appointments_are_found_by_status(busy_clinic):
    keys, rows = keys_reading(
        "scheduling_appointment",
        lambda: list(Appointment.objects.filter(status=AppointmentStatus.CLOSING).values_list("pk", flat=True)),
    )
    assert keys == {"appointment_status_start"}, rows
