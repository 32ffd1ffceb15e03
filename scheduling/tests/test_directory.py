"""The doctor directory and the doctor page: search, filters, pages, and a constant number of queries."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.tests.factories import DoctorFactory, PatientFactory
from scheduling.public_pages import DOCTORS_PER_PAGE
from scheduling.queries import DOCTOR_PAGE_DAYS
from scheduling.tests.factories import AppointmentFactory, SlotFactory, SpecialtyFactory
from scheduling.tests.helpers import days_ahead

pytestmark = pytest.mark.django_db

DIRECTORY_URL = reverse("scheduling:directory")

# Anonymous visitor: the count, the page of doctors, their specialties, the specialty menu.
DIRECTORY_QUERIES = 4
# The doctor with profile, their specialties, their open slots.
DOCTOR_PAGE_QUERIES = 3


def doctor_with_specialties_and_slots(n, *, slots=3):
    doctor = DoctorFactory(last_name=f"Apellido{n:03d}")
    doctor.doctor_profile.specialties.set([SpecialtyFactory(name="Cardiología"), SpecialtyFactory()])
    for hour in range(slots):
        SlotFactory(doctor=doctor, starts_at=days_ahead(1 + n % 5, 8 + hour))
    return doctor


def names_listed(response):
    return [doctor.get_full_name() for doctor in response.context["page"].object_list]


@pytest.mark.parametrize("doctors", [3, 15])
def test_the_directory_costs_the_same_queries_for_3_or_15_doctors(client, django_assert_num_queries, doctors):
    for n in range(doctors):
        doctor_with_specialties_and_slots(n)

    with django_assert_num_queries(DIRECTORY_QUERIES):
        response = client.get(DIRECTORY_URL)

    assert len(response.context["page"].object_list) == min(doctors, DOCTORS_PER_PAGE)
    assert response.text.count("Cardiología,") + response.text.count(", Cardiología") == min(doctors, DOCTORS_PER_PAGE)


@pytest.mark.parametrize("doctors", [3, 15])
def test_a_filtered_search_costs_the_same_queries_too(client, django_assert_num_queries, doctors):
    for n in range(doctors):
        doctor_with_specialties_and_slots(n)
    cardiology = SpecialtyFactory(name="Cardiología")

    with django_assert_num_queries(DIRECTORY_QUERIES):
        client.get(DIRECTORY_URL, {"q": "apellido", "specialty": cardiology.pk, "page": 1})


@pytest.mark.parametrize("slots", [5, 60])
def test_the_doctor_page_costs_the_same_queries_for_5_or_60_slots(client, django_assert_num_queries, slots):
    doctor = doctor_with_specialties_and_slots(0, slots=0)
    start = days_ahead(1, 0)
    for n in range(slots):
        SlotFactory(doctor=doctor, starts_at=start + timedelta(hours=n))

    with django_assert_num_queries(DOCTOR_PAGE_QUERIES):
        response = client.get(reverse("scheduling:doctor", args=[doctor.pk]))

    assert len(re.findall(r'<a class="slot-link" href="/slots/\d+/book/"', response.text)) == slots


def test_a_logged_in_patient_adds_only_the_user_lookup(client, django_assert_num_queries):
    doctor = doctor_with_specialties_and_slots(0, slots=5)
    client.force_login(PatientFactory())

    with django_assert_num_queries(DOCTOR_PAGE_QUERIES + 1):
        client.get(reverse("scheduling:doctor", args=[doctor.pk]))
    with django_assert_num_queries(DIRECTORY_QUERIES + 1):
        client.get(DIRECTORY_URL)


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("jose", ["José Pérez"]),
        ("PÉREZ", ["José Pérez"]),
        ("perez jose", ["José Pérez"]),
        ("JOSÉ", ["José Pérez"]),
        ("ana", ["Ana Núñez"]),
        ("nunez", ["Ana Núñez"]),
        ("zzz", []),
        ("", ["Ana Núñez", "José Pérez"]),
    ],
)
def test_the_name_search_ignores_accents_and_case(client, query, found):
    DoctorFactory(first_name="José", last_name="Pérez")
    DoctorFactory(first_name="Ana", last_name="Núñez")
    PatientFactory(first_name="José", last_name="Paciente")

    response = client.get(DIRECTORY_URL, {"q": query})

    assert names_listed(response) == found


def test_the_specialty_filter_lists_only_doctors_of_that_specialty(client):
    cardiology, pediatrics = SpecialtyFactory(name="Cardiología"), SpecialtyFactory(name="Pediatría")
    heart = DoctorFactory(first_name="Corazón", last_name="Uno")
    heart.doctor_profile.specialties.set([cardiology, pediatrics])
    children = DoctorFactory(first_name="Niños", last_name="Dos")
    children.doctor_profile.specialties.set([pediatrics])

    assert names_listed(client.get(DIRECTORY_URL, {"specialty": cardiology.pk})) == ["Corazón Uno"]
    assert names_listed(client.get(DIRECTORY_URL, {"specialty": pediatrics.pk})) == ["Niños Dos", "Corazón Uno"]
    response = client.get(DIRECTORY_URL, {"specialty": pediatrics.pk, "q": "ninos"})
    assert names_listed(response) == ["Niños Dos"]
    assert f'<option value="{pediatrics.pk}" selected>' in response.text


@pytest.mark.parametrize("specialty", ["", "abc", "²", "-1", "99999999999999999999999"])
def test_a_malformed_specialty_is_ignored_not_a_server_error(client, specialty):
    DoctorFactory()

    response = client.get(DIRECTORY_URL, {"specialty": specialty})

    assert response.status_code == 200
    assert len(names_listed(response)) == 1


def test_the_directory_is_paginated(client):
    for n in range(DOCTORS_PER_PAGE + 3):
        DoctorFactory(last_name=f"Apellido{n:03d}")

    first = client.get(DIRECTORY_URL)
    second = client.get(DIRECTORY_URL, {"page": 2})
    beyond = client.get(DIRECTORY_URL, {"page": 99})

    assert len(names_listed(first)) == DOCTORS_PER_PAGE
    assert len(names_listed(second)) == 3
    assert not set(names_listed(first)) & set(names_listed(second))
    assert names_listed(beyond) == names_listed(second)
    assert 'rel="next"' in first.text and "page=2" in first.text


def test_pagination_keeps_the_search(client):
    for n in range(DOCTORS_PER_PAGE + 1):
        DoctorFactory(first_name="José", last_name=f"Apellido{n:03d}")

    response = client.get(DIRECTORY_URL, {"q": "jose"})

    assert "q=jose&amp;page=2" in response.text


def test_inactive_doctors_are_not_listed(client):
    DoctorFactory(first_name="Retirado", is_active=False)

    assert names_listed(client.get(DIRECTORY_URL, {"q": "retirado"})) == []


def test_each_doctor_shows_their_next_free_slot(client):
    doctor = DoctorFactory()
    AppointmentFactory(slot__doctor=doctor, slot__starts_at=days_ahead(1, 9))
    SlotFactory(doctor=doctor, starts_at=days_ahead(1, 8) - timedelta(days=3))
    SlotFactory(doctor=doctor, starts_at=days_ahead(2, 10))
    SlotFactory(doctor=doctor, starts_at=days_ahead(4, 10))
    idle = DoctorFactory(last_name="Zzz")

    listed = {d.pk: d.next_free_slot for d in client.get(DIRECTORY_URL).context["page"].object_list}

    assert listed == {doctor.pk: days_ahead(2, 10), idle.pk: None}


# --- the doctor page ---------------------------------------------------------


def test_the_doctor_page_shows_open_future_slots_grouped_by_day(client):
    doctor = DoctorFactory()
    SlotFactory(doctor=doctor, starts_at=days_ahead(1, 9))
    SlotFactory(doctor=doctor, starts_at=days_ahead(1, 9, 30))
    SlotFactory(doctor=doctor, starts_at=days_ahead(2, 16))
    AppointmentFactory(slot__doctor=doctor, slot__starts_at=days_ahead(1, 10))
    SlotFactory(doctor=doctor, starts_at=timezone.now() - timedelta(hours=1))
    SlotFactory(doctor=doctor, starts_at=days_ahead(DOCTOR_PAGE_DAYS + 2, 9))
    SlotFactory(starts_at=days_ahead(1, 11))

    response = client.get(reverse("scheduling:doctor", args=[doctor.pk]))

    days = [(day, [slot["time"] for slot in times]) for day, times in response.context["days"]]
    today = timezone.localdate()
    assert days == [
        (date_format(today + timedelta(days=1), "DATE_FORMAT"), ["09:00", "09:30"]),
        (date_format(today + timedelta(days=2), "DATE_FORMAT"), ["16:00"]),
    ]


def test_a_patient_gets_one_link_per_slot_to_its_confirmation_and_no_booking_form(client):
    doctor = DoctorFactory()
    slots = [SlotFactory(doctor=doctor, starts_at=days_ahead(1, hour)) for hour in (9, 10, 11)]
    client.force_login(PatientFactory())

    response = client.get(reverse("scheduling:doctor", args=[doctor.pk]))

    for slot in slots:
        assert f'href="{reverse("scheduling:book", args=[slot.pk])}"' in response.text
    assert 'action="/slots/' not in response.text


def test_anonymous_visitors_are_invited_to_log_in_to_book(client):
    doctor = DoctorFactory()
    slot = SlotFactory(doctor=doctor, starts_at=days_ahead(1, 9))

    response = client.get(reverse("scheduling:doctor", args=[doctor.pk]))

    assert f"{reverse('accounts:login')}?next={reverse('scheduling:doctor', args=[doctor.pk])}" in response.text
    # A chosen time leads through the login to its confirmation page.
    assert f'href="{reverse("scheduling:book", args=[slot.pk])}"' in response.text
    assert 'action="/slots/' not in response.text


@pytest.mark.parametrize("who", ["patient", "inactive doctor"])
def test_the_doctor_page_is_404_for_anyone_but_an_active_doctor(client, who):
    user = PatientFactory() if who == "patient" else DoctorFactory(is_active=False)

    assert client.get(reverse("scheduling:doctor", args=[user.pk])).status_code == 404


@pytest.mark.django_db
def test_a_doctor_whose_next_slot_is_beyond_the_doctor_page_window_shows_no_free_slot(client):
    far = SlotFactory(starts_at=timezone.now() + timedelta(days=DOCTOR_PAGE_DAYS + 5))

    response = client.get(reverse("scheduling:directory"))

    doctor = next(d for d in response.context["page"].object_list if d.pk == far.doctor_id)
    assert doctor.next_free_slot is None
