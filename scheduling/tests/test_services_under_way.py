"""A note is never lost to a staff action: once under way, staff leave the appointment to its doctor.

Under way: the patient has checked in, or its doctor has opened the
consultation. A no-show marked in error can be undone, with an audit row.
"""

import pytest
from django.utils import timezone

from accounts.tests.factories import AdminFactory, DoctorFactory, PatientFactory, ReceptionFactory
from records.models import AuditEvent
from scheduling.exceptions import AppointmentUnderWay, InvalidTransition, NoShowSlotTaken, NotAllowed
from scheduling.models import Appointment, AppointmentStatus, Slot, SlotStatus
from scheduling.services import (
    cancel_appointment,
    check_in,
    mark_no_show,
    open_consultation,
    reschedule_appointment,
    revert_no_show,
)
from scheduling.tests.factories import AppointmentFactory, SlotFactory
from scheduling.tests.helpers import starting_in

pytestmark = pytest.mark.django_db


def started_appointment(**kwargs):
    return AppointmentFactory(slot__starts_at=starting_in(minutes=-20), **kwargs)


def checked_in(appointment):
    check_in(appointment_id=appointment.pk, actor=ReceptionFactory())
    return appointment


def opened(appointment):
    open_consultation(appointment_id=appointment.pk, doctor=appointment.doctor)
    return appointment


def state(appointment):
    fresh = Appointment.objects.get(pk=appointment.pk)
    return fresh.status, fresh.live_slot_id, fresh.slot_id, Slot.objects.get(pk=fresh.slot_id).status


STAFF = {"reception": ReceptionFactory, "admin": AdminFactory}


# --- opening the consultation ------------------------------------------------------


def test_opening_the_consultation_is_recorded_once():
    appointment = started_appointment()

    open_consultation(appointment_id=appointment.pk, doctor=appointment.doctor)
    first = Appointment.objects.get(pk=appointment.pk).consultation_opened_at
    open_consultation(appointment_id=appointment.pk, doctor=appointment.doctor)

    assert first is not None
    assert first <= timezone.now()
    assert Appointment.objects.get(pk=appointment.pk).consultation_opened_at == first


def test_another_doctor_cannot_open_the_consultation():
    appointment = started_appointment()

    with pytest.raises(NotAllowed):
        open_consultation(appointment_id=appointment.pk, doctor=DoctorFactory())

    assert Appointment.objects.get(pk=appointment.pk).consultation_opened_at is None


def test_opening_a_consultation_that_is_no_longer_scheduled_records_nothing():
    appointment = started_appointment(status=AppointmentStatus.NO_SHOW, live_slot=None)

    returned = open_consultation(appointment_id=appointment.pk, doctor=appointment.doctor)

    assert returned.status == AppointmentStatus.NO_SHOW
    assert Appointment.objects.get(pk=appointment.pk).consultation_opened_at is None


# --- no-show and cancel once under way ----------------------------------------------


@pytest.mark.parametrize("who", ["reception", "admin", "doctor"])
def test_nobody_marks_a_checked_in_patient_as_a_no_show(who):
    appointment = checked_in(started_appointment())
    actor = appointment.doctor if who == "doctor" else STAFF[who]()
    before = state(appointment)

    with pytest.raises(AppointmentUnderWay) as refusal:
        mark_no_show(appointment_id=appointment.pk, actor=actor)

    assert refusal.value.message == "The patient has checked in, so this appointment cannot be a no-show."
    assert state(appointment) == before


@pytest.mark.parametrize("who", ["reception", "admin"])
def test_staff_cannot_mark_a_no_show_once_the_doctor_has_opened_the_consultation(who):
    appointment = opened(started_appointment())
    before = state(appointment)

    with pytest.raises(AppointmentUnderWay) as refusal:
        mark_no_show(appointment_id=appointment.pk, actor=STAFF[who]())

    assert "The doctor has opened this consultation" in refusal.value.message
    assert "Please ask the doctor." in refusal.value.message
    assert state(appointment) == before
    assert not AuditEvent.objects.filter(action="appointment.no_show").exists()


def test_its_doctor_may_still_mark_a_no_show_after_opening_the_consultation():
    appointment = opened(started_appointment())

    mark_no_show(appointment_id=appointment.pk, actor=appointment.doctor)

    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.NO_SHOW


@pytest.mark.parametrize("who", ["reception", "admin", "patient"])
def test_a_checked_in_appointment_cannot_be_cancelled_by_staff_or_the_patient(who, settings):
    settings.PATIENT_CHANGE_CUTOFF_MINUTES = 0  # so that only the check-in can refuse the patient
    appointment = checked_in(AppointmentFactory(slot__starts_at=starting_in(minutes=30)))
    actor = appointment.patient if who == "patient" else STAFF[who]()
    before = state(appointment)

    with pytest.raises(AppointmentUnderWay) as refusal:
        cancel_appointment(appointment_id=appointment.pk, actor=actor)

    assert "already checked in" in refusal.value.message
    assert state(appointment) == before


