"""Booking and cancelling through the service functions."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import AdminFactory, DoctorFactory, PatientFactory, ReceptionFactory
from scheduling.exceptions import (
    AlreadyBookedByYou,
    CancellationTooLate,
    InvalidTransition,
    NotAllowed,
    OverlappingAppointment,
    SlotInPast,
    SlotUnavailable,
)
from scheduling.models import Appointment, AppointmentStatus, Slot, SlotStatus
from scheduling.notifications import send_appointment_mail
from scheduling.services import book_slot, cancel_appointment
from scheduling.tests.factories import AppointmentFactory, SlotFactory
from scheduling.tests.helpers import days_ahead, starting_in

pytestmark = pytest.mark.django_db


def slot_status(slot):
    return Slot.objects.get(pk=slot.pk).status


# --- booking ---------------------------------------------------------------


def test_a_patient_books_an_open_future_slot():
    slot = SlotFactory()
    patient = PatientFactory()

    appointment = book_slot(patient=patient, slot_id=slot.pk)

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED
    assert (appointment.patient, appointment.doctor, appointment.booked_by) == (patient, slot.doctor, patient)
    assert (appointment.starts_at, appointment.ends_at) == (slot.starts_at, slot.ends_at)
    assert appointment.slot_id == appointment.live_slot_id == slot.pk
    assert slot_status(slot) == SlotStatus.BOOKED


def test_a_slot_that_has_started_cannot_be_booked():
    slot = SlotFactory(starts_at=starting_in(minutes=-10))

    with pytest.raises(SlotInPast):
        book_slot(patient=PatientFactory(), slot_id=slot.pk)

    assert slot_status(slot) == SlotStatus.OPEN
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("factory", [DoctorFactory, ReceptionFactory, AdminFactory])
def test_only_patients_can_hold_an_appointment(factory):
    slot = SlotFactory()

    with pytest.raises(NotAllowed):
        book_slot(patient=factory(), slot_id=slot.pk)

    assert slot_status(slot) == SlotStatus.OPEN


def test_an_inactive_patient_cannot_book():
    slot = SlotFactory()

    with pytest.raises(NotAllowed):
        book_slot(patient=PatientFactory(is_active=False), slot_id=slot.pk)

    assert slot_status(slot) == SlotStatus.OPEN


def test_a_patient_cannot_hold_overlapping_appointments_with_two_doctors():
    patient = PatientFactory()
    AppointmentFactory(patient=patient, slot__starts_at=days_ahead(2, 10))
    overlapping = SlotFactory(starts_at=days_ahead(2, 10, 15))

    with pytest.raises(OverlappingAppointment):
        book_slot(patient=patient, slot_id=overlapping.pk)

    assert slot_status(overlapping) == SlotStatus.OPEN
    assert Appointment.objects.filter(patient=patient).count() == 1


@pytest.mark.parametrize("hours", [2, 11])
def test_a_long_appointment_that_began_hours_before_the_slot_still_overlaps_it(hours):
    # The overlap check reads only appointments starting less than LONGEST_APPOINTMENT before the slot.
    patient = PatientFactory()
    starts_at = days_ahead(3, 20) - timedelta(hours=hours)
    AppointmentFactory(
        patient=patient, slot__starts_at=starts_at, slot__ends_at=starts_at + timedelta(hours=hours, minutes=30)
    )
    inside = SlotFactory(starts_at=days_ahead(3, 20))

    with pytest.raises(OverlappingAppointment):
        book_slot(patient=patient, slot_id=inside.pk)


def test_back_to_back_appointments_do_not_overlap():
    patient = PatientFactory()
    AppointmentFactory(patient=patient, slot__starts_at=days_ahead(2, 10))

    book_slot(patient=patient, slot_id=SlotFactory(starts_at=days_ahead(2, 10, 30)).pk)

    assert Appointment.objects.filter(patient=patient).count() == 2


def test_a_cancelled_appointment_does_not_block_a_booking_at_the_same_time():
    patient = PatientFactory()
    AppointmentFactory(
        patient=patient, slot__starts_at=days_ahead(2, 10), status=AppointmentStatus.CANCELLED, live_slot=None
    )

    book_slot(patient=patient, slot_id=SlotFactory(starts_at=days_ahead(2, 10)).pk)

    assert Appointment.objects.filter(patient=patient, status=AppointmentStatus.SCHEDULED).count() == 1


def test_a_slot_someone_else_holds_is_unavailable():
    taken = AppointmentFactory()
    patient = PatientFactory()

    with pytest.raises(SlotUnavailable) as refusal:
        book_slot(patient=patient, slot_id=taken.slot_id)

    assert not isinstance(refusal.value, AlreadyBookedByYou)
    assert "just been taken" in refusal.value.message
    assert not Appointment.objects.filter(patient=patient).exists()


def test_a_slot_that_does_not_exist_is_unavailable():
    with pytest.raises(SlotUnavailable):
        book_slot(patient=PatientFactory(), slot_id=987654)


def test_booking_a_slot_you_already_hold_says_so_and_changes_nothing():
    appointment = AppointmentFactory()

    with pytest.raises(AlreadyBookedByYou):
        book_slot(patient=appointment.patient, slot_id=appointment.slot_id)

    assert Appointment.objects.count() == 1


def test_reception_books_on_behalf_of_a_patient():
    reception = ReceptionFactory()
    patient = PatientFactory()

    appointment = book_slot(patient=patient, slot_id=SlotFactory().pk, booked_by=reception)

    assert (appointment.patient, appointment.booked_by) == (patient, reception)


def test_a_doctor_cannot_book_on_behalf_of_a_patient():
    slot = SlotFactory()

    with pytest.raises(NotAllowed):
        book_slot(patient=PatientFactory(), slot_id=slot.pk, booked_by=DoctorFactory())

    assert slot_status(slot) == SlotStatus.OPEN


def test_the_database_refuses_a_second_live_appointment_on_one_slot():
    first = AppointmentFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        AppointmentFactory(slot=first.slot)


def test_booking_queues_the_patients_email_once_the_transaction_commits(django_capture_on_commit_callbacks):
    patient = PatientFactory(email="ana@example.test")
    slot = SlotFactory(doctor=DoctorFactory(first_name="José", last_name="Pérez"), starts_at=days_ahead(3, 11))

    with django_capture_on_commit_callbacks() as callbacks:
        book_slot(patient=patient, slot_id=slot.pk)
        assert DBTaskResult.objects.count() == 0, "nothing is queued before the commit"
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()

    (queued,) = DBTaskResult.objects.all()
    assert queued.task_path == "scheduling.notifications.send_appointment_mail"
    assert queued.args_kwargs["kwargs"]["kind"] == "booked"
    send_appointment_mail.call(**queued.args_kwargs["kwargs"])
    (message,) = mail.outbox
    assert message.to == ["ana@example.test"]
    assert message.subject == "Your Medly appointment is booked"
    assert "José Pérez" in message.body
    assert "11:00" in message.body, "the time is in clinic time"


def test_a_refused_booking_queues_no_email(django_capture_on_commit_callbacks):
    taken = AppointmentFactory()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(SlotUnavailable):
        book_slot(patient=PatientFactory(), slot_id=taken.slot_id)

    assert DBTaskResult.objects.count() == 0


def test_a_booking_that_rolls_back_queues_no_email(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        book_slot(patient=PatientFactory(), slot_id=SlotFactory().pk)
        raise RuntimeError("something after the booking failed")

    assert DBTaskResult.objects.count() == 0
    assert Appointment.objects.count() == 0


# --- cancelling ------------------------------------------------------------


def test_cancelling_reopens_the_slot_and_keeps_the_appointment_in_history():
    appointment = AppointmentFactory()

    cancel_appointment(appointment_id=appointment.pk, actor=appointment.patient)

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.slot_id is not None, "the history still points at the slot"
    assert appointment.live_slot_id is None
    assert appointment.cancelled_by == appointment.patient
    assert appointment.cancelled_at is not None
    assert slot_status(appointment.slot) == SlotStatus.OPEN


def test_a_cancelled_slot_can_be_booked_by_someone_else():
    appointment = AppointmentFactory()
    cancel_appointment(appointment_id=appointment.pk, actor=appointment.patient)

    other = book_slot(patient=PatientFactory(), slot_id=appointment.slot_id)

    assert Appointment.objects.filter(slot_id=appointment.slot_id).count() == 2
    assert other.live_slot_id == appointment.slot_id


def test_cancelling_queues_the_patients_email(django_capture_on_commit_callbacks):
    appointment = AppointmentFactory(patient__email="luis@example.test")

    with django_capture_on_commit_callbacks(execute=True):
        cancel_appointment(appointment_id=appointment.pk, actor=appointment.doctor)

    (queued,) = DBTaskResult.objects.filter(task_path="scheduling.notifications.send_appointment_mail")
    send_appointment_mail.call(**queued.args_kwargs["kwargs"])
    (message,) = mail.outbox
    assert message.to == ["luis@example.test"]
    assert message.subject == "Your Medly appointment was cancelled"


def test_an_appointment_can_be_cancelled_only_once():
    appointment = AppointmentFactory()
    cancel_appointment(appointment_id=appointment.pk, actor=appointment.patient)

    with pytest.raises(InvalidTransition):
        cancel_appointment(appointment_id=appointment.pk, actor=appointment.doctor)


@pytest.mark.parametrize("stranger", [PatientFactory, DoctorFactory])
def test_another_patient_or_doctor_cannot_cancel(stranger):
    appointment = AppointmentFactory()

    with pytest.raises(NotAllowed):
        cancel_appointment(appointment_id=appointment.pk, actor=stranger())

    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.SCHEDULED


def test_a_patient_cannot_cancel_within_the_cutoff():
    appointment = AppointmentFactory(slot__starts_at=starting_in(hours=1))

    with pytest.raises(CancellationTooLate) as refusal:
        cancel_appointment(appointment_id=appointment.pk, actor=appointment.patient)

    assert "until 2 hours before" in refusal.value.message
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED
    assert slot_status(appointment.slot) == SlotStatus.BOOKED


def test_a_patient_can_cancel_before_the_cutoff():
    appointment = AppointmentFactory(slot__starts_at=starting_in(hours=2, minutes=5))

    cancel_appointment(appointment_id=appointment.pk, actor=appointment.patient)

    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.CANCELLED


@pytest.mark.parametrize("who", ["doctor", "reception", "admin"])
def test_the_doctor_reception_and_admins_can_cancel_within_the_cutoff(who):
    appointment = AppointmentFactory(slot__starts_at=starting_in(hours=1))
    actor = {"doctor": appointment.doctor, "reception": ReceptionFactory(), "admin": AdminFactory()}[who]

    cancel_appointment(appointment_id=appointment.pk, actor=actor)

    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.CANCELLED


@pytest.mark.parametrize(("cutoff_minutes", "starts_in_minutes", "allowed"), [(30, 60, True), (240, 180, False)])
def test_the_patient_cutoff_is_configurable(settings, cutoff_minutes, starts_in_minutes, allowed):
    settings.PATIENT_CHANGE_CUTOFF_MINUTES = cutoff_minutes
    appointment = AppointmentFactory(slot__starts_at=starting_in(minutes=starts_in_minutes))

    if allowed:
        cancel_appointment(appointment_id=appointment.pk, actor=appointment.patient)
    else:
        with pytest.raises(CancellationTooLate):
            cancel_appointment(appointment_id=appointment.pk, actor=appointment.patient)

    cancelled = Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.CANCELLED
    assert cancelled is allowed
