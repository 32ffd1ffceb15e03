"""Rescheduling, no-shows and check-in through the service functions."""

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from accounts.tests.factories import AdminFactory, DoctorFactory, PatientFactory, ReceptionFactory
from scheduling.exceptions import (
    CancellationTooLate,
    InvalidTransition,
    NotAllowed,
    OverlappingAppointment,
    SlotInPast,
    SlotUnavailable,
)
from scheduling.models import Appointment, AppointmentStatus, Slot, SlotStatus
from scheduling.notifications import send_appointment_mail
from scheduling.services import check_in, mark_no_show, reschedule_appointment
from scheduling.tests.factories import AppointmentFactory, SlotFactory
from scheduling.tests.helpers import days_ahead, starting_in

pytestmark = pytest.mark.django_db


def state(appointment):
    """Everything a refused change must leave exactly as it was."""
    fresh = Appointment.objects.get(pk=appointment.pk)
    slots = dict(Slot.objects.values_list("pk", "status"))
    return fresh.status, fresh.slot_id, fresh.live_slot_id, fresh.starts_at, fresh.ends_at, slots


# --- rescheduling --------------------------------------------------------------


def test_moving_an_appointment_reopens_the_old_slot_and_books_the_new_one(django_capture_on_commit_callbacks):
    appointment = AppointmentFactory(slot__starts_at=days_ahead(2, 9))
    old_slot = appointment.slot
    new_slot = SlotFactory(doctor=appointment.doctor, starts_at=days_ahead(3, 12))

    with django_capture_on_commit_callbacks(execute=True):
        reschedule_appointment(appointment_id=appointment.pk, new_slot_id=new_slot.pk, actor=appointment.patient)

    appointment.refresh_from_db()
    assert appointment.slot_id == appointment.live_slot_id == new_slot.pk
    assert (appointment.starts_at, appointment.ends_at) == (new_slot.starts_at, new_slot.ends_at)
    assert appointment.status == AppointmentStatus.SCHEDULED
    assert Slot.objects.get(pk=old_slot.pk).status == SlotStatus.OPEN
    assert Slot.objects.get(pk=new_slot.pk).status == SlotStatus.BOOKED
    # The freed slot also goes to the waitlist: only the mail is checked here.
    (queued,) = DBTaskResult.objects.filter(task_path="scheduling.notifications.send_appointment_mail")
    send_appointment_mail.call(**queued.args_kwargs["kwargs"])
    (message,) = mail.outbox
    assert message.subject == "Your Medly appointment was moved"


@pytest.mark.parametrize("factory", [ReceptionFactory, AdminFactory])
def test_reception_and_admins_can_move_an_appointment(factory):
    appointment = AppointmentFactory()
    new_slot = SlotFactory(doctor=appointment.doctor)

    reschedule_appointment(appointment_id=appointment.pk, new_slot_id=new_slot.pk, actor=factory())

    assert Appointment.objects.get(pk=appointment.pk).slot_id == new_slot.pk


def test_a_slot_of_another_doctor_is_refused_and_nothing_changes():
    appointment = AppointmentFactory()
    elsewhere = SlotFactory()
    before = state(appointment)

    with pytest.raises(SlotUnavailable):
        reschedule_appointment(appointment_id=appointment.pk, new_slot_id=elsewhere.pk, actor=appointment.patient)

    assert state(appointment) == before


def test_a_taken_slot_is_refused_and_nothing_changes():
    appointment = AppointmentFactory()
    taken = AppointmentFactory(slot__doctor=appointment.doctor).slot
    before = state(appointment)

    with pytest.raises(SlotUnavailable):
        reschedule_appointment(appointment_id=appointment.pk, new_slot_id=taken.pk, actor=appointment.patient)

    assert state(appointment) == before
    assert Appointment.objects.filter(live_slot=taken).count() == 1


def test_a_slot_that_has_started_is_refused_and_nothing_changes():
    appointment = AppointmentFactory()
    started = SlotFactory(doctor=appointment.doctor, starts_at=starting_in(minutes=-5))
    before = state(appointment)

    with pytest.raises(SlotInPast):
        reschedule_appointment(appointment_id=appointment.pk, new_slot_id=started.pk, actor=ReceptionFactory())

    assert state(appointment) == before


def test_moving_onto_the_same_slot_is_refused():
    appointment = AppointmentFactory()

    with pytest.raises(SlotUnavailable):
        reschedule_appointment(
            appointment_id=appointment.pk, new_slot_id=appointment.slot_id, actor=appointment.patient
        )


def test_a_move_that_would_overlap_the_patients_other_appointment_is_refused():
    patient = PatientFactory()
    appointment = AppointmentFactory(patient=patient, slot__starts_at=days_ahead(2, 9))
    AppointmentFactory(patient=patient, slot__starts_at=days_ahead(4, 10))
    clashing = SlotFactory(doctor=appointment.doctor, starts_at=days_ahead(4, 10, 15))
    before = state(appointment)

    with pytest.raises(OverlappingAppointment):
        reschedule_appointment(appointment_id=appointment.pk, new_slot_id=clashing.pk, actor=patient)

    assert state(appointment) == before


