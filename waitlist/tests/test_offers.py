"""Offers: who gets a freed slot, the hold, accepting, declining, expiry and passing on."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from accounts.tests.factories import PatientFactory
from medly.tests.tasks import run_queued_tasks
from scheduling import services as scheduling_services
from scheduling.exceptions import TooManyFutureAppointments
from scheduling.models import Appointment, AppointmentStatus, SlotStatus
from scheduling.tests.factories import AppointmentFactory, SlotFactory
from scheduling.tests.helpers import days_ahead
from waitlist import services
from waitlist.exceptions import OfferNoLongerOpen, SlotHeld
from waitlist.models import EntryStatus, OfferStatus, PartOfDay, WaitlistOffer
from waitlist.tests.helpers import booked_slot, waiting

pytestmark = pytest.mark.django_db


def free(appointment):
    scheduling_services.cancel_appointment(appointment_id=appointment.pk, actor=appointment.patient)
    return appointment.slot_id


def test_the_first_matching_patient_to_join_gets_the_freed_slot_and_it_is_held_for_them(settings):
    settings.WAITLIST_HOLD_MINUTES = 45
    appointment = booked_slot(hour=10)
    doctor = appointment.doctor
    waiting(doctor, part_of_day=PartOfDay.AFTERNOON, joined_minutes_ago=90)  # 10:00 is a morning slot
    waiting(doctor, days=(5, 9), joined_minutes_ago=80)  # the slot is 3 days ahead
    first = waiting(doctor, part_of_day=PartOfDay.MORNING, joined_minutes_ago=60)
    waiting(doctor, joined_minutes_ago=30)

    offer = services.offer_slot(free(appointment))

    assert offer.entry == first
    assert offer.live_slot_id == appointment.slot_id
    assert timedelta(minutes=44) < offer.held_until - timezone.now() <= timedelta(minutes=45)
    assert WaitlistOffer.objects.count() == 1


def test_a_patient_already_seeing_that_doctor_that_day_is_passed_over():
    appointment = booked_slot(hour=10)
    doctor = appointment.doctor
    busy = waiting(doctor, joined_minutes_ago=60)
    AppointmentFactory(
        patient=busy.patient,
        slot=SlotFactory(
            doctor=doctor, starts_at=days_ahead(3, 16), ends_at=days_ahead(3, 16, 30), status=SlotStatus.BOOKED
        ),
    )
    next_one = waiting(doctor, joined_minutes_ago=10)

    assert services.offer_slot(free(appointment)).entry == next_one


def test_an_afternoon_slot_goes_to_an_afternoon_patient_not_a_morning_one():
    appointment = booked_slot(hour=13)
    waiting(appointment.doctor, part_of_day=PartOfDay.MORNING, joined_minutes_ago=60)
    afternoon = waiting(appointment.doctor, part_of_day=PartOfDay.AFTERNOON)

    assert services.offer_slot(free(appointment)).entry == afternoon


def test_nobody_matching_means_no_offer_and_the_slot_stays_open_to_all():
    appointment = booked_slot(hour=10)
    waiting(appointment.doctor, part_of_day=PartOfDay.AFTERNOON)

    assert services.offer_slot(free(appointment)) is None
    other = PatientFactory()
    assert scheduling_services.book_slot(patient=other, slot_id=appointment.slot_id).patient == other


@pytest.mark.django_db(transaction=True)  # the worker runs the mail task on its own terms
@pytest.mark.parametrize(
    "language, expected",
    [
        ("en", ["A slot you were waiting for has freed up", "held for you"]),
        ("es-mx", ["Se liberó un horario que esperaba", "Tiene apartado un horario"]),
    ],
)
def test_the_offer_email_names_doctor_day_time_and_hold_in_the_patients_language(
    language, expected, django_capture_on_commit_callbacks
):
    appointment = booked_slot(hour=10)
    entry = waiting(appointment.doctor, language=language, email="ana@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        offer = services.offer_slot(free(appointment))
    run_queued_tasks()

    offer_mails = [message for message in mail.outbox if message.to == ["ana@example.test"]]
    [message] = offer_mails
    slot_time = timezone.localtime(offer.slot.starts_at).strftime("%H:%M")
    held_until = timezone.localtime(offer.held_until).strftime("%H:%M")
    html = message.alternatives[0].content
    for body in (message.body, html):
        assert entry.doctor.get_full_name() in body
        assert slot_time in body
        assert held_until in body
        assert f"{settings.SITE_URL}/waitlist/" in body
    assert expected[0] in message.body
    assert expected[1] in message.subject


def test_while_held_nobody_else_can_book_or_move_onto_the_slot_and_the_doctor_page_hides_it(client):
    appointment = booked_slot(hour=10)
    doctor = appointment.doctor
    holder = waiting(doctor).patient
    slot_id = free(appointment)
    services.offer_slot(slot_id)

    other = PatientFactory()
    with pytest.raises(SlotHeld):
        scheduling_services.book_slot(patient=other, slot_id=slot_id)
    elsewhere = booked_slot(doctor, days=4)
    with pytest.raises(SlotHeld):
        scheduling_services.reschedule_appointment(
            appointment_id=elsewhere.pk, new_slot_id=slot_id, actor=elsewhere.patient
        )

    client.force_login(other)
    response = client.post(f"/slots/{slot_id}/book/")
    assert response.status_code == 409
    assert "being held for a patient on the doctor&#x27;s waitlist" in response.content.decode()
    page = client.get(f"/doctors/{doctor.pk}/").content.decode()
    assert f"/slots/{slot_id}/book/" not in page
    assert Appointment.objects.filter(slot_id=slot_id, live_slot__isnull=False).count() == 0
    assert WaitlistOffer.objects.get().patient == holder


def test_accepting_books_the_held_slot_through_the_booking_service():
    appointment = booked_slot(hour=10)
    entry = waiting(appointment.doctor)
    offer = services.offer_slot(free(appointment))

    booked = services.accept_offer(patient=entry.patient, offer_id=offer.pk)

    assert (booked.patient, booked.slot_id, booked.status) == (
        entry.patient,
        offer.slot_id,
        AppointmentStatus.SCHEDULED,
    )
    offer.refresh_from_db()
    entry.refresh_from_db()
    assert (offer.status, offer.live_slot_id, offer.live_entry_id) == (OfferStatus.ACCEPTED, None, None)
    assert (entry.status, entry.waiting_doctor_id) == (EntryStatus.BOOKED, None)


def test_accepting_keeps_the_booking_limits_and_the_offer_stays_open(settings):
    settings.MAX_FUTURE_APPOINTMENTS = 1
    appointment = booked_slot(hour=10)
    entry = waiting(appointment.doctor)
    AppointmentFactory(patient=entry.patient)
    offer = services.offer_slot(free(appointment))

    with pytest.raises(TooManyFutureAppointments):
        services.accept_offer(patient=entry.patient, offer_id=offer.pk)

    offer.refresh_from_db()
    assert offer.is_live
    assert not Appointment.objects.filter(slot_id=offer.slot_id, live_slot__isnull=False).exists()


def test_an_expired_offer_cannot_be_accepted_and_the_sweep_passes_it_on():
    appointment = booked_slot(hour=10)
    first = waiting(appointment.doctor, joined_minutes_ago=20)
    second = waiting(appointment.doctor, joined_minutes_ago=10)
    offer = services.offer_slot(free(appointment))
    WaitlistOffer.objects.filter(pk=offer.pk).update(held_until=timezone.now() - timedelta(seconds=1))

    with pytest.raises(OfferNoLongerOpen):
        services.accept_offer(patient=first.patient, offer_id=offer.pk)
    with pytest.raises(SlotHeld):  # until the sweep has passed it on, the queue is not overtaken
        scheduling_services.book_slot(patient=PatientFactory(), slot_id=offer.slot_id)

    assert services.expire_due_offers() == 1

    offer.refresh_from_db()
    assert offer.status == OfferStatus.EXPIRED
    passed_on = WaitlistOffer.objects.get(live_slot_id=offer.slot_id)
    assert passed_on.entry == second
    first.refresh_from_db()
    assert first.is_waiting  # still waiting, for another slot


def test_the_slot_opens_to_everyone_only_after_the_last_offer_ends(client, django_capture_on_commit_callbacks):
    appointment = booked_slot(hour=10)
    entry = waiting(appointment.doctor)
    offer = services.offer_slot(free(appointment))
    client.force_login(entry.patient)
    assert f"/slots/{offer.slot_id}/book/" not in client.get(f"/doctors/{appointment.doctor_id}/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        services.decline_offer(patient=entry.patient, offer_id=offer.pk)

    assert not WaitlistOffer.objects.filter(live_slot_id=offer.slot_id).exists()
    assert f"/slots/{offer.slot_id}/book/" in client.get(f"/doctors/{appointment.doctor_id}/").content.decode()
    someone = PatientFactory()
    assert scheduling_services.book_slot(patient=someone, slot_id=offer.slot_id).patient == someone


def test_declining_passes_the_slot_to_the_next_patient_at_once():
    appointment = booked_slot(hour=10)
    first = waiting(appointment.doctor, joined_minutes_ago=20)
    second = waiting(appointment.doctor, joined_minutes_ago=10)
    offer = services.offer_slot(free(appointment))

    services.decline_offer(patient=first.patient, offer_id=offer.pk)

    offer.refresh_from_db()
    assert offer.status == OfferStatus.DECLINED
    assert WaitlistOffer.objects.get(live_slot_id=offer.slot_id).entry == second
    with pytest.raises(OfferNoLongerOpen):
        services.accept_offer(patient=first.patient, offer_id=offer.pk)


def test_a_declined_slot_is_never_offered_to_the_same_entry_again():
    appointment = booked_slot(hour=10)
    only = waiting(appointment.doctor)
    offer = services.offer_slot(free(appointment))
    services.decline_offer(patient=only.patient, offer_id=offer.pk)

    assert services.offer_slot(offer.slot_id) is None
    assert services.expire_due_offers() == 0


def test_leaving_with_a_live_offer_passes_the_slot_on():
    appointment = booked_slot(hour=10)
    first = waiting(appointment.doctor, joined_minutes_ago=20)
    second = waiting(appointment.doctor, joined_minutes_ago=10)
    offer = services.offer_slot(free(appointment))

    services.leave_waitlist(patient=first.patient, entry_id=first.pk)

    first.refresh_from_db()
    assert (first.status, first.waiting_doctor_id) == (EntryStatus.LEFT, None)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN
    assert WaitlistOffer.objects.get(live_slot_id=offer.slot_id).entry == second


def test_a_removed_held_slot_ends_its_offer_at_the_next_sweep():
    from scheduling import availability

    appointment = booked_slot(hour=10)
    entry = waiting(appointment.doctor)
    offer = services.offer_slot(free(appointment))

    assert availability.remove_open_slots(doctor=appointment.doctor, slot_ids=[offer.slot_id]).removed == 1
    assert services.expire_due_offers() == 1

    offer.refresh_from_db()
    assert (offer.status, offer.slot_id) == (OfferStatus.WITHDRAWN, None)
    entry.refresh_from_db()
    assert entry.is_waiting and not WaitlistOffer.objects.filter(live_entry=entry).exists()
