"""Booking limits: MAX_FUTURE_APPOINTMENTS per patient, one per doctor per clinic day, no deactivated doctors.

Reception and admins booking for a patient may exceed the first two.
"""

import os
import subprocess
import sys
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.tests.factories import AdminFactory, DoctorFactory, PatientFactory, ReceptionFactory
from scheduling.exceptions import DoctorUnavailable, OnePerDoctorPerDay, TooManyFutureAppointments
from scheduling.models import Appointment, AppointmentStatus, Slot, SlotStatus
from scheduling.services import book_slot, reschedule_appointment
from scheduling.tests.factories import AppointmentFactory, SlotFactory
from scheduling.tests.helpers import days_ahead, local

pytestmark = pytest.mark.django_db


def holding(patient, count, *, first_day=2):
    return [AppointmentFactory(patient=patient, slot__starts_at=days_ahead(first_day + n, 9)) for n in range(count)]


def slot_status(slot):
    return Slot.objects.get(pk=slot.pk).status


# --- at most MAX_FUTURE_APPOINTMENTS ----------------------------------------------


def test_a_patient_holding_four_future_appointments_cannot_book_a_fifth():
    patient = PatientFactory()
    holding(patient, 4)
    fifth = SlotFactory(starts_at=days_ahead(10, 9))

    with pytest.raises(TooManyFutureAppointments) as refusal:
        book_slot(patient=patient, slot_id=fifth.pk)

    assert refusal.value.message == (
        "You already have 4 upcoming appointments, the most one patient can book online. "
        "Please cancel one first, or call the clinic."
    )
    assert slot_status(fifth) == SlotStatus.OPEN
    assert Appointment.objects.filter(patient=patient).count() == 4


def test_the_fourth_is_still_allowed():
    patient = PatientFactory()
    holding(patient, 3)

    book_slot(patient=patient, slot_id=SlotFactory(starts_at=days_ahead(10, 9)).pk)

    assert Appointment.objects.filter(patient=patient, status=AppointmentStatus.SCHEDULED).count() == 4


def test_past_cancelled_and_no_show_appointments_do_not_count():
    patient = PatientFactory()
    holding(patient, 3)
    AppointmentFactory(patient=patient, slot__starts_at=days_ahead(-2, 9), status=AppointmentStatus.COMPLETED)
    AppointmentFactory(patient=patient, slot__starts_at=days_ahead(-1, 9))  # started, not closed yet
    AppointmentFactory(
        patient=patient, slot__starts_at=days_ahead(8, 9), status=AppointmentStatus.CANCELLED, live_slot=None
    )

    book_slot(patient=patient, slot_id=SlotFactory(starts_at=days_ahead(10, 9)).pk)


def test_the_limit_is_a_setting(settings):
    settings.MAX_FUTURE_APPOINTMENTS = 2
    patient = PatientFactory()
    holding(patient, 2)

    with pytest.raises(TooManyFutureAppointments) as refusal:
        book_slot(patient=patient, slot_id=SlotFactory(starts_at=days_ahead(10, 9)).pk)

    assert "You already have 2 upcoming appointments" in refusal.value.message


@pytest.mark.parametrize("staff", [ReceptionFactory, AdminFactory])
def test_reception_and_admins_may_book_beyond_the_limit(staff):
    patient = PatientFactory()
    holding(patient, 4)

    appointment = book_slot(patient=patient, slot_id=SlotFactory(starts_at=days_ahead(10, 9)).pk, booked_by=staff())

    assert appointment.status == AppointmentStatus.SCHEDULED
    assert Appointment.objects.filter(patient=patient).count() == 5


def test_the_booking_page_answers_409_with_the_reason(client):
    patient = PatientFactory()
    holding(patient, 4)
    slot = SlotFactory(starts_at=days_ahead(10, 9))
    client.force_login(patient)

    response = client.post(reverse("scheduling:book", args=[slot.pk]))

    assert response.status_code == 409
    assert "You already have 4 upcoming appointments" in response.text
    assert slot_status(slot) == SlotStatus.OPEN


