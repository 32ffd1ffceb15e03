"""Real races on MariaDB: threads, each on its own connection, released together.

Nothing in the code under test can be switched off. The races are proved
from outside: a patch point holds every racer between its checks and its
claim (``HeldWindow``), so a guard that did not hold would let them all
through; a second connection holds a row lock; a raw INSERT meets the
live-appointment constraint.
"""

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import DoctorFactory, PatientFactory, ReceptionFactory
from medly.tests.racing import race
from scheduling import services
from scheduling.exceptions import SchedulingError, SlotBusy
from scheduling.models import Appointment, AppointmentStatus, Slot, SlotStatus
from scheduling.services import book_slot, cancel_appointment, mark_no_show, reschedule_appointment
from scheduling.tests.factories import AppointmentFactory, SlotFactory
from scheduling.tests.helpers import days_ahead

pytestmark = [pytest.mark.mysql, pytest.mark.django_db(transaction=True)]


class HeldWindow:
    """Patch point: every racer that reaches ``services.<name>`` (after its checks, before its claim) is held there.

    With ``everyone`` it waits until that many racers are inside together;
    otherwise it stays ``seconds`` long. ``most_inside`` then tells whether a
    lock kept the racers apart.
    """

    def __init__(self, monkeypatch, name, *, seconds=1.0, everyone=None):
        self.entered = self.inside = self.most_inside = 0
        self._count = threading.Lock()
        self._together = threading.Barrier(everyone) if everyone else None
        original = getattr(services, name)

        def held(*args, **kwargs):
            result = original(*args, **kwargs)
            with self._count:
                self.entered += 1
                self.inside += 1
                self.most_inside = max(self.most_inside, self.inside)
            try:
                if self._together:
                    self._together.wait(timeout=30)
                else:
                    time.sleep(seconds)
            finally:
                with self._count:
                    self.inside -= 1
            return result

        monkeypatch.setattr(services, name, held)


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


def test_all_racers_have_seen_the_slot_open_and_still_only_one_gets_it(monkeypatch):
    # Every racer is held after reading the open slot until all ten are there, then they claim together.
    slot = SlotFactory()
    window = HeldWindow(monkeypatch, "_check_no_overlap", everyone=10)
    patients = PatientFactory.create_batch(10)

    outcomes = race(*[lambda patient=patient: book_slot(patient=patient, slot_id=slot.pk) for patient in patients])

    assert window.most_inside == 10, "the race window was not really open for all of them"
    assert kinds(outcomes) == {"Appointment": 1, "SlotUnavailable": 9}
    assert live_appointments(slot) == 1


def test_a_patient_double_clicking_book_gets_one_appointment():
    slot = SlotFactory()
    patient = PatientFactory()

    outcomes = race(*[lambda: book_slot(patient=patient, slot_id=slot.pk)] * 2)

    assert kinds(outcomes) == {"Appointment": 1, "AlreadyBookedByYou": 1}
    assert Appointment.objects.filter(patient=patient).count() == 1


def test_a_double_click_is_kept_apart_by_the_patient_lock_however_wide_the_window(monkeypatch):
    slot = SlotFactory()
    patient = PatientFactory()
    window = HeldWindow(monkeypatch, "_check_no_overlap", seconds=1.0)

    outcomes = race(*[lambda: book_slot(patient=patient, slot_id=slot.pk)] * 2)

    assert window.most_inside == 1, "the second click got between the first one's check and its claim"
    assert kinds(outcomes) == {"Appointment": 1, "AlreadyBookedByYou": 1}
    assert Appointment.objects.filter(patient=patient).count() == 1


def at_the_limit(settings):
    settings.MAX_FUTURE_APPOINTMENTS = 4
    patient = PatientFactory()
    for n in range(3):
        AppointmentFactory(patient=patient, slot__starts_at=days_ahead(2 + n, 9))
    return patient


def test_two_bookings_by_one_patient_at_the_limit_cannot_both_succeed(settings, monkeypatch):
    patient = at_the_limit(settings)
    slots = [SlotFactory(starts_at=days_ahead(8, 9)), SlotFactory(starts_at=days_ahead(9, 9))]
    window = HeldWindow(monkeypatch, "_check_no_overlap", seconds=1.0)

    outcomes = race(*[lambda slot=slot: book_slot(patient=patient, slot_id=slot.pk) for slot in slots])

    assert window.most_inside == 1
    assert kinds(outcomes) == {"Appointment": 1, "TooManyFutureAppointments": 1}
    assert Appointment.objects.filter(patient=patient, status=AppointmentStatus.SCHEDULED).count() == 4


