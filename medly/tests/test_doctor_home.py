"""The doctor's home: today's agenda, who is in the waiting room, and what needs the doctor."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import DoctorFactory
from records.models import Operation, OperationKind, OperationState
from scheduling.models import AppointmentStatus
from scheduling.tests.factories import AppointmentFactory, SlotFactory
from scheduling.tests.helpers import days_ahead, local
from waitlist.models import OfferStatus, WaitlistOffer
from waitlist.tests.helpers import waiting

pytestmark = pytest.mark.django_db

HOME_URL = reverse("home")


@pytest.fixture
def doctor(client):
    doctor = DoctorFactory()
    client.force_login(doctor)
    return doctor


def an_offer(doctor, *, held_for=timedelta(minutes=20)):
    slot = SlotFactory(doctor=doctor)
    entry = waiting(doctor)
    return WaitlistOffer.objects.create(
        entry=entry,
        patient=entry.patient,
        slot=slot,
        live_slot=slot,
        live_entry=entry,
        held_until=timezone.now() + held_for,
    )


def test_the_waiting_room_lists_checked_in_patients_with_their_arrival_in_order(client, doctor):
    today = timezone.localdate()
    second = AppointmentFactory(
        slot__doctor=doctor,
        slot__starts_at=local(today, 23, 0),
        patient__first_name="Rosa",
        patient__last_name="Uc",
        checked_in_at=timezone.now() - timedelta(minutes=5),
    )
    first = AppointmentFactory(
        slot__doctor=doctor,
        slot__starts_at=local(today, 23, 30),
        patient__first_name="Luis",
        patient__last_name="May",
        checked_in_at=timezone.now() - timedelta(minutes=25),
    )
    AppointmentFactory(slot__doctor=doctor, slot__starts_at=local(today, 22, 30), patient__first_name="Ausente")
    AppointmentFactory(slot__starts_at=local(today, 22, 0), checked_in_at=timezone.now(), patient__first_name="Ajena")

    response = client.get(HOME_URL)

    today_data = response.context["today"]
    assert [a.pk for a in today_data.waiting] == [first.pk, second.pk]
    assert len(today_data.appointments) == 3
    text = response.content.decode()
    arrived = timezone.localtime(first.checked_in_at).strftime("%H:%M")
    assert f"<strong>Luis May</strong> — arrived at {arrived} (25\xa0minutes ago)" in text
    assert "Ajena" not in text
    assert reverse("records:consultation", args=[first.pk]) in text


def test_nothing_waiting_and_nothing_to_do_says_so(client, doctor):
    response = client.get(HOME_URL)

    text = response.content.decode()
    assert "Nobody is waiting." in text
    assert "Nothing needs your attention." in text
    assert "No appointments today." in text


def test_closing_appointments_and_refused_notes_need_attention_whatever_their_day(client, doctor):
    closing = AppointmentFactory(
        slot__doctor=doctor, slot__starts_at=days_ahead(-2, 9), status=AppointmentStatus.CLOSING
    )
    refused = AppointmentFactory(slot__doctor=doctor, slot__starts_at=days_ahead(-1, 9))
    Operation.objects.create(
        kind=OperationKind.CLOSE_CONSULTATION,
        state=OperationState.ABORTED,
        patient=refused.patient,
        appointment=refused,
        payload={},
    )
    AppointmentFactory(slot__doctor=doctor, slot__starts_at=days_ahead(-3, 9), status=AppointmentStatus.COMPLETED)
    AppointmentFactory(slot__starts_at=days_ahead(-2, 10), status=AppointmentStatus.CLOSING)

    response = client.get(HOME_URL)

    assert [a.pk for a in response.context["today"].needs_attention] == [closing.pk, refused.pk]
    text = response.content.decode()
    assert "closing — waiting for the records store." in text
    assert "the records store refused your note; please close the consultation again." in text


def test_live_waitlist_offers_on_the_doctors_slots_are_listed(client, doctor):
    offer = an_offer(doctor)
    expired = an_offer(doctor, held_for=timedelta(minutes=-1))
    ended = an_offer(doctor)
    WaitlistOffer.objects.filter(pk=ended.pk).update(status=OfferStatus.DECLINED, live_slot=None, live_entry=None)
    an_offer(DoctorFactory())

    response = client.get(HOME_URL)

    assert [o.pk for o in response.context["today"].offers] == [offer.pk]
    assert expired.pk not in [o.pk for o in response.context["today"].offers]
    assert "is offered to a patient on the waitlist until" in response.content.decode()


@pytest.mark.parametrize("count", [1, 6])
def test_the_home_takes_the_same_number_of_queries_for_1_or_6_of_everything(
    client, doctor, count, django_assert_num_queries
):
    today = timezone.localdate()
    for n in range(count):
        AppointmentFactory(slot__doctor=doctor, slot__starts_at=local(today, 17, 5 * n), checked_in_at=timezone.now())
        AppointmentFactory(
            slot__doctor=doctor, slot__starts_at=days_ahead(-2, 9, 5 * n), status=AppointmentStatus.CLOSING
        )
        an_offer(doctor)

    # user, today's and attention appointments, offers
    with django_assert_num_queries(3):
        response = client.get(HOME_URL)

    assert len(response.context["today"].waiting) == count
