"""Hooks and worker: a cancel, a move and new slots enqueue the offer; the minute sweep passes holds on."""

from datetime import timedelta

import crontask
import pytest
from django.core import mail
from django.utils import timezone

from medly.tests.tasks import run_queued_tasks
from scheduling import availability
from scheduling import services as scheduling_services
from scheduling.tests.factories import SlotFactory
from scheduling.tests.helpers import days_ahead
from waitlist import tasks
from waitlist.models import OfferStatus, PartOfDay, WaitlistOffer
from waitlist.tests.helpers import booked_slot, waiting

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_cancellation_enqueues_the_offer_and_the_worker_makes_it_and_mails_it():
    appointment = booked_slot(hour=10)
    entry = waiting(appointment.doctor, email="luz@example.test")

    scheduling_services.cancel_appointment(appointment_id=appointment.pk, actor=appointment.patient)
    assert not WaitlistOffer.objects.exists()  # the request does not wait for the offer
    run_queued_tasks()  # the offer task
    run_queued_tasks()  # the mail it queued

    offer = WaitlistOffer.objects.get()
    assert (offer.entry, offer.live_slot_id) == (entry, appointment.slot_id)
    assert [message.to for message in mail.outbox if message.to == ["luz@example.test"]] == [["luz@example.test"]]


def test_moving_an_appointment_offers_the_slot_it_left():
    appointment = booked_slot(hour=10)
    day = timezone.localdate(appointment.starts_at)
    waiting(appointment.doctor, days=(3, 3))  # wants the appointment's day only, not the day it moves to
    later = SlotFactory(doctor=appointment.doctor, starts_at=days_ahead(4, 11), ends_at=days_ahead(4, 11, 30))
    assert timezone.localdate(later.starts_at) != day

    scheduling_services.reschedule_appointment(
        appointment_id=appointment.pk, new_slot_id=later.pk, actor=appointment.patient
    )
    run_queued_tasks()

    assert WaitlistOffer.objects.get().live_slot_id == appointment.slot_id


def test_newly_opened_slots_are_offered_to_waiting_patients():
    appointment = booked_slot(hour=10)
    doctor = appointment.doctor
    entry = waiting(doctor, part_of_day=PartOfDay.AFTERNOON)
    day = timezone.localdate(days_ahead(2))

    availability.open_slots(
        doctor=doctor,
        start_date=day,
        end_date=day,
        weekdays=range(7),
        start_time=days_ahead(2, 14).time(),
        end_time=days_ahead(2, 15).time(),
        slot_minutes=30,
    )
    run_queued_tasks()

    offer = WaitlistOffer.objects.get()
    assert offer.entry == entry
    assert timezone.localtime(offer.slot.starts_at).hour == 14


def test_the_minute_sweep_is_registered_and_passes_an_expired_hold_on():
    assert tasks.expire_waitlist_offers.name in {job.name for job in crontask.scheduler.get_jobs()}
    appointment = booked_slot(hour=10)
    first = waiting(appointment.doctor, joined_minutes_ago=5)
    second = waiting(appointment.doctor)
    scheduling_services.cancel_appointment(appointment_id=appointment.pk, actor=appointment.patient)
    run_queued_tasks()
    WaitlistOffer.objects.filter(entry=first).update(held_until=timezone.now() - timedelta(seconds=1))

    tasks.expire_waitlist_offers.enqueue()
    run_queued_tasks()

    assert WaitlistOffer.objects.get(entry=first).status == OfferStatus.EXPIRED
    assert WaitlistOffer.objects.get(live_slot_id=appointment.slot_id).entry == second