def test_moving_to_a_slot_that_overlaps_only_the_appointment_itself_is_fine():
    appointment = AppointmentFactory(slot__starts_at=days_ahead(2, 9))
    later_that_hour = SlotFactory(doctor=appointment.doctor, starts_at=days_ahead(2, 9, 15))

    reschedule_appointment(appointment_id=appointment.pk, new_slot_id=later_that_hour.pk, actor=appointment.patient)

    assert Appointment.objects.get(pk=appointment.pk).slot_id == later_that_hour.pk


def test_doctors_do_not_move_appointments():
    appointment = AppointmentFactory()
    new_slot = SlotFactory(doctor=appointment.doctor)
    before = state(appointment)

    with pytest.raises(NotAllowed):
        reschedule_appointment(appointment_id=appointment.pk, new_slot_id=new_slot.pk, actor=appointment.doctor)

    assert state(appointment) == before


def test_another_patient_cannot_move_an_appointment():
    appointment = AppointmentFactory()
    new_slot = SlotFactory(doctor=appointment.doctor)

    with pytest.raises(NotAllowed):
        reschedule_appointment(appointment_id=appointment.pk, new_slot_id=new_slot.pk, actor=PatientFactory())


def test_a_patient_cannot_move_an_appointment_within_the_cutoff():
    appointment = AppointmentFactory(slot__starts_at=starting_in(hours=1))
    new_slot = SlotFactory(doctor=appointment.doctor)
    before = state(appointment)

    with pytest.raises(CancellationTooLate) as refusal:
        reschedule_appointment(appointment_id=appointment.pk, new_slot_id=new_slot.pk, actor=appointment.patient)

    assert "moved online until 2 hours before" in refusal.value.message
    assert state(appointment) == before


def test_a_cancelled_appointment_cannot_be_moved():
    appointment = AppointmentFactory(status=AppointmentStatus.CANCELLED, live_slot=None)
    new_slot = SlotFactory(doctor=appointment.doctor)

    with pytest.raises(InvalidTransition):
        reschedule_appointment(appointment_id=appointment.pk, new_slot_id=new_slot.pk, actor=ReceptionFactory())

    assert Slot.objects.get(pk=new_slot.pk).status == SlotStatus.OPEN


def test_moving_an_appointment_that_does_not_exist_raises_does_not_exist():
    with pytest.raises(Appointment.DoesNotExist):
        reschedule_appointment(appointment_id=424242, new_slot_id=SlotFactory().pk, actor=ReceptionFactory())


# --- no-shows --------------------------------------------------------------


def started_appointment(**kwargs):
    return AppointmentFactory(slot__starts_at=starting_in(minutes=-20), **kwargs)


@pytest.mark.parametrize("who", ["doctor", "reception", "admin"])
def test_its_doctor_or_reception_marks_a_no_show_once_it_has_started(who):
    appointment = started_appointment()
    actor = {"doctor": appointment.doctor, "reception": ReceptionFactory(), "admin": AdminFactory()}[who]

    mark_no_show(appointment_id=appointment.pk, actor=actor)

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.NO_SHOW
    assert appointment.live_slot_id is None


def test_a_no_show_cannot_be_recorded_before_the_start():
    appointment = AppointmentFactory(slot__starts_at=starting_in(minutes=20))

    with pytest.raises(InvalidTransition):
        mark_no_show(appointment_id=appointment.pk, actor=appointment.doctor)

    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.SCHEDULED


def test_patients_cannot_mark_themselves_as_no_shows():
    appointment = started_appointment()

    with pytest.raises(NotAllowed):
        mark_no_show(appointment_id=appointment.pk, actor=appointment.patient)

    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.SCHEDULED


def test_another_doctor_cannot_mark_a_no_show():
    appointment = started_appointment()

    with pytest.raises(NotAllowed):
        mark_no_show(appointment_id=appointment.pk, actor=DoctorFactory())


def test_a_cancelled_appointment_cannot_become_a_no_show():
    appointment = started_appointment(status=AppointmentStatus.CANCELLED, live_slot=None)

    with pytest.raises(InvalidTransition):
        mark_no_show(appointment_id=appointment.pk, actor=appointment.doctor)


# --- check-in --------------------------------------------------------------------


@pytest.mark.parametrize("factory", [ReceptionFactory, AdminFactory])
def test_reception_checks_a_patient_in(factory):
    appointment = AppointmentFactory()

    check_in(appointment_id=appointment.pk, actor=factory())

    assert Appointment.objects.get(pk=appointment.pk).checked_in_at is not None


@pytest.mark.parametrize("who", ["patient", "doctor"])
def test_only_reception_checks_patients_in(who):
    appointment = AppointmentFactory()

    with pytest.raises(NotAllowed):
        check_in(appointment_id=appointment.pk, actor=getattr(appointment, who))

    assert Appointment.objects.get(pk=appointment.pk).checked_in_at is None


def test_a_patient_is_checked_in_only_once():
    appointment = AppointmentFactory()
    reception = ReceptionFactory()
    check_in(appointment_id=appointment.pk, actor=reception)
    first = Appointment.objects.get(pk=appointment.pk).checked_in_at

    with pytest.raises(InvalidTransition):
        check_in(appointment_id=appointment.pk, actor=reception)

    assert Appointment.objects.get(pk=appointment.pk).checked_in_at == first


def test_a_cancelled_appointment_cannot_be_checked_in():
    appointment = AppointmentFactory(status=AppointmentStatus.CANCELLED, live_slot=None)

    with pytest.raises(InvalidTransition):
        check_in(appointment_id=appointment.pk, actor=ReceptionFactory())