def test_many_bookings_by_one_patient_at_the_limit_make_exactly_one(settings):
    patient = at_the_limit(settings)
    slots = [SlotFactory(starts_at=days_ahead(8 + n, 9)) for n in range(6)]

    outcomes = race(*[lambda slot=slot: book_slot(patient=patient, slot_id=slot.pk) for slot in slots])

    assert kinds(outcomes) == {"Appointment": 1, "TooManyFutureAppointments": 5}
    assert Appointment.objects.filter(patient=patient, status=AppointmentStatus.SCHEDULED).count() == 4


def test_two_bookings_with_one_doctor_on_one_day_cannot_both_succeed(monkeypatch):
    patient, doctor = PatientFactory(), DoctorFactory()
    slots = [SlotFactory(doctor=doctor, starts_at=days_ahead(3, hour)) for hour in (9, 15)]
    window = HeldWindow(monkeypatch, "_check_no_overlap", seconds=1.0)

    outcomes = race(*[lambda slot=slot: book_slot(patient=patient, slot_id=slot.pk) for slot in slots])

    assert window.most_inside == 1
    assert kinds(outcomes) == {"Appointment": 1, "OnePerDoctorPerDay": 1}


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


def test_two_reschedules_held_between_check_and_claim_still_move_exactly_one(monkeypatch):
    target = SlotFactory()
    window = HeldWindow(monkeypatch, "_check_no_overlap", seconds=0.5)

    first, second, outcomes = two_reschedules_race_for(target)

    assert window.entered == 2 and window.most_inside == 1, "the slot lock kept the two moves apart"
    assert kinds(outcomes) == {"Appointment": 1, "SlotUnavailable": 1}
    assert live_appointments(target) == 1


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


def hold_row_lock(queryset, locked, release):
    """In another thread, on its own connection: lock the rows and keep them until ``release``."""
    with transaction.atomic():
        list(queryset.select_for_update())
        locked.set()
        release.wait(timeout=30)
    connection.close()


def test_a_no_show_behind_the_doctors_lock_is_answered_busy_within_the_configured_wait():
    # The configured innodb_lock_wait_timeout (DATABASE_URL, 5 s by default), not a test-only value.
    appointment = AppointmentFactory(slot__starts_at=timezone.now() - timedelta(minutes=5))
    locked, release = threading.Event(), threading.Event()
    holder = threading.Thread(
        target=hold_row_lock, args=(Appointment.objects.filter(pk=appointment.pk), locked, release)
    )
    holder.start()
    locked.wait(timeout=10)
    started = time.monotonic()
    try:
        with pytest.raises(SlotBusy):
            mark_no_show(appointment_id=appointment.pk, actor=ReceptionFactory())
        waited = time.monotonic() - started
    finally:
        release.set()
        holder.join(timeout=30)

    assert waited < 10, f"waited {waited:.1f} s for the lock"
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.SCHEDULED


LIVE_INSERT = """
    INSERT INTO scheduling_appointment
        (slot_id, live_slot_id, patient_id, doctor_id, starts_at, ends_at, status, encounter_id, booked_by_id,
         created_at)
    VALUES (%s, %s, %s, %s, %s, %s, 'scheduled', '', %s, %s)
"""


def test_the_database_itself_refuses_a_second_live_appointment_on_a_slot():
    first = AppointmentFactory()
    other = PatientFactory()

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            LIVE_INSERT,
            [
                first.slot_id,
                first.slot_id,
                other.pk,
                first.doctor_id,
                first.starts_at,
                first.ends_at,
                other.pk,
                timezone.now(),
            ],
        )

    assert Appointment.objects.filter(slot_id=first.slot_id).count() == 1


def test_if_the_slot_claim_let_everyone_through_the_constraint_would_still_refuse(monkeypatch):
    # Patch point: the conditional UPDATE answers "yours" to every racer; the unique live_slot must still hold.
    slot = SlotFactory()
    monkeypatch.setattr(services, "_claim_open_slot", lambda slot_id, now: True)
    patients = PatientFactory.create_batch(10)

    outcomes = race(*[lambda patient=patient: book_slot(patient=patient, slot_id=slot.pk) for patient in patients])

    assert kinds(outcomes) == {"Appointment": 1, "SlotUnavailable": 9}
    assert live_appointments(slot) == 1


def test_a_no_show_racing_the_doctor_opening_the_consultation_never_leaves_both():
    reception = ReceptionFactory()
    for _ in range(5):
        appointment = AppointmentFactory(slot__starts_at=timezone.now() - timedelta(minutes=5))

        outcomes = race(
            lambda appointment=appointment: services.open_consultation(
                appointment_id=appointment.pk, doctor=appointment.doctor
            ),
            lambda appointment=appointment: mark_no_show(appointment_id=appointment.pk, actor=reception),
        )

        fresh = Appointment.objects.get(pk=appointment.pk)
        if fresh.status == AppointmentStatus.NO_SHOW:
            assert fresh.consultation_opened_at is None, "the doctor's page opened on a no-show"
        else:
            assert fresh.consultation_opened_at is not None
            assert type(outcomes[1]).__name__ == "AppointmentUnderWay"