# --- one per doctor per clinic day ---------------------------------------------------


def test_one_appointment_per_doctor_per_day():
    patient = PatientFactory()
    first = AppointmentFactory(patient=patient, slot__starts_at=days_ahead(3, 9))
    same_day = SlotFactory(doctor=first.doctor, starts_at=days_ahead(3, 16))

    with pytest.raises(OnePerDoctorPerDay) as refusal:
        book_slot(patient=patient, slot_id=same_day.pk)

    assert refusal.value.message.startswith("You already have an appointment with this doctor on that day.")
    assert slot_status(same_day) == SlotStatus.OPEN


def test_the_day_is_the_clinics_not_utcs():
    # 17:00 and 19:00 in Mérida (UTC-6) fall on two different UTC dates.
    patient = PatientFactory()
    day = days_ahead(3).date()
    first = AppointmentFactory(patient=patient, slot__starts_at=local(day, 17))
    evening = SlotFactory(doctor=first.doctor, starts_at=local(day, 19))
    assert first.starts_at.astimezone(UTC).date() != evening.starts_at.astimezone(UTC).date()

    with pytest.raises(OnePerDoctorPerDay):
        book_slot(patient=patient, slot_id=evening.pk)


def test_another_doctor_the_same_day_or_the_same_doctor_the_next_day_is_fine():
    patient = PatientFactory()
    first = AppointmentFactory(patient=patient, slot__starts_at=days_ahead(3, 9))

    book_slot(patient=patient, slot_id=SlotFactory(starts_at=days_ahead(3, 12)).pk)
    book_slot(patient=patient, slot_id=SlotFactory(doctor=first.doctor, starts_at=days_ahead(4, 9)).pk)

    assert Appointment.objects.filter(patient=patient).count() == 3


def test_a_cancelled_appointment_with_the_doctor_does_not_block_the_day():
    patient = PatientFactory()
    cancelled = AppointmentFactory(
        patient=patient, slot__starts_at=days_ahead(3, 9), status=AppointmentStatus.CANCELLED, live_slot=None
    )

    book_slot(patient=patient, slot_id=SlotFactory(doctor=cancelled.doctor, starts_at=days_ahead(3, 12)).pk)


def test_reception_may_book_a_second_visit_with_the_same_doctor_that_day():
    patient = PatientFactory()
    first = AppointmentFactory(patient=patient, slot__starts_at=days_ahead(3, 9))

    book_slot(
        patient=patient,
        slot_id=SlotFactory(doctor=first.doctor, starts_at=days_ahead(3, 16)).pk,
        booked_by=ReceptionFactory(),
    )

    assert Appointment.objects.filter(patient=patient, doctor=first.doctor).count() == 2


def test_a_patient_cannot_move_onto_a_day_they_already_see_that_doctor():
    patient = PatientFactory()
    first = AppointmentFactory(patient=patient, slot__starts_at=days_ahead(3, 9))
    second = AppointmentFactory(patient=patient, slot__doctor=first.doctor, slot__starts_at=days_ahead(5, 9))
    target = SlotFactory(doctor=first.doctor, starts_at=days_ahead(3, 15))

    with pytest.raises(OnePerDoctorPerDay):
        reschedule_appointment(appointment_id=second.pk, new_slot_id=target.pk, actor=patient)

    assert Appointment.objects.get(pk=second.pk).slot_id == second.slot_id


def test_moving_within_the_same_day_is_not_counted_against_itself():
    appointment = AppointmentFactory(slot__starts_at=days_ahead(3, 9))
    target = SlotFactory(doctor=appointment.doctor, starts_at=days_ahead(3, 15))

    reschedule_appointment(appointment_id=appointment.pk, new_slot_id=target.pk, actor=appointment.patient)

    assert Appointment.objects.get(pk=appointment.pk).slot_id == target.pk