@pytest.mark.parametrize("who", ["reception", "admin"])
def test_staff_cannot_cancel_once_the_doctor_has_opened_the_consultation(who):
    appointment = opened(started_appointment())
    before = state(appointment)

    with pytest.raises(AppointmentUnderWay) as refusal:
        cancel_appointment(appointment_id=appointment.pk, actor=STAFF[who]())

    assert "The doctor has opened this consultation" in refusal.value.message
    assert state(appointment) == before


def test_its_doctor_may_still_cancel_an_appointment_under_way():
    appointment = opened(checked_in(started_appointment()))

    cancel_appointment(appointment_id=appointment.pk, actor=appointment.doctor)

    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.CANCELLED


def test_an_appointment_under_way_cannot_be_moved():
    appointment = checked_in(AppointmentFactory())
    target = SlotFactory(doctor=appointment.doctor)

    with pytest.raises(AppointmentUnderWay):
        reschedule_appointment(appointment_id=appointment.pk, new_slot_id=target.pk, actor=ReceptionFactory())

    assert Appointment.objects.get(pk=appointment.pk).slot_id == appointment.slot_id
    assert Slot.objects.get(pk=target.pk).status == SlotStatus.OPEN


def test_marking_a_no_show_is_audited():
    appointment = started_appointment()
    reception = ReceptionFactory()

    mark_no_show(appointment_id=appointment.pk, actor=reception, ip_address="10.0.0.7")

    event = AuditEvent.objects.get(action="appointment.no_show")
    assert (event.user, event.patient_id, event.ip_address) == (reception, appointment.patient_id, "10.0.0.7")
    assert event.detail == {"appointment_id": appointment.pk}


# --- undoing a no-show ----------------------------------------------------------------


def no_show(**kwargs):
    appointment = started_appointment(**kwargs)
    mark_no_show(appointment_id=appointment.pk, actor=appointment.doctor)
    return appointment


@pytest.mark.parametrize("who", ["reception", "admin", "doctor"])
def test_a_no_show_marked_in_error_is_undone_and_its_slot_held_again(who):
    appointment = no_show()
    actor = appointment.doctor if who == "doctor" else STAFF[who]()

    revert_no_show(appointment_id=appointment.pk, actor=actor, ip_address="10.0.0.8")

    assert state(appointment) == (
        AppointmentStatus.SCHEDULED,
        appointment.slot_id,
        appointment.slot_id,
        SlotStatus.BOOKED,
    )
    event = AuditEvent.objects.get(action="appointment.no_show_reverted")
    assert (event.user, event.role, event.patient_id, event.ip_address) == (
        actor,
        actor.role,
        appointment.patient_id,
        "10.0.0.8",
    )
    assert event.detail == {"appointment_id": appointment.pk}


def test_once_undone_the_doctor_can_close_the_visit_and_staff_cannot_mark_it_again_after_opening():
    appointment = no_show()
    revert_no_show(appointment_id=appointment.pk, actor=ReceptionFactory())
    opened(appointment)

    with pytest.raises(AppointmentUnderWay):
        mark_no_show(appointment_id=appointment.pk, actor=ReceptionFactory())


@pytest.mark.parametrize("who", ["patient", "other doctor"])
def test_the_patient_or_another_doctor_cannot_undo_a_no_show(who):
    appointment = no_show()
    actor = appointment.patient if who == "patient" else DoctorFactory()
    before = state(appointment)

    with pytest.raises(NotAllowed):
        revert_no_show(appointment_id=appointment.pk, actor=actor)

    assert state(appointment) == before
    assert not AuditEvent.objects.filter(action="appointment.no_show_reverted").exists()


def test_only_a_no_show_can_be_undone():
    appointment = started_appointment()

    with pytest.raises(InvalidTransition) as refusal:
        revert_no_show(appointment_id=appointment.pk, actor=ReceptionFactory())

    assert refusal.value.message == "Only a no-show can be undone."


def test_undoing_is_refused_when_the_slot_was_given_to_someone_else():
    appointment = no_show()
    # Meanwhile the time went to another patient (an admin booked the freed slot by hand).
    other = AppointmentFactory(slot=appointment.slot, patient=PatientFactory())
    before = state(appointment)

    with pytest.raises(NoShowSlotTaken) as refusal:
        revert_no_show(appointment_id=appointment.pk, actor=ReceptionFactory())

    assert "has since been given to another appointment" in refusal.value.message
    assert state(appointment) == before
    assert Appointment.objects.get(pk=other.pk).live_slot_id == appointment.slot_id
    assert not AuditEvent.objects.filter(action="appointment.no_show_reverted").exists()


def test_undoing_is_refused_when_the_slot_is_gone():
    appointment = no_show()
    Slot.objects.filter(pk=appointment.slot_id).delete()

    with pytest.raises(NoShowSlotTaken):
        revert_no_show(appointment_id=appointment.pk, actor=ReceptionFactory())

    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.NO_SHOW
