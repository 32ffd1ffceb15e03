"""Real races on MariaDB between a clinic closure, a doctor's block and a doctor opening hours that day."""

import time
from datetime import time as clock
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import AdminFactory, DoctorFactory
from medly.tests.racing import race
from scheduling import availability
from scheduling.models import Slot

pytestmark = [pytest.mark.mysql, pytest.mark.django_db(transaction=True)]


def hold_after_the_closed_days_check(monkeypatch, seconds=1.0):
    """Patch point: opening hours pauses between reading the closed days and inserting its slots."""
    original = availability._closed_days

    def held(*args, **kwargs):
        result = original(*args, **kwargs)
        time.sleep(seconds)
        return result

    monkeypatch.setattr(availability, "_closed_days", held)


def open_the_day(doctor, day):
    return lambda: availability.open_slots(
        doctor=doctor, start_date=day, end_date=day, weekdays=range(7),
        start_time=clock(9), end_time=clock(11), slot_minutes=30,
    )  # fmt: skip


def slots_on(day):
    return [s for s in Slot.objects.values_list("starts_at", flat=True) if timezone.localdate(s) == day]


def test_a_closure_made_while_hours_are_being_opened_leaves_no_slot_open_that_day(monkeypatch):
    doctor, admin = DoctorFactory(), AdminFactory()
    day = timezone.localdate() + timedelta(days=5)
    hold_after_the_closed_days_check(monkeypatch)

    def close_a_moment_later():
        time.sleep(0.3)  # inside the opener's held window
        return availability.close_clinic(day=day, name="Asueto", created_by=admin)

    opened, closed = race(open_the_day(doctor, day), close_a_moment_later)

    assert not isinstance(opened, BaseException), opened
    assert not isinstance(closed, BaseException), closed
    assert slots_on(day) == []


def test_a_block_made_while_hours_are_being_opened_leaves_no_slot_open_that_day(monkeypatch):
    doctor = DoctorFactory()
    day = timezone.localdate() + timedelta(days=5)
    hold_after_the_closed_days_check(monkeypatch)

    def block_a_moment_later():
        time.sleep(0.3)
        return availability.block_day(doctor=doctor, day=day)

    opened, blocked = race(open_the_day(doctor, day), block_a_moment_later)

    assert not isinstance(opened, BaseException), opened
    assert not isinstance(blocked, BaseException), blocked
    assert slots_on(day) == []
    # The block closed what the opener had just opened, so undoing it brings those back.
    assert availability.unblock_day(doctor=doctor, day=day) == opened.opened == 4
