"""The desk: a column per working doctor, the waiting room in arrival order, any day without a 500."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AdminFactory, DoctorFactory, PatientFactory, ReceptionFactory
from desk.links import desk_day_url
from scheduling.models import AppointmentStatus
from scheduling.tests.factories import AppointmentFactory, SlotFactory
from scheduling.tests.helpers import days_ahead, local, starting_in

pytestmark = pytest.mark.django_db

DESK_URL = reverse("desk:day")


@pytest.fixture
def receptionist(client):
    user = ReceptionFactory()
    client.force_login(user)
    return user


def today_at(hour, minute=0):
    return local(timezone.localdate(), hour, minute)


def test_it_shows_one_column_per_working_doctor_in_name_order(client, receptionist):
    tomorrow = timezone.localdate() + timedelta(days=1)
    zapata = DoctorFactory(first_name="Ana", last_name="Zapata")
    avila = DoctorFactory(first_name="Luis", last_name="Ávila")
    DoctorFactory(first_name="Sin", last_name="Agenda")
    AppointmentFactory(slot__doctor=zapata, slot__starts_at=local(tomorrow, 10), patient__first_name="Marta")
    AppointmentFactory(slot__doctor=zapata, slot__starts_at=local(tomorrow, 9), patient__first_name="Olga")
    SlotFactory(doctor=avila, starts_at=local(tomorrow, 11))

    response = client.get(DESK_URL, {"date": tomorrow.isoformat()})

    desk = response.context["desk"]
    assert [column.doctor for column in desk.columns] == [avila, zapata]
    assert [a.patient.first_name for a in desk.columns[1].appointments] == ["Olga", "Marta"]
    assert desk.columns[0].free_slots == 1
    assert desk.waiting_room == []  # only today has a waiting room
    assert "Sin Agenda" not in response.content.decode()


def test_the_waiting_room_lists_checked_in_patients_in_arrival_order_with_minutes_waited(client, receptionist):
    now = timezone.now()
    doctor = DoctorFactory()
    second = AppointmentFactory(slot__doctor=doctor, slot__starts_at=starting_in(minutes=5), patient__first_name="Beto")
    first = AppointmentFactory(slot__doctor=doctor, slot__starts_at=starting_in(minutes=35), patient__first_name="Ana")
    first.checked_in_at = now - timedelta(minutes=25)
    second.checked_in_at = now - timedelta(minutes=10)
    first.save()
    second.save()
    with_doctor = AppointmentFactory(
        slot__doctor=doctor,
        slot__starts_at=starting_in(minutes=65),
        checked_in_at=now - timedelta(minutes=40),
        consultation_opened_at=now,
    )
    AppointmentFactory(slot__doctor=doctor, slot__starts_at=starting_in(minutes=95))  # not here yet

    response = client.get(DESK_URL)

    waiting = response.context["desk"].waiting_room
    assert [item.appointment for item in waiting] == [first, second]
    assert [item.minutes for item in waiting] == [25, 10]
    assert with_doctor not in [item.appointment for item in waiting]
    assert "waiting 25 minutes" in response.content.decode()


def test_cancelled_appointments_are_counted_not_listed(client, receptionist):
    appointment = AppointmentFactory(slot__starts_at=starting_in(hours=2), status=AppointmentStatus.CANCELLED)

    response = client.get(DESK_URL)

    assert response.context["desk"].cancelled == 1
    assert appointment.patient.get_full_name() not in response.content.decode()


@pytest.mark.parametrize("value", ["", "yesterday", "2026-02-30", "99999-01-01", "0001-01-01", "2026-1-1x"])
def test_a_bad_date_shows_today_and_never_fails(client, receptionist, value):
    response = client.get(DESK_URL, {"date": value})

    assert response.status_code == 200
    assert response.context["desk"].day == timezone.localdate()


def test_the_picked_patient_is_marked(client, receptionist):
    appointment = AppointmentFactory(slot__starts_at=starting_in(hours=3))

    response = client.get(desk_day_url(timezone.localdate(appointment.starts_at), patient_id=appointment.patient_id))

    assert 'class="desk-appointment status-row-scheduled picked"' in response.content.decode()


def test_the_reminder_delivery_state_is_still_shown(client, receptionist):
    # Noon two days ahead: its reminder (a day before) is still due whatever the time of day now.
    appointment = AppointmentFactory(slot__starts_at=days_ahead(2, hour=12))

    response = client.get(DESK_URL, {"date": timezone.localdate(appointment.starts_at).isoformat()})

    assert "due " in response.content.decode()


def test_the_desk_answers_in_a_fixed_number_of_queries(client, receptionist, django_assert_num_queries):
    def fill(count):
        for _ in range(count):
            doctor = DoctorFactory()
            AppointmentFactory(
                slot__doctor=doctor, slot__starts_at=starting_in(minutes=30), checked_in_at=timezone.now()
            )
            SlotFactory(doctor=doctor, starts_at=starting_in(hours=3))

    fill(1)
    # user (the session is in Redis), appointments, their reminders, working doctors
    with django_assert_num_queries(4):
        client.get(DESK_URL)
    fill(3)
    with django_assert_num_queries(4):
        response = client.get(DESK_URL)
    assert len(response.context["desk"].columns) == 4


def test_the_reception_home_is_todays_desk_in_a_fixed_number_of_queries(
    client, receptionist, django_assert_num_queries
):
    AppointmentFactory(slot__starts_at=starting_in(minutes=30), checked_in_at=timezone.now())

    with django_assert_num_queries(4):
        response = client.get(reverse("home"))

    assert [t.name for t in response.templates][0] == "home/reception.html"
    assert len(response.context["desk"].waiting_room) == 1
    page = response.content.decode()
    assert reverse("desk:register_patient") in page and reverse("desk:book") in page


def test_appointments_sends_reception_and_admins_to_the_desk_on_the_same_day(client):
    client.force_login(AdminFactory())

    response = client.get(reverse("scheduling:appointments"), {"day": "2026-12-24"})

    assert response.status_code == 302
    assert response["Location"] == desk_day_url(timezone.datetime(2026, 12, 24).date())


@pytest.mark.parametrize("factory", [PatientFactory, DoctorFactory])
def test_patients_and_doctors_have_no_desk(client, factory):
    client.force_login(factory())

    assert client.get(DESK_URL).status_code == 403
