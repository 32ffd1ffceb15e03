"""Booking for a patient in one page: find them, pick a doctor and a free time, book; refusals worded to staff."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import DoctorFactory, PatientFactory, ReceptionFactory
from desk.links import desk_booking_url, desk_day_url
from scheduling.models import Appointment, SlotStatus
from scheduling.tests.factories import AppointmentFactory, SlotFactory
from scheduling.tests.helpers import local, shown_messages

pytestmark = pytest.mark.django_db

BOOK_URL = reverse("desk:book")


@pytest.fixture
def receptionist(client):
    user = ReceptionFactory()
    client.force_login(user)
    return user


def tomorrow():
    return timezone.localdate() + timedelta(days=1)


def test_it_finds_patients_by_name_email_or_phone(client, receptionist):
    maria = PatientFactory(first_name="María", last_name="López", email="maria@example.test", phone="999 111 2222")
    PatientFactory(first_name="Otro", last_name="Paciente")

    for query in ("maria lopez", "MARIA@example", "111 2222"):
        response = client.get(BOOK_URL, {"q": query})
        assert response.context["found"] == [maria], query
    assert f"?patient={maria.pk}" in response.content.decode()


def test_it_offers_the_doctors_free_times_for_the_patient_and_day(client, receptionist):
    patient = PatientFactory()
    doctor = DoctorFactory()
    free = SlotFactory(doctor=doctor, starts_at=local(tomorrow(), 10))
    SlotFactory(doctor=doctor, starts_at=local(tomorrow(), 10, 30), status=SlotStatus.BOOKED)
    SlotFactory(doctor=doctor, starts_at=local(tomorrow() + timedelta(days=1), 10))

    response = client.get(desk_booking_url(patient_id=patient.pk, doctor_id=doctor.pk, day=tomorrow()))

    assert response.context["patient"] == patient
    assert response.context["slots"] == [free]
    assert f'name="slot" value="{free.pk}"' in response.content.decode()


def test_a_day_without_free_times_links_to_the_next_free_day(client, receptionist):
    patient, doctor = PatientFactory(), DoctorFactory()
    later = tomorrow() + timedelta(days=3)
    SlotFactory(doctor=doctor, starts_at=local(later, 9))

    response = client.get(desk_booking_url(patient_id=patient.pk, doctor_id=doctor.pk, day=tomorrow()))

    assert response.context["next_day"] == later
    assert desk_booking_url(patient_id=patient.pk, doctor_id=doctor.pk, day=later).replace("&", "&amp;") in (
        response.content.decode()
    )


def test_it_books_with_the_reason_and_goes_to_the_desk_with_the_patient_picked(client, receptionist):
    patient = PatientFactory(first_name="María", last_name="López")
    slot = SlotFactory(starts_at=local(tomorrow(), 10))

    response = client.post(BOOK_URL, {"patient": patient.pk, "slot": slot.pk, "reason": "Dolor de cabeza"})

    appointment = Appointment.objects.get(patient=patient)
    assert (appointment.slot_id, appointment.reason, appointment.booked_by) == (
        slot.pk,
        "Dolor de cabeza",
        receptionist,
    )
    assert response.status_code == 302
    assert response["Location"] == desk_day_url(tomorrow(), patient_id=patient.pk)
    (message,) = shown_messages(response)
    assert message.startswith("Booked for María López: ") and "at 10:00 with " + slot.doctor.get_full_name() in message


def test_an_overlap_is_told_to_staff_about_the_patient_and_nothing_is_booked(client, receptionist):
    patient = PatientFactory(first_name="María", last_name="López")
    other_doctor = DoctorFactory(first_name="Juan", last_name="Pérez")
    AppointmentFactory(patient=patient, slot__doctor=other_doctor, slot__starts_at=local(tomorrow(), 10))
    slot = SlotFactory(starts_at=local(tomorrow(), 10))

    response = client.post(
        f"{BOOK_URL}?patient={patient.pk}&doctor={slot.doctor_id}&date={tomorrow().isoformat()}",
        {"patient": patient.pk, "slot": slot.pk},
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert "María López already has an appointment at 10:00 on " in page
    assert "with Juan Pérez." in page
    assert "You already have" not in page
    assert Appointment.objects.filter(patient=patient).count() == 1


def test_a_patient_booking_themselves_still_reads_you(client):
    patient = PatientFactory()
    AppointmentFactory(patient=patient, slot__starts_at=local(tomorrow(), 10))
    slot = SlotFactory(starts_at=local(tomorrow(), 10))
    client.force_login(patient)

    response = client.post(reverse("scheduling:book", args=[slot.pk]))

    assert "You already have an appointment at that time." in response.content.decode()


def test_staff_may_exceed_the_patients_own_limits(client, receptionist, settings):
    settings.MAX_FUTURE_APPOINTMENTS = 1
    patient = PatientFactory()
    AppointmentFactory(patient=patient, slot__starts_at=local(tomorrow(), 8))
    slot = SlotFactory(starts_at=local(tomorrow() + timedelta(days=1), 10))

    response = client.post(BOOK_URL, {"patient": patient.pk, "slot": slot.pk})

    assert response.status_code == 302
    assert Appointment.objects.filter(patient=patient).count() == 2


@pytest.mark.parametrize(
    "data",
    [{}, {"patient": "x", "slot": "1"}, {"patient": "", "slot": "99999999999999999999"}, {"slot": "-1"}],
)
def test_bad_input_is_a_400_and_changes_nothing(client, receptionist, data):
    response = client.post(BOOK_URL, data)

    assert response.status_code == 400
    assert not Appointment.objects.exists()


def test_an_unknown_patient_is_a_404(client, receptionist):
    assert client.get(BOOK_URL, {"patient": "424242"}).status_code == 404
    assert client.post(BOOK_URL, {"patient": "424242", "slot": SlotFactory().pk}).status_code == 404
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("params", [{"doctor": "abc", "date": "tomorrow"}, {"date": "99999-99-99"}, {"q": "x" * 500}])
def test_bad_search_values_never_fail(client, receptionist, params):
    patient = PatientFactory()

    assert client.get(BOOK_URL, {"patient": patient.pk, **params}).status_code == 200


def test_the_booking_page_answers_in_a_fixed_number_of_queries(client, receptionist, django_assert_num_queries):
    patient = PatientFactory()
    doctor = DoctorFactory()
    for hour in (9, 10, 11):
        SlotFactory(doctor=doctor, starts_at=local(tomorrow(), hour))
        AppointmentFactory(patient=patient, slot__starts_at=local(tomorrow() + timedelta(days=2), hour))
    DoctorFactory.create_batch(3)
    url = desk_booking_url(patient_id=patient.pk, doctor_id=doctor.pk, day=tomorrow())

    # user, patient with profile, their upcoming appointments, doctors, free slots
    with django_assert_num_queries(5):
        response = client.get(url)
    assert len(response.context["slots"]) == 3
    with django_assert_num_queries(2):
        client.get(BOOK_URL, {"q": patient.last_name})


@pytest.mark.parametrize("factory", [PatientFactory, DoctorFactory])
def test_patients_and_doctors_cannot_book_for_others(client, factory):
    client.force_login(factory())
    slot = SlotFactory()

    assert client.get(BOOK_URL).status_code == 403
    assert client.post(BOOK_URL, {"patient": PatientFactory().pk, "slot": slot.pk}).status_code == 403
    assert not Appointment.objects.exists()
