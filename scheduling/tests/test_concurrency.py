"""Real races on MariaDB: threads, each on its own connection, released together.

Every race has a control twin that switches the guards off
(SCHEDULING_RACE_GUARDS=False) and shows the same race then really does
double-book: a race test that cannot fail proves nothing.
"""

import threading
from collections import Counter

import pytest
from django.db import connection, transaction

from accounts.models import User
from accounts.tests.factories import PatientFactory, ReceptionFactory
from medly.tests.racing import race
from scheduling.exceptions import SchedulingError, SlotBusy
from scheduling.models import Appointment, AppointmentStatus, Slot, SlotStatus
from scheduling.services import book_slot, cancel_appointment, reschedule_appointment
from scheduling.tests.factories import AppointmentFactory, SlotFactory

pytestmark = [pytest.mark.mysql, pytest.mark.django_db(transaction=True)]


def kinds(outcomes):
    return Counter(type(outcome).__name__ for outcome in outcomes)


def live_appointments(slot):
    return Appointment.objects.filter(slot=slot, status=AppointmentStatus.SCHEDULED).count()


def fifty_patients_race_for(slot):
    patients = PatientFactory.create_batch(50)
    return race(*[lambda patient=patient: book_slot(patient=patient, slot_id=slot.pk) for patient in patients])


def test_fifty_patients_racing_for_one_slot_make_exactly_one_appointment():
    slot = SlotFactory()

    outcomes = fifty_patients_race_for(slot)

    assert kinds(outcomes) == {"Appointment": 1, "SlotUnavailable": 49}
    assert live_appointments(slot) == 1
    slot.refresh_from_db()
    assert slot.status == SlotStatus.BOOKED


def test_control_without_guards_the_same_race_double_books(settings):
    settings.SCHEDULING_RACE_GUARDS = False
    slots = SlotFactory.create_batch(3)

    made = [live_appointments(slot) for slot in slots if fifty_patients_race_for(slot)]

    assert max(made) > 1, "the unguarded race never double-booked: the race test would prove nothing"


def test_a_patient_double_clicking_book_gets_one_appointment():
    slot = SlotFactory()
    patient = PatientFactory()

    outcomes = race(*[lambda: book_slot(patient=patient, slot_id=slot.pk)] * 2)

    assert kinds(outcomes) == {"Appointment": 1, "AlreadyBookedByYou": 1}
    assert Appointment.objects.filter(patient=patient).count() == 1


def test_control_without_guards_a_double_click_books_twice(settings):
    settings.SCHEDULING_RACE_GUARDS = False
    patient = PatientFactory()
    counts = []
    for slot in SlotFactory.create_batch(5):
        race(*[lambda slot=slot: book_slot(patient=patient, slot_id=slot.pk)] * 4)
        counts.append(live_appointments(slot))

    assert max(counts) > 1


def cancel_racing_bookings(appointment, bookers):
    reception = ReceptionFactory()
    calls = [lambda: cancel_appointment(appointment_id=appointment.pk, actor=reception)]
    calls += [lambda patient=patient: book_slot(patient=patient, slot_id=appointment.slot_id) for patient in bookers]
    return race(*calls)


def test_a_cancel_racing_bookings_of_its_slot_leaves_at_most_one_live_appointment():
    for _ in range(3):
        appointment = AppointmentFactory()

        outcomes = cancel_racing_bookings(appointment, PatientFactory.create_batch(20))

        # Every loser gets a clean refusal (taken, or "busy, try again"); nothing else.
        unexpected = [o for o in outcomes if isinstance(o, BaseException) and not isinstance(o, SchedulingError)]
        assert unexpected == [], f"outcomes: {kinds(outcomes)}"
        assert live_appointments(appointment.slot) <= 1
        slot = Slot.objects.get(pk=appointment.slot_id)
        expected_status = SlotStatus.BOOKED if live_appointments(slot) else SlotStatus.OPEN
        assert slot.status == expected_status
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.CANCELLED


def test_control_without_guards_a_cancel_racing_bookings_double_books(settings):
    settings.SCHEDULING_RACE_GUARDS = False
    counts = []
    for _ in range(3):
        appointment = AppointmentFactory()
        cancel_racing_bookings(appointment, PatientFactory.create_batch(20))
        counts.append(live_appointments(appointment.slot))

    assert max(counts) > 1


def two_reschedules_race_for(target):
    first = AppointmentFactory(slot__doctor=target.doctor)
    second = AppointmentFactory(slot__doctor=target.doctor)
    reception = ReceptionFactory()
    outcomes = race(
        lambda: reschedule_appointment(appointment_id=first.pk, new_slot_id=target.pk, actor=reception),
        lambda: reschedule_appointment(appointment_id=second.pk, new_slot_id=target.pk, actor=reception),
    )
    return first, second, outcomes


def test_two_reschedules_racing_for_one_slot_move_exactly_one():
    target = SlotFactory()

    first, second, outcomes = two_reschedules_race_for(target)

    assert kinds(outcomes) == {"Appointment": 1, "SlotUnavailable": 1}
    assert live_appointments(target) == 1
    winner, loser = (first, second) if isinstance(outcomes[0], Appointment) else (second, first)
    loser.refresh_from_db()
    original_slot = Slot.objects.get(pk=loser.slot_id)
    assert original_slot.status == SlotStatus.BOOKED, "the loser keeps its own slot"
    assert Slot.objects.get(pk=Appointment.objects.get(pk=winner.pk).slot_id) == target


def test_control_without_guards_two_reschedules_both_land_on_the_slot(settings):
    settings.SCHEDULING_RACE_GUARDS = False
    counts = []
    for _ in range(5):
        target = SlotFactory()
        two_reschedules_race_for(target)
        counts.append(live_appointments(target))

    assert max(counts) > 1


def test_no_racer_ever_sees_a_server_error_or_deadlock():
    slot = SlotFactory()
    appointment = AppointmentFactory(slot__doctor=slot.doctor)
    reception = ReceptionFactory()
    patients = PatientFactory.create_batch(10)
    calls = [lambda patient=patient: book_slot(patient=patient, slot_id=slot.pk) for patient in patients]
    calls += [lambda: reschedule_appointment(appointment_id=appointment.pk, new_slot_id=slot.pk, actor=reception)]
    calls += [lambda: cancel_appointment(appointment_id=appointment.pk, actor=reception)]

    outcomes = race(*calls)

    unexpected = [o for o in outcomes if isinstance(o, BaseException) and not isinstance(o, SchedulingError)]
    assert unexpected == []
    live = live_appointments(slot)
    assert live <= 1
    slot.refresh_from_db()
    assert slot.status == (SlotStatus.BOOKED if live else SlotStatus.OPEN)


def test_a_booking_stuck_behind_a_held_lock_gets_a_clear_busy_answer_not_a_hang():
    slot = SlotFactory()
    patient = PatientFactory()
    locked, release = threading.Event(), threading.Event()

    def hold_the_patient_row():
        with transaction.atomic():
            list(User.objects.select_for_update().filter(pk=patient.pk))
            locked.set()
            release.wait(timeout=30)
        connection.close()

    holder = threading.Thread(target=hold_the_patient_row)
    holder.start()
    locked.wait(timeout=10)
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION innodb_lock_wait_timeout = 1")
    try:
        with pytest.raises(SlotBusy):
            book_slot(patient=patient, slot_id=slot.pk)
    finally:
        release.set()
        holder.join(timeout=30)

    slot.refresh_from_db()
    assert slot.status == SlotStatus.OPEN
    assert not Appointment.objects.exists()
