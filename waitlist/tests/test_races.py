"""Real races on MariaDB: two frees, two accepts, a hold against many bookers, never a double booking or offer."""

import threading
import time

import pytest

from accounts.tests.factories import PatientFactory
from medly.tests.racing import race
from scheduling import services as scheduling_services
from scheduling.exceptions import SchedulingError, SlotUnavailable
from scheduling.models import Appointment
from waitlist import services
from waitlist.exceptions import SlotHeld
from waitlist.models import OfferStatus, WaitlistOffer
from waitlist.tests.helpers import booked_slot, waiting

pytestmark = [pytest.mark.mysql, pytest.mark.django_db(transaction=True)]


def freed(appointment):
    scheduling_services.cancel_appointment(appointment_id=appointment.pk, actor=appointment.patient)
    WaitlistOffer.objects.all().delete()  # what the queued hook task might have done is redone by the racers
    return appointment.slot_id


def live_appointments(slot_id):
    return Appointment.objects.filter(live_slot_id=slot_id).count()


def test_ten_frees_of_one_slot_at_once_make_one_offer():
    appointment = booked_slot(hour=10)
    for minutes in range(10):
        waiting(appointment.doctor, joined_minutes_ago=minutes)
    slot_id = freed(appointment)

    outcomes = race(*[lambda: services.offer_slot(slot_id) for _ in range(10)])

    made = [outcome for outcome in outcomes if isinstance(outcome, WaitlistOffer)]
    assert len(made) == 1, outcomes
    assert outcomes.count(None) == 9
    assert WaitlistOffer.objects.count() == 1


def test_two_slots_freed_at_once_never_offer_one_entry_twice():
    first = booked_slot(hour=10)
    second = booked_slot(first.doctor, hour=11)
    early = waiting(first.doctor, joined_minutes_ago=10)
    late = waiting(first.doctor)
    slot_ids = [freed(first), freed(second)]

    race(*[lambda slot_id=slot_id: services.offer_slot(slot_id) for slot_id in slot_ids])

    live = WaitlistOffer.objects.filter(status=OfferStatus.OFFERED)
    assert sorted(live.values_list("entry_id", flat=True)) == sorted([early.pk, late.pk])
    assert sorted(live.values_list("live_slot_id", flat=True)) == sorted(slot_ids)


def test_two_accepts_of_one_offer_at_once_book_once():
    appointment = booked_slot(hour=10)
    entry = waiting(appointment.doctor)
    offer = services.offer_slot(freed(appointment))

    outcomes = race(*[lambda: services.accept_offer(patient=entry.patient, offer_id=offer.pk) for _ in range(2)])

    assert sum(isinstance(outcome, Appointment) for outcome in outcomes) == 1, outcomes
    assert sum(isinstance(outcome, SchedulingError) for outcome in outcomes) == 1, outcomes
    assert live_appointments(offer.slot_id) == 1


def test_the_holder_wins_against_twenty_patients_booking_the_held_slot_at_once():
    appointment = booked_slot(hour=10)
    entry = waiting(appointment.doctor)
    offer = services.offer_slot(freed(appointment))
    others = PatientFactory.create_batch(20)

    outcomes = race(
        lambda: services.accept_offer(patient=entry.patient, offer_id=offer.pk),
        *[
            lambda patient=patient: scheduling_services.book_slot(patient=patient, slot_id=offer.slot_id)
            for patient in others
        ],
    )

    assert isinstance(outcomes[0], Appointment), outcomes[0]
    # Held while the holder had not booked yet, taken once they had: never booked by another.
    assert all(type(outcome) in (SlotHeld, SlotUnavailable) for outcome in outcomes[1:]), outcomes[1:]
    assert Appointment.objects.get(live_slot_id=offer.slot_id).patient == entry.patient


def test_an_accept_racing_a_decline_either_books_or_passes_on_never_both():
    appointment = booked_slot(hour=10)
    entry = waiting(appointment.doctor, joined_minutes_ago=10)
    nxt = waiting(appointment.doctor)
    offer = services.offer_slot(freed(appointment))

    race(
        lambda: services.accept_offer(patient=entry.patient, offer_id=offer.pk),
        lambda: services.decline_offer(patient=entry.patient, offer_id=offer.pk),
    )

    offer.refresh_from_db()
    if offer.status == OfferStatus.ACCEPTED:
        assert live_appointments(offer.slot_id) == 1
        assert not WaitlistOffer.objects.filter(live_slot_id=offer.slot_id).exists()
    else:
        assert offer.status == OfferStatus.DECLINED
        assert live_appointments(offer.slot_id) == 0
        assert WaitlistOffer.objects.get(live_slot_id=offer.slot_id).entry == nxt


def test_two_frees_held_inside_the_offer_are_kept_apart_by_the_slot_lock(monkeypatch):
    appointment = booked_slot(hour=10)
    waiting(appointment.doctor, joined_minutes_ago=1)
    waiting(appointment.doctor)
    slot_id = freed(appointment)
    window = {"inside": 0, "most": 0}
    count = threading.Lock()
    choose = services._candidates

    def held(*args, **kwargs):
        # Where the racers would both pass if the slot lock did not keep them apart.
        with count:
            window["inside"] += 1
            window["most"] = max(window["most"], window["inside"])
        time.sleep(0.5)
        with count:
            window["inside"] -= 1
        return choose(*args, **kwargs)

    monkeypatch.setattr(services, "_candidates", held)
    outcomes = race(lambda: services.offer_slot(slot_id), lambda: services.offer_slot(slot_id))

    assert window["most"] == 1
    assert sum(isinstance(outcome, WaitlistOffer) for outcome in outcomes) == 1, outcomes
    assert WaitlistOffer.objects.count() == 1


def test_a_booking_arriving_while_the_offer_is_being_made_waits_and_is_refused(monkeypatch):
    appointment = booked_slot(hour=10)
    waiting(appointment.doctor)
    slot_id = freed(appointment)
    send = services._send_offer

    def slow_send(*args, **kwargs):
        send(*args, **kwargs)
        time.sleep(1.0)  # the offer is made but not committed yet

    monkeypatch.setattr(services, "_send_offer", slow_send)
    other = PatientFactory()

    def book_a_moment_later():
        time.sleep(0.3)
        return scheduling_services.book_slot(patient=other, slot_id=slot_id)

    offered, booked = race(lambda: services.offer_slot(slot_id), book_a_moment_later)

    assert isinstance(offered, WaitlistOffer), offered
    assert isinstance(booked, SlotHeld), booked
    assert live_appointments(slot_id) == 0
