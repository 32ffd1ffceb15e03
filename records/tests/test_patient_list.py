"""The patients list: a doctor's own patients, everyone for admins, searchable and paginated."""

import re

import pytest

from accounts.tests.factories import AdminFactory, DoctorFactory, PatientFactory
from scheduling.models import AppointmentStatus
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

# The user (the session is in the cache), then the count and the page of patients with their profiles.
PATIENT_LIST_QUERIES = 3


def listed(response):
    return re.findall(r'<a href="/patients/\d+/record/">([^<]+)</a>', response.content.decode())


def patients_of(doctor, count, **patient_fields):
    return [AppointmentFactory(slot__doctor=doctor, **patient_fields).patient for _ in range(count)]


def test_a_doctor_sees_only_their_own_patients_each_linking_to_the_record(client):
    doctor = DoctorFactory()
    mine = patients_of(doctor, 2)
    AppointmentFactory()  # someone else's patient
    client.force_login(doctor)

    response = client.get("/patients/")

    assert response.status_code == 200
    assert sorted(listed(response)) == sorted(patient.get_full_name() for patient in mine)
    for patient in mine:
        assert f'href="/patients/{patient.pk}/record/"' in response.content.decode()


def test_a_doctors_patients_are_those_of_completed_and_current_appointments_not_cancelled_ones(client):
    doctor = DoctorFactory()
    AppointmentFactory(slot__doctor=doctor, status=AppointmentStatus.CANCELLED, live_slot=None)
    AppointmentFactory(slot__doctor=doctor, status=AppointmentStatus.NO_SHOW)
    completed = AppointmentFactory(slot__doctor=doctor, status=AppointmentStatus.COMPLETED)
    AppointmentFactory(slot__doctor=doctor, patient=completed.patient)  # listed once, not twice
    client.force_login(doctor)

    names = listed(client.get("/patients/"))

    assert sorted(names) == [completed.patient.get_full_name()]


def test_an_admin_sees_every_patient_and_no_staff(client):
    patients = [PatientFactory() for _ in range(3)]
    doctor = DoctorFactory()
    admin = AdminFactory()
    client.force_login(admin)

    names = listed(client.get("/patients/"))

    assert sorted(names) == sorted(patient.get_full_name() for patient in patients)
    assert doctor.get_full_name() not in names


@pytest.mark.parametrize("query", ["maria", "MARÍA", "maría lópez", "lopez", "maria.lopez@", "LOPEZ@clinic"])
def test_the_search_finds_a_patient_by_name_or_email_ignoring_accents_and_case(client, query):
    doctor = DoctorFactory()
    [maria] = patients_of(
        doctor, 1, patient__first_name="María", patient__last_name="López", patient__email="maria.lopez@clinic.test"
    )
    patients_of(doctor, 1, patient__first_name="Juan", patient__last_name="Pérez", patient__email="jp@clinic.test")
    client.force_login(doctor)

    response = client.get("/patients/", {"q": query})

    assert listed(response) == ["María López"]
    assert f'value="{query}"' in response.content.decode()


def test_a_search_that_finds_nobody_says_so(client):
    doctor = DoctorFactory()
    patients_of(doctor, 2)
    client.force_login(doctor)

    response = client.get("/patients/", {"q": "zzzz-nobody"})

    assert listed(response) == []
    assert "No patients found." in response.content.decode()


def test_the_search_does_not_reach_past_a_doctors_own_patients(client):
    doctor = DoctorFactory()
    AppointmentFactory(patient__first_name="María")  # another doctor's
    client.force_login(doctor)

    assert listed(client.get("/patients/", {"q": "maria"})) == []


def test_the_list_is_paginated_twenty_to_a_page_keeping_the_search(client):
    doctor = DoctorFactory()
    patients_of(doctor, 21, patient__last_name="García")
    client.force_login(doctor)

    first = client.get("/patients/", {"q": "garcia"})
    second = client.get("/patients/", {"q": "garcia", "page": 2})

    assert len(listed(first)) == 20
    assert len(listed(second)) == 1
    assert "Page 1 of 2" in first.content.decode()
    assert 'href="?q=garcia&amp;page=2"' in first.content.decode()


@pytest.mark.parametrize("count", [3, 20])
def test_the_list_takes_the_same_number_of_queries_for_3_or_20_patients(client, django_assert_num_queries, count):
    doctor = DoctorFactory()
    patients_of(doctor, count)
    client.force_login(doctor)

    with django_assert_num_queries(PATIENT_LIST_QUERIES):
        response = client.get("/patients/")

    assert len(listed(response)) == count


@pytest.mark.parametrize("count", [3, 20])
def test_the_admins_list_takes_the_same_number_of_queries_for_3_or_20_patients(
    client, django_assert_num_queries, count
):
    for _ in range(count):
        PatientFactory()
    client.force_login(AdminFactory())

    # An administrator's session also reads the second factor's device it passed.
    with django_assert_num_queries(PATIENT_LIST_QUERIES + 1):
        response = client.get("/patients/")

    assert len(listed(response)) == count
