"""The doctor's availability page: opening a month in one form, removing slots, blocking a day."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import DoctorFactory
from scheduling.models import Slot, SlotStatus
from scheduling.tests.factories import AppointmentFactory, SlotFactory
from scheduling.tests.helpers import local, shown_messages

pytestmark = pytest.mark.django_db

AVAILABILITY_URL = reverse("scheduling:availability")


@pytest.fixture
def doctor(client):
    doctor = DoctorFactory()
    client.force_login(doctor)
    return doctor


def a_month_of_weekday_mornings():
    start = timezone.localdate() + timedelta(days=1)
    end = start + timedelta(days=30)
    form = {
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "weekdays": ["0", "1", "2", "3", "4"],
        "start_time": "09:00",
        "end_time": "13:00",
        "slot_minutes": "30",
    }
    weekdays = sum(1 for n in range(31) if (start + timedelta(days=n)).weekday() < 5)
    return form, weekdays * 8


def test_a_doctor_sees_the_availability_form(client, doctor):
    response = client.get(AVAILABILITY_URL)

    assert response.status_code == 200
    for field in ("start_date", "end_date", "weekdays", "start_time", "end_time", "slot_minutes"):
        assert f'name="{field}"' in response.text


def test_a_doctor_opens_a_month_of_slots_in_one_form_and_sees_how_many(client, doctor):
    form, expected = a_month_of_weekday_mornings()

    response = client.post(AVAILABILITY_URL, form)

    assert response.status_code == 302
    assert response["Location"] == AVAILABILITY_URL
    assert Slot.objects.filter(doctor=doctor, status=SlotStatus.OPEN).count() == expected
    assert shown_messages(response) == [f"{expected} slots opened; 0 already existed and were left as they were."]


def test_posting_the_same_month_again_reports_the_slots_as_existing(client, doctor):
    form, expected = a_month_of_weekday_mornings()
    client.post(AVAILABILITY_URL, form, follow=True)

    response = client.post(AVAILABILITY_URL, form)

    assert response.status_code == 302
    assert shown_messages(response) == [f"0 slots opened; {expected} already existed and were left as they were."]
    assert Slot.objects.filter(doctor=doctor).count() == expected


def test_overlapping_hours_of_another_length_show_the_conflict_and_open_nothing(client, doctor):
    form, expected = a_month_of_weekday_mornings()
    client.post(AVAILABILITY_URL, form)

    response = client.post(AVAILABILITY_URL, {**form, "slot_minutes": "45"})

    assert response.status_code == 200
    assert "overlap an existing slot" in response.text
    assert Slot.objects.filter(doctor=doctor).count() == expected


def test_an_invalid_range_is_shown_on_the_form_and_opens_nothing(client, doctor):
    form, _ = a_month_of_weekday_mornings()
    start = timezone.localdate() + timedelta(days=1)

    response = client.post(AVAILABILITY_URL, {**form, "end_date": (start + timedelta(days=200)).isoformat()})

    assert response.status_code == 200
    assert "Open at most 180 days at a time." in response.text
    assert not Slot.objects.filter(doctor=doctor).exists()


def test_removing_slots_removes_only_the_doctors_own_open_ones(client, doctor):
    own_open = SlotFactory(doctor=doctor)
    own_booked = AppointmentFactory(slot__doctor=doctor).slot
    someone_elses = SlotFactory()

    response = client.post(
        reverse("scheduling:remove_slots"), {"slots": [own_open.pk, own_booked.pk, someone_elses.pk, "x"]}
    )

    assert response.status_code == 302
    assert response["Location"] == AVAILABILITY_URL
    assert list(Slot.objects.order_by("pk")) == [own_booked, someone_elses]
    removed, kept = shown_messages(response)
    assert removed.startswith("1 open slot")
    assert kept.startswith("1 booked slot")


def test_blocking_a_day_removes_only_the_doctors_own_open_slots_of_that_day(client, doctor):
    day = timezone.localdate() + timedelta(days=3)
    own_open = SlotFactory(doctor=doctor, starts_at=local(day, 9))
    own_booked = AppointmentFactory(slot__doctor=doctor, slot__starts_at=local(day, 10)).slot
    own_next_day = SlotFactory(doctor=doctor, starts_at=local(day + timedelta(days=1), 9))
    someone_elses = SlotFactory(starts_at=local(day, 9))

    response = client.post(reverse("scheduling:block_day"), {"day": day.isoformat()})

    assert response.status_code == 302
    assert not Slot.objects.filter(pk=own_open.pk).exists()
    assert set(Slot.objects.all()) == {own_booked, own_next_day, someone_elses}
    assert [message[:13] for message in shown_messages(response)] == ["1 open slot r", "1 booked slot"]


def test_blocking_a_day_that_is_over_is_refused(client, doctor):
    yesterday = timezone.localdate() - timedelta(days=1)

    response = client.post(reverse("scheduling:block_day"), {"day": yesterday.isoformat()})

    assert response.status_code == 302
    assert shown_messages(response) == ["That day is already over."]
