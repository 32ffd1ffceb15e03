"""Opening, removing and blocking slots: the availability service and its form."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import DoctorFactory, PatientFactory
from scheduling.availability import block_day, open_slots, planned_slots, remove_open_slots
from scheduling.exceptions import AvailabilityConflict, NotAllowed
from scheduling.forms import AvailabilityForm
from scheduling.models import Slot, SlotStatus
from scheduling.tests.factories import AppointmentFactory, SlotFactory
from scheduling.tests.helpers import local, next_weekday

pytestmark = pytest.mark.django_db

EVERY_DAY = list(range(7))


def open_mornings(doctor, first_day, last_day=None, *, weekdays=EVERY_DAY, start=time(9), end=time(11), minutes=30):
    return open_slots(
        doctor=doctor,
        start_date=first_day,
        end_date=last_day or first_day,
        weekdays=weekdays,
        start_time=start,
        end_time=end,
        slot_minutes=minutes,
    )


def slot_times(doctor):
    return [
        timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M")
        for starts_at in Slot.objects.filter(doctor=doctor).order_by("starts_at").values_list("starts_at", flat=True)
    ]


def test_opening_hours_makes_back_to_back_slots_that_end_by_the_end_time():
    doctor = DoctorFactory()
    day = next_weekday(0)

    result = open_mornings(doctor, day, start=time(9), end=time(10, 40), minutes=30)

    assert (result.opened, result.already_existed) == (3, 0)
    slots = list(Slot.objects.filter(doctor=doctor).order_by("starts_at"))
    assert [(s.starts_at, s.ends_at) for s in slots] == [
        (local(day, 9), local(day, 9, 30)),
        (local(day, 9, 30), local(day, 10)),
        (local(day, 10), local(day, 10, 30)),
    ]
    assert {s.status for s in slots} == {SlotStatus.OPEN}


def test_opening_the_same_hours_twice_opens_nothing_the_second_time():
    doctor = DoctorFactory()
    first_day = next_weekday(0)
    open_mornings(doctor, first_day, first_day + timedelta(days=6))

    again = open_mornings(doctor, first_day, first_day + timedelta(days=6))

    assert (again.opened, again.already_existed) == (0, 28)
    assert Slot.objects.filter(doctor=doctor).count() == 28


def test_widening_the_hours_opens_only_the_missing_slots_and_leaves_booked_ones_alone():
    doctor = DoctorFactory()
    day = next_weekday(2)
    open_mornings(doctor, day, start=time(9), end=time(10))
    booked = AppointmentFactory(slot=Slot.objects.get(doctor=doctor, starts_at=local(day, 9)))
    Slot.objects.filter(pk=booked.slot_id).update(status=SlotStatus.BOOKED)

    result = open_mornings(doctor, day, start=time(8), end=time(11))

    assert (result.opened, result.already_existed) == (4, 2)
    assert Slot.objects.get(pk=booked.slot_id).status == SlotStatus.BOOKED


def test_slots_that_have_already_started_are_skipped():
    doctor = DoctorFactory()
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)

    result = open_mornings(doctor, today - timedelta(days=1), tomorrow, start=time(0), end=time(23, 30))

    assert not Slot.objects.filter(doctor=doctor, starts_at__lte=timezone.now()).exists()
    assert Slot.objects.filter(doctor=doctor).count() == result.opened
    tomorrows = Slot.objects.filter(doctor=doctor, starts_at__gte=local(tomorrow, 0), starts_at__lt=local(tomorrow, 23))
    assert tomorrows.count() == 46


def test_a_range_entirely_in_the_past_opens_nothing():
    doctor = DoctorFactory()
    last_week = timezone.localdate() - timedelta(days=7)

    result = open_mornings(doctor, last_week, last_week + timedelta(days=3))

    assert (result.opened, result.already_existed) == (0, 0)
    assert not Slot.objects.filter(doctor=doctor).exists()


def test_slots_of_another_length_over_existing_hours_are_refused_and_nothing_is_written():
    doctor = DoctorFactory()
    first_day = next_weekday(0)
    open_mornings(doctor, first_day, first_day + timedelta(days=4), minutes=30)
    before = slot_times(doctor)

    with pytest.raises(AvailabilityConflict):
        open_mornings(doctor, first_day, first_day + timedelta(days=13), start=time(9), end=time(12), minutes=45)

    assert slot_times(doctor) == before


def test_slots_of_the_same_length_at_shifted_times_overlap_too():
    doctor = DoctorFactory()
    day = next_weekday(3)
    open_mornings(doctor, day, start=time(9), end=time(10))

    with pytest.raises(AvailabilityConflict):
        open_mornings(doctor, day, start=time(9, 15), end=time(10, 15))

    assert Slot.objects.filter(doctor=doctor).count() == 2


def test_hours_that_only_touch_existing_slots_do_not_conflict():
    doctor = DoctorFactory()
    day = next_weekday(3)
    open_mornings(doctor, day, start=time(9), end=time(10), minutes=30)

    result = open_mornings(doctor, day, start=time(10), end=time(11, 30), minutes=45)

    assert result.opened == 2
    assert Slot.objects.filter(doctor=doctor).count() == 4


def test_another_doctors_slots_never_conflict():
    day = next_weekday(1)
    open_mornings(DoctorFactory(), day, minutes=30)
    doctor = DoctorFactory()

    result = open_mornings(doctor, day, minutes=45)

    assert result.opened == 2


def test_only_the_chosen_weekdays_get_slots():
    doctor = DoctorFactory()
    monday = next_weekday(0)

    open_mornings(doctor, monday, monday + timedelta(days=13), weekdays=[0, 2, 4], start=time(9), end=time(9, 30))

    days = Slot.objects.filter(doctor=doctor).values_list("starts_at", flat=True)
    assert sorted({timezone.localtime(starts_at).weekday() for starts_at in days}) == [0, 2, 4]
    assert len(days) == 6


def test_only_doctors_can_open_slots():
    with pytest.raises(NotAllowed):
        open_mornings(PatientFactory(), next_weekday(0))

    assert not Slot.objects.exists()


def test_planned_slots_are_in_clinic_time_and_stored_in_utc():
    monday = next_weekday(0)

    ((starts_at, ends_at),) = planned_slots(
        start_date=monday,
        end_date=monday,
        weekdays=[0],
        start_time=time(9),
        end_time=time(9, 30),
        slot_minutes=30,
    )

    # America/Merida is UTC-6 all year.
    assert starts_at.astimezone(timezone.UTC).hour == 15
    assert ends_at - starts_at == timedelta(minutes=30)


def test_removing_slots_removes_open_ones_and_keeps_and_reports_booked_ones():
    doctor = DoctorFactory()
    open_ones = SlotFactory.create_batch(2, doctor=doctor)
    booked = AppointmentFactory(slot__doctor=doctor).slot

    result = remove_open_slots(doctor=doctor, slot_ids=[slot.pk for slot in [*open_ones, booked]])

    assert (result.removed, result.kept_booked) == (2, 1)
    assert list(Slot.objects.filter(doctor=doctor)) == [booked]
    assert Slot.objects.get(pk=booked.pk).status == SlotStatus.BOOKED


def test_removing_slots_never_touches_another_doctors_slots():
    doctor = DoctorFactory()
    someone_elses = SlotFactory()

    result = remove_open_slots(doctor=doctor, slot_ids=[someone_elses.pk])

    assert (result.removed, result.kept_booked) == (0, 0)
    assert Slot.objects.filter(pk=someone_elses.pk).exists()


def test_a_removed_slot_with_a_cancelled_appointment_keeps_that_history():
    appointment = AppointmentFactory(status="cancelled", live_slot=None)
    Slot.objects.filter(pk=appointment.slot_id).update(status=SlotStatus.OPEN)

    result = remove_open_slots(doctor=appointment.doctor, slot_ids=[appointment.slot_id])

    assert result.removed == 1
    appointment.refresh_from_db()
    assert appointment.slot_id is None
    assert appointment.status == "cancelled"


def test_blocking_a_day_removes_its_open_slots_and_keeps_booked_ones():
    doctor = DoctorFactory()
    day = next_weekday(4)
    open_mornings(doctor, day - timedelta(days=1), day + timedelta(days=1), start=time(9), end=time(11))
    booked_slot = Slot.objects.get(doctor=doctor, starts_at=local(day, 10))
    AppointmentFactory(slot=booked_slot)
    Slot.objects.filter(pk=booked_slot.pk).update(status=SlotStatus.BOOKED)
    other_doctor = DoctorFactory()
    open_mornings(other_doctor, day)

    result = block_day(doctor=doctor, day=day)

    assert (result.removed, result.kept_booked) == (3, 1)
    assert slot_times(doctor) == [
        f"{day - timedelta(days=1)} 09:00",
        f"{day - timedelta(days=1)} 09:30",
        f"{day - timedelta(days=1)} 10:00",
        f"{day - timedelta(days=1)} 10:30",
        f"{day} 10:00",
        f"{day + timedelta(days=1)} 09:00",
        f"{day + timedelta(days=1)} 09:30",
        f"{day + timedelta(days=1)} 10:00",
        f"{day + timedelta(days=1)} 10:30",
    ]
    assert Slot.objects.filter(doctor=other_doctor).count() == 4


def test_blocking_a_day_uses_clinic_midnights_not_utc_ones():
    doctor = DoctorFactory()
    day = next_weekday(4)
    # 19:00 in Mérida is already the next day in UTC.
    evening = SlotFactory(doctor=doctor, starts_at=local(day, 19))
    next_morning = SlotFactory(doctor=doctor, starts_at=local(day + timedelta(days=1), 0, 30))

    block_day(doctor=doctor, day=day)

    assert not Slot.objects.filter(pk=evening.pk).exists()
    assert Slot.objects.filter(pk=next_morning.pk).exists()


def availability_form(**changes):
    start = timezone.localdate() + timedelta(days=1)
    data = {
        "start_date": start.isoformat(),
        "end_date": (start + timedelta(days=29)).isoformat(),
        "weekdays": ["0", "1", "2", "3", "4"],
        "start_time": "09:00",
        "end_time": "14:00",
        "slot_minutes": "30",
    }
    data.update(changes)
    return AvailabilityForm(data)


def test_the_form_accepts_a_month_of_weekdays():
    form = availability_form()

    assert form.is_valid(), form.errors
    assert form.cleaned_data["weekdays"] == [0, 1, 2, 3, 4]
    assert form.cleaned_data["slot_minutes"] == 30


def test_the_form_accepts_exactly_the_maximum_range(settings):
    settings.AVAILABILITY_MAX_DAYS = 180
    start = timezone.localdate()

    form = availability_form(start_date=start.isoformat(), end_date=(start + timedelta(days=179)).isoformat())

    assert form.is_valid(), form.errors


@pytest.mark.parametrize("max_days", [180, 30])
def test_the_form_refuses_a_range_longer_than_the_maximum(settings, max_days):
    settings.AVAILABILITY_MAX_DAYS = max_days
    start = timezone.localdate()

    form = availability_form(start_date=start.isoformat(), end_date=(start + timedelta(days=max_days)).isoformat())

    assert not form.is_valid()
    assert f"at most {max_days} days" in form.errors["end_date"][0]


def test_the_form_refuses_an_end_date_before_the_start_date():
    start = timezone.localdate() + timedelta(days=5)

    form = availability_form(start_date=start.isoformat(), end_date=(start - timedelta(days=1)).isoformat())

    assert "end_date" in form.errors


def test_the_form_refuses_a_start_date_in_the_past():
    form = availability_form(start_date=(timezone.localdate() - timedelta(days=1)).isoformat())

    assert "start_date" in form.errors


@pytest.mark.parametrize("end_time", ["09:00", "08:30"])
def test_the_form_refuses_an_end_time_not_after_the_start_time(end_time):
    form = availability_form(start_time="09:00", end_time=end_time)

    assert "end_time" in form.errors


def test_the_form_refuses_hours_too_short_for_one_slot():
    form = availability_form(start_time="09:00", end_time="09:40", slot_minutes="45")

    assert "end_time" in form.errors


@pytest.mark.parametrize(("field", "value"), [("weekdays", []), ("weekdays", ["7"]), ("slot_minutes", "25")])
def test_the_form_refuses_missing_or_unknown_choices(field, value):
    form = availability_form(**{field: value})

    assert field in form.errors