# --- deactivated doctors ---------------------------------------------------------------


@pytest.fixture
def retired():
    doctor = DoctorFactory(first_name="Retirado", last_name="Inactivo")
    slot = SlotFactory(doctor=doctor, starts_at=days_ahead(3, 9))
    doctor.is_active = False
    doctor.save(update_fields=["is_active"])
    return slot


@pytest.mark.parametrize("booked_by", [None, ReceptionFactory, AdminFactory])
def test_a_deactivated_doctors_slot_cannot_be_booked_by_anyone(retired, booked_by):
    patient = PatientFactory()

    with pytest.raises(DoctorUnavailable):
        book_slot(patient=patient, slot_id=retired.pk, booked_by=booked_by() if booked_by else None)

    assert slot_status(retired) == SlotStatus.OPEN
    assert not Appointment.objects.exists()


def test_an_appointment_cannot_be_moved_onto_a_deactivated_doctors_slot(retired):
    appointment = AppointmentFactory(slot__doctor=retired.doctor, slot__starts_at=days_ahead(2, 9))

    with pytest.raises(DoctorUnavailable):
        reschedule_appointment(appointment_id=appointment.pk, new_slot_id=retired.pk, actor=ReceptionFactory())

    assert slot_status(retired) == SlotStatus.OPEN


def test_booking_a_deactivated_doctors_slot_answers_409(client, retired):
    client.force_login(PatientFactory())

    response = client.post(reverse("scheduling:book", args=[retired.pk]))

    assert response.status_code == 409
    assert "This doctor is not taking appointments at the moment." in response.text


def test_a_deactivated_doctor_is_not_in_the_directory_and_their_page_is_gone(client, retired):
    client.force_login(ReceptionFactory())
    patient = PatientFactory()

    directory = client.get(reverse("scheduling:directory"), {"for_patient": patient.pk})
    page = client.get(reverse("scheduling:doctor", args=[retired.doctor_id]), {"patient": patient.pk})

    assert "Retirado" not in directory.text
    assert page.status_code == 404


def test_the_move_page_offers_no_slot_of_a_deactivated_doctor(client, retired):
    appointment = AppointmentFactory(slot__doctor=retired.doctor, slot__starts_at=days_ahead(2, 9))
    client.force_login(appointment.patient)

    response = client.get(reverse("scheduling:reschedule", args=[appointment.pk]))

    assert response.status_code == 200
    assert response.context["days"] == []
    assert f'value="{retired.pk}"' not in response.text


def test_a_patient_still_sees_a_cut_off_day_as_a_refusal_not_an_error(client):
    patient = PatientFactory()
    first = AppointmentFactory(patient=patient, slot__starts_at=days_ahead(3, 9))
    client.force_login(patient)

    response = client.post(
        reverse(
            "scheduling:book",
            args=[SlotFactory(doctor=first.doctor, starts_at=days_ahead(3, 10) + timedelta(hours=2)).pk],
        )
    )

    assert response.status_code == 409
    assert "You already have an appointment with this doctor on that day." in response.text


# --- the setting -------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def max_future_appointments_with(value):
    env = {key: val for key, val in os.environ.items() if key != "MAX_FUTURE_APPOINTMENTS"}
    if value is not None:
        env["MAX_FUTURE_APPOINTMENTS"] = value
    code = "from django.conf import settings; print(settings.MAX_FUTURE_APPOINTMENTS)"
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(("value", "expected"), [(None, "4"), ("7", "7")])
def test_max_future_appointments_comes_from_the_environment(value, expected):
    result = max_future_appointments_with(value)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("0", "MAX_FUTURE_APPOINTMENTS must be at least 1"),
        ("many", "MAX_FUTURE_APPOINTMENTS must be an integer"),
    ],
)
def test_a_bad_max_future_appointments_refuses_to_start(value, complaint):
    result = max_future_appointments_with(value)

    assert result.returncode != 0
    assert complaint in result.stderr
