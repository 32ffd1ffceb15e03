"""The compact availability page: ranges per day, removing a range or a day, blocking and unblocking a day."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import DoctorFactory
from scheduling.models import BlockedDay, ClinicClosure, Slot, SlotStatus
from scheduling.tests.factories import AppointmentFactory, SlotFactory
from scheduling.tests.helpers import local, shown_messages

pytestmark = pytest.mark.django_db

AVAILABILITY_URL = reverse("scheduling:availability")
REMOVE_URL = reverse("scheduling:remove_slots")
BLOCK_URL = reverse("scheduling:block_day")
UNBLOCK_URL = reverse("scheduling:unblock_day")


@pytest.fixture
def doctor(client):
    doctor = DoctorFactory()
    client.force_login(doctor)
    return doctor


@pytest.fixture
def day():
    return timezone.localdate() + timedelta(days=3)


def hours(day, first, last, doctor, *, minutes=30, booked=()):
    """Back-to-back slots of ``minutes`` from ``first`` to ``last`` (HH:MM strings) on ``day``; some booked."""
    start = local(day, *map(int, first.split(":")))
    end = local(day, *map(int, last.split(":")))
    slots = []
    while start < end:
        stop = start + timedelta(minutes=minutes)
        if timezone.localtime(start).strftime("%H:%M") in booked:
            slots.append(AppointmentFactory(slot__doctor=doctor, slot__starts_at=start, slot__ends_at=stop).slot)
        else:
            slots.append(SlotFactory(doctor=doctor, starts_at=start, ends_at=stop))
        start = stop
    return slots


def open_times(doctor):
    return [
        timezone.localtime(starts_at).strftime("%H:%M")
        for starts_at in Slot.objects.filter(doctor=doctor, status=SlotStatus.OPEN)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
    ]


def test_a_day_shows_as_ranges_with_slot_length_and_counts_not_checkboxes(client, doctor, day):
    hours(day, "09:00", "13:00", doctor, booked=("10:00", "11:30", "12:00"))
    hours(day, "16:00", "18:00", doctor)
    hours(day, "18:00", "19:00", doctor, minutes=20)

    response = client.get(AVAILABILITY_URL)

    [shown] = response.context["days"]
    ranges = [
        (timezone.localtime(r.starts_at).strftime("%H:%M"), timezone.localtime(r.ends_at).strftime("%H:%M"),
         r.slot_minutes, r.open_count, r.booked_count)
        for r in shown.ranges
    ]  # fmt: skip
    assert ranges == [("09:00", "13:00", 30, 5, 3), ("16:00", "18:00", 30, 4, 0), ("18:00", "19:00", 20, 3, 0)]
    assert "09:00–13:00</strong>,\n        30-minute slots,\n        5 free,\n        3 booked" in response.text
    assert 'type="checkbox" name="slots"' not in response.text


def test_removing_a_range_removes_its_free_slots_only(client, doctor, day):
    hours(day, "09:00", "11:00", doctor, booked=("10:00",))
    hours(day, "16:00", "17:00", doctor)

    response = client.post(REMOVE_URL, {"day": day.isoformat(), "start_time": "09:00", "end_time": "11:00"})

    assert response.status_code == 302
    assert open_times(doctor) == ["16:00", "16:30"]
    assert Slot.objects.filter(doctor=doctor, status=SlotStatus.BOOKED).count() == 1
    assert shown_messages(response) == [
        "3 open slots removed.",
        "1 booked slot was kept: cancel that appointment if you must.",
    ]


def test_removing_a_day_removes_every_free_slot_of_that_day_and_no_other(client, doctor, day):
    hours(day, "09:00", "10:00", doctor, booked=("09:30",))
    hours(day, "16:00", "17:00", doctor)
    hours(day + timedelta(days=1), "09:00", "10:00", doctor)
    someone_elses = SlotFactory(starts_at=local(day, 9))

    response = client.post(REMOVE_URL, {"day": day.isoformat()})

    assert response.status_code == 302
    assert open_times(doctor) == ["09:00", "09:30"]  # the next day's
    assert Slot.objects.filter(pk=someone_elses.pk).exists()


@pytest.mark.parametrize(
    "form",
    [
        {"day": "2026-02-30"},
        {"day": ""},
        {"day": "1999-01-01"},
        {"start_time": "09:00"},
        {"day": "+3", "start_time": "11:00", "end_time": "09:00"},
        {"day": "+3", "start_time": "25:00"},
    ],
)
def test_an_unreadable_range_removes_nothing_and_says_so(client, doctor, day, form):
    hours(day, "09:00", "11:00", doctor)
    if form.get("day") == "+3":
        form = {**form, "day": day.isoformat()}

    response = client.post(REMOVE_URL, form)

    assert response.status_code == 302
    assert len(open_times(doctor)) == 4
    assert shown_messages(response) == ["Those open slots could not be found; nothing was removed."]


def test_the_old_slot_list_form_still_removes_chosen_slots(client, doctor, day):
    first, second = hours(day, "09:00", "10:00", doctor)

    client.post(REMOVE_URL, {"slots": [first.pk]})

    assert list(Slot.objects.filter(doctor=doctor)) == [second]


def test_blocking_then_unblocking_a_day_restores_exactly_the_free_slots_it_closed(client, doctor, day):
    hours(day, "09:00", "11:00", doctor, booked=("10:00",))
    before = open_times(doctor)

    blocked = client.post(BLOCK_URL, {"day": day.isoformat()})

    assert open_times(doctor) == []
    assert Slot.objects.filter(doctor=doctor, status=SlotStatus.BOOKED).count() == 1
    assert shown_messages(blocked)[0] == "3 open slots removed."
    page = client.get(AVAILABILITY_URL)
    assert "Blocked: 3 free slots closed." in page.text
    assert f'name="day" value="{day.isoformat()}"><button type="submit" class="link-button">Undo the block' in page.text

    undone = client.post(UNBLOCK_URL, {"day": day.isoformat()})

    assert undone.status_code == 302
    assert shown_messages(undone) == ["The day is unblocked; 3 open slots are back."]
    assert open_times(doctor) == before
    assert Slot.objects.filter(doctor=doctor, status=SlotStatus.BOOKED).count() == 1
    assert not BlockedDay.objects.filter(doctor=doctor).exists()


def test_unblocking_never_reopens_a_slot_on_a_clinic_closure(client, doctor, day):
    hours(day, "09:00", "10:00", doctor)
    client.post(BLOCK_URL, {"day": day.isoformat()}, follow=True)
    ClinicClosure.objects.create(day=day, name="Asueto")

    response = client.post(UNBLOCK_URL, {"day": day.isoformat()})

    assert shown_messages(response) == ["The day is unblocked; 0 open slots are back."]
    assert open_times(doctor) == []


@pytest.mark.parametrize("value", ["", "2026-02-30", "1999-01-01", "+3"])
def test_unblocking_a_day_that_is_not_blocked_changes_nothing_and_says_so(client, doctor, day, value):
    hours(day, "09:00", "10:00", doctor)
    other = DoctorFactory()
    BlockedDay.objects.create(doctor=other, day=day)

    response = client.post(UNBLOCK_URL, {"day": day.isoformat() if value == "+3" else value})

    assert response.status_code == 302
    assert shown_messages(response) == ["That day is not blocked."]
    assert BlockedDay.objects.filter(doctor=other, day=day).exists()


def test_opening_hours_again_skips_blocked_days_and_clinic_closures(client, doctor, day):
    closed = day + timedelta(days=1)
    ClinicClosure.objects.create(day=closed, name="Día de la Independencia")
    client.post(BLOCK_URL, {"day": day.isoformat()}, follow=True)

    response = client.post(
        AVAILABILITY_URL,
        {
            "start_date": day.isoformat(),
            "end_date": (day + timedelta(days=2)).isoformat(),
            "weekdays": [str(n) for n in range(7)],
            "start_time": "09:00",
            "end_time": "10:00",
            "slot_minutes": "30",
        },
    )

    assert response.status_code == 302
    opened_days = {
        timezone.localdate(s) for s in Slot.objects.filter(doctor=doctor).values_list("starts_at", flat=True)
    }
    assert opened_days == {day + timedelta(days=2)}
    assert shown_messages(response) == [
        "2 slots opened; 0 already existed and were left as they were.",
        "4 slots were not opened because their days are blocked or the clinic is closed.",
    ]


def test_the_page_marks_blocked_days_and_closures(client, doctor, day):
    BlockedDay.objects.create(doctor=doctor, day=day)
    ClinicClosure.objects.create(day=day + timedelta(days=1), name="Navidad")

    response = client.get(AVAILABILITY_URL)

    assert [d.day for d in response.context["days"]] == [day, day + timedelta(days=1)]
    assert "Blocked: 0 free slots closed." in response.text
    assert "Clinic closed: Navidad" in response.text


@pytest.mark.parametrize("days", [1, 12])
def test_the_page_takes_the_same_number_of_queries_for_1_or_12_days(
    client, doctor, day, days, django_assert_num_queries
):
    for n in range(days):
        hours(day + timedelta(days=n), "09:00", "11:00", doctor, booked=("10:00",))
    BlockedDay.objects.create(doctor=doctor, day=day + timedelta(days=20))
    ClinicClosure.objects.create(day=day + timedelta(days=21), name="Asueto")

    # user, slots, blocked days, closures
    with django_assert_num_queries(4):
        response = client.get(AVAILABILITY_URL)

    assert len(response.context["days"]) == days + 2
