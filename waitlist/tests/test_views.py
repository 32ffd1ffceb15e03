"""The waitlist's pages: joining from the doctor page, the patient's list, answering offers, reception's queue."""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tests.factories import DoctorFactory, PatientFactory, ReceptionFactory
from scheduling import services as scheduling_services
from scheduling.models import Appointment
from scheduling.tests.helpers import shown_messages
from waitlist import services
from waitlist.models import EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer
from waitlist.tests.helpers import booked_slot, waiting

pytestmark = pytest.mark.django_db


def day(offset):
    return (timezone.localdate() + timedelta(days=offset)).isoformat()


def held_offer():
    appointment = booked_slot(hour=10)
    waiting(appointment.doctor)
    scheduling_services.cancel_appointment(appointment_id=appointment.pk, actor=appointment.patient)
    return services.offer_slot(appointment.slot_id)


def test_a_patient_joins_from_the_doctor_page_and_sees_the_entry(client):
    doctor = DoctorFactory()
    patient = PatientFactory()
    client.force_login(patient)
    page = client.get(f"/doctors/{doctor.pk}/").content.decode()
    assert f'action="/doctors/{doctor.pk}/waitlist/"' in page

    response = client.post(
        f"/doctors/{doctor.pk}/waitlist/", {"from_date": day(1), "to_date": day(8), "part_of_day": "afternoon"}
    )

    assert (response.status_code, response["Location"]) == (302, "/waitlist/")
    entry = WaitlistEntry.objects.get()
    assert (entry.patient, entry.doctor, entry.part_of_day, entry.status) == (patient, doctor, "afternoon", "waiting")
    mine = client.get("/waitlist/").content.decode()
    assert doctor.get_full_name() in mine
    assert f'action="/waitlist/entries/{entry.pk}/leave/"' in mine


@pytest.mark.parametrize(
    "data, message",
    [
        ({"from_date": day(-1), "to_date": day(3), "part_of_day": "any"}, "The first day cannot be in the past."),
        (
            {"from_date": day(5), "to_date": day(2), "part_of_day": "any"},
            "The last day cannot be before the first day.",
        ),
        (
            {"from_date": day(0), "to_date": day(60), "part_of_day": "any"},
            "You can wait for at most 60 days at a time.",
        ),
        ({"from_date": day(61), "to_date": day(62), "part_of_day": "any"}, "The first day must be within 60 days"),
        ({"from_date": day(1), "to_date": day(2), "part_of_day": "night"}, "Select a valid choice."),
        ({"from_date": "2026-02-30", "to_date": day(2), "part_of_day": "any"}, "Enter a valid date."),
        ({"to_date": day(2), "part_of_day": "any"}, "This field is required."),
    ],
)
def test_bad_input_says_why_and_saves_nothing(client, data, message):
    doctor = DoctorFactory()
    client.force_login(PatientFactory())

    response = client.post(f"/doctors/{doctor.pk}/waitlist/", data)

    assert (response.status_code, response["Location"]) == (302, f"/doctors/{doctor.pk}/")
    assert any(shown.startswith(message) for shown in shown_messages(response)), shown_messages(response)
    assert not WaitlistEntry.objects.exists()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.dictionaries(st.sampled_from(["from_date", "to_date", "part_of_day"]), st.text(max_size=30)))
def test_no_input_gives_a_500(client, data):
    doctor = DoctorFactory()
    client.force_login(PatientFactory())
    response = client.post(f"/doctors/{doctor.pk}/waitlist/", data)
    assert response.status_code == 302


def test_one_waiting_entry_per_doctor_per_patient(client):
    entry = waiting(DoctorFactory())
    client.force_login(entry.patient)

    response = client.post(
        f"/doctors/{entry.doctor_id}/waitlist/", {"from_date": day(1), "to_date": day(2), "part_of_day": "any"}
    )

    assert shown_messages(response) == [
        "You are already on this doctor's waitlist. Leave that entry first to change it."
    ]
    assert WaitlistEntry.objects.count() == 1


def test_a_patient_leaves_and_may_join_again(client):
    entry = waiting(DoctorFactory())
    client.force_login(entry.patient)

    assert client.post(f"/waitlist/entries/{entry.pk}/leave/")["Location"] == "/waitlist/"

    entry.refresh_from_db()
    assert entry.status == EntryStatus.LEFT
    client.post(f"/doctors/{entry.doctor_id}/waitlist/", {"from_date": day(1), "to_date": day(2), "part_of_day": "any"})
    assert WaitlistEntry.objects.filter(status=EntryStatus.WAITING).count() == 1


def test_nobody_leaves_anothers_entry(client):
    entry = waiting(DoctorFactory())
    client.force_login(PatientFactory())

    response = client.post(f"/waitlist/entries/{entry.pk}/leave/")

    assert shown_messages(response) == ["That waitlist entry is not open any more."]
    entry.refresh_from_db()
    assert entry.is_waiting


def test_the_offer_shows_with_accept_and_decline_and_accepting_books_it(client):
    offer = held_offer()
    client.force_login(offer.patient)
    page = client.get("/waitlist/").content.decode()
    assert f'action="/waitlist/offers/{offer.pk}/accept/"' in page
    assert f'action="/waitlist/offers/{offer.pk}/decline/"' in page

    response = client.post(f"/waitlist/offers/{offer.pk}/accept/")

    assert (response.status_code, response["Location"]) == (302, "/appointments/")
    assert Appointment.objects.get(live_slot_id=offer.slot_id).patient == offer.patient


def test_accepting_an_expired_offer_is_a_409_that_says_so(client):
    offer = held_offer()
    WaitlistOffer.objects.filter(pk=offer.pk).update(held_until=timezone.now() - timedelta(minutes=1))
    client.force_login(offer.patient)

    response = client.post(f"/waitlist/offers/{offer.pk}/accept/")

    assert response.status_code == 409
    assert "This offer has expired or has already been answered" in response.content.decode()
    assert not Appointment.objects.filter(live_slot_id=offer.slot_id).exists()


def test_accepting_a_declined_offer_is_a_409(client):
    offer = held_offer()
    client.force_login(offer.patient)
    assert client.post(f"/waitlist/offers/{offer.pk}/decline/")["Location"] == "/waitlist/"

    response = client.post(f"/waitlist/offers/{offer.pk}/accept/")

    assert response.status_code == 409
    offer.refresh_from_db()
    assert offer.status == OfferStatus.DECLINED


def test_another_patients_offer_is_not_found(client):
    offer = held_offer()
    client.force_login(PatientFactory())
    assert client.post(f"/waitlist/offers/{offer.pk}/accept/").status_code == 404
    assert client.post(f"/waitlist/offers/{offer.pk}/decline/").status_code == 404


def test_reception_sees_a_doctors_queue_in_order_with_the_held_slot(client):
    offer = held_offer()
    later = waiting(offer.slot.doctor, first_name="Zacarías")
    client.force_login(ReceptionFactory())

    page = client.get(f"/desk/waitlist/?doctor={offer.slot.doctor_id}").content.decode()

    assert page.index(offer.patient.get_full_name()) < page.index(later.patient.get_full_name())
    assert timezone.localtime(offer.held_until).strftime("%H:%M") in page
    assert client.get("/desk/waitlist/?doctor=abc").status_code == 404
    assert client.get("/desk/waitlist/").status_code == 200


def test_patients_and_doctors_do_not_see_the_desk(client):
    client.force_login(PatientFactory())
    assert client.get("/desk/waitlist/").status_code == 403
    client.force_login(DoctorFactory())
    assert client.get("/desk/waitlist/").status_code == 403
