"""Slots are stored in UTC and shown in the clinic's time zone, daylight saving time or not.

The clock is set a little before each change, so the slots fall inside the
doctor page's window and these fixed 2027 dates never drift into the past.
America/Merida keeps UTC-6 all year; America/Tijuana follows the US rules
(2027: summer time from 14 March, back to standard time on 7 November).
"""

import re
from datetime import UTC, date, datetime, time

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import DoctorFactory, PatientFactory
from scheduling.availability import block_day, open_slots
from scheduling.models import Slot
from scheduling.services import book_slot

pytestmark = pytest.mark.django_db

SPRING_FORWARD = date(2027, 3, 14)
FALL_BACK = date(2027, 11, 7)


@pytest.fixture
def clock(monkeypatch):
    def set_to(instant):
        monkeypatch.setattr(timezone, "now", lambda: instant)

    return set_to


@pytest.fixture
def clinic_in(settings):
    def use(zone):
        settings.TIME_ZONE = zone

    return use


def open_nine_oclock_slots(client, doctor, first_day, last_day):
    client.force_login(doctor)
    response = client.post(
        reverse("scheduling:availability"),
        {
            "start_date": first_day.isoformat(),
            "end_date": last_day.isoformat(),
            "weekdays": [str(n) for n in range(7)],
            "start_time": "09:00",
            "end_time": "09:30",
            "slot_minutes": "30",
        },
    )
    assert response.status_code == 302
    client.logout()


def utc_hours(doctor):
    return [
        (starts_at.astimezone(UTC).date().isoformat(), starts_at.astimezone(UTC).hour)
        for starts_at in Slot.objects.filter(doctor=doctor).order_by("starts_at").values_list("starts_at", flat=True)
    ]


def times_by_day_on_the_doctor_page(client, doctor):
    """{day heading: [slot times]} as an anonymous visitor sees them."""
    html = client.get(reverse("scheduling:doctor", args=[doctor.pk])).text
    sections = re.findall(r"<h3[^>]*>(.*?)</h3>(.*?)</section>", html, flags=re.S)
    return {heading: re.findall(r'<a class="slot-link"[^>]*>(\d\d:\d\d)</a>', body) for heading, body in sections}


def test_without_daylight_saving_nine_oclock_is_the_same_utc_instant_every_day(client, clock, clinic_in):
    clinic_in("America/Merida")
    clock(datetime(2027, 3, 1, 12, tzinfo=UTC))
    doctor = DoctorFactory()

    open_nine_oclock_slots(client, doctor, date(2027, 3, 13), date(2027, 3, 15))

    assert utc_hours(doctor) == [("2027-03-13", 15), ("2027-03-14", 15), ("2027-03-15", 15)]
    assert times_by_day_on_the_doctor_page(client, doctor) == {
        "Saturday 13 March 2027": ["09:00"],
        "Sunday 14 March 2027": ["09:00"],
        "Monday 15 March 2027": ["09:00"],
    }


def test_across_the_spring_change_the_utc_instant_moves_but_the_page_shows_nine(client, clock, clinic_in):
    clinic_in("America/Tijuana")
    clock(datetime(2027, 3, 1, 12, tzinfo=UTC))
    doctor = DoctorFactory()

    open_nine_oclock_slots(client, doctor, date(2027, 3, 13), date(2027, 3, 15))

    assert utc_hours(doctor) == [("2027-03-13", 17), ("2027-03-14", 16), ("2027-03-15", 16)]
    assert times_by_day_on_the_doctor_page(client, doctor) == {
        "Saturday 13 March 2027": ["09:00"],
        "Sunday 14 March 2027": ["09:00"],
        "Monday 15 March 2027": ["09:00"],
    }


def test_across_the_autumn_change_the_utc_instant_moves_back_but_the_page_shows_nine(client, clock, clinic_in):
    clinic_in("America/Tijuana")
    clock(datetime(2027, 10, 25, 12, tzinfo=UTC))
    doctor = DoctorFactory()

    open_nine_oclock_slots(client, doctor, date(2027, 11, 6), date(2027, 11, 8))

    assert utc_hours(doctor) == [("2027-11-06", 16), ("2027-11-07", 17), ("2027-11-08", 17)]
    assert times_by_day_on_the_doctor_page(client, doctor) == {
        "Saturday 6 November 2027": ["09:00"],
        "Sunday 7 November 2027": ["09:00"],
        "Monday 8 November 2027": ["09:00"],
    }


def test_the_doctors_agenda_shows_a_booked_slot_at_its_local_time_after_the_change(client, clock, clinic_in):
    clinic_in("America/Tijuana")
    clock(datetime(2027, 3, 10, 12, tzinfo=UTC))
    doctor = DoctorFactory()
    open_nine_oclock_slots(client, doctor, date(2027, 3, 15), date(2027, 3, 15))
    book_slot(patient=PatientFactory(first_name="Lucía", last_name="Ramos"), slot_id=Slot.objects.get().pk)
    client.force_login(doctor)

    html = client.get(reverse("scheduling:appointments"), {"day": "2027-03-15"}).text

    assert re.search(r'<span class="entry-time">09:00–09:30</span>(?:(?!</li>).)*Lucía Ramos', html, re.DOTALL)


def night_shift_on(day, doctor):
    return open_slots(
        doctor=doctor,
        start_date=day,
        end_date=day,
        weekdays=[day.weekday()],
        start_time=time(0),
        end_time=time(4),
        slot_minutes=30,
    )


def test_a_night_shift_on_the_spring_change_skips_the_hour_that_does_not_exist(clock, clinic_in):
    clinic_in("America/Tijuana")
    clock(datetime(2027, 3, 1, 12, tzinfo=UTC))
    doctor = DoctorFactory()

    result = night_shift_on(SPRING_FORWARD, doctor)

    local_starts = [
        timezone.localtime(s).strftime("%H:%M")
        for s in Slot.objects.filter(doctor=doctor).values_list("starts_at", flat=True)
    ]
    assert local_starts == ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30"]
    assert result.opened == 6
    assert night_shift_on(SPRING_FORWARD, doctor).opened == 0


def test_a_night_shift_on_the_autumn_change_makes_no_slot_longer_than_asked(clock, clinic_in):
    clinic_in("America/Tijuana")
    clock(datetime(2027, 10, 25, 12, tzinfo=UTC))
    doctor = DoctorFactory()

    night_shift_on(FALL_BACK, doctor)

    lengths = {(s.ends_at - s.starts_at).total_seconds() / 60 for s in Slot.objects.filter(doctor=doctor)}
    assert lengths == {30}


def test_blocking_the_day_of_the_change_removes_that_local_day_only(clock, clinic_in):
    clinic_in("America/Tijuana")
    clock(datetime(2027, 3, 1, 12, tzinfo=UTC))
    doctor = DoctorFactory()
    open_slots(
        doctor=doctor,
        start_date=date(2027, 3, 13),
        end_date=date(2027, 3, 15),
        weekdays=range(7),
        start_time=time(0),
        end_time=time(23, 30),
        slot_minutes=30,
    )

    block_day(doctor=doctor, day=SPRING_FORWARD)

    starts = Slot.objects.filter(doctor=doctor).values_list("starts_at", flat=True)
    days = {timezone.localtime(starts_at).date() for starts_at in starts}
    assert days == {date(2027, 3, 13), date(2027, 3, 15)}
    assert Slot.objects.filter(doctor=doctor).count() == 47 * 2
