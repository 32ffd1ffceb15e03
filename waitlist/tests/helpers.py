"""Shared set-up for the waitlist tests: a doctor's booked slot, patients waiting for it."""

from datetime import timedelta

from django.utils import timezone

from accounts.tests.factories import PatientFactory
from scheduling.tests.factories import AppointmentFactory, SlotFactory
from scheduling.tests.helpers import days_ahead
from waitlist.models import PartOfDay, WaitlistEntry


def booked_slot(doctor=None, *, days=3, hour=10):
    """A future appointment on a booked slot (its patient may cancel it online)."""
    extra = {"doctor": doctor} if doctor is not None else {}
    slot = SlotFactory(starts_at=days_ahead(days, hour), ends_at=days_ahead(days, hour, 30), **extra)
    return AppointmentFactory(slot=slot, doctor=slot.doctor)


def waiting(doctor, *, patient=None, days=(0, 10), part_of_day=PartOfDay.ANY, joined_minutes_ago=0, **patient_fields):
    today = timezone.localdate()
    return WaitlistEntry.objects.create(
        patient=patient or PatientFactory(**patient_fields),
        doctor=doctor,
        waiting_doctor=doctor,
        from_date=today + timedelta(days=days[0]),
        to_date=today + timedelta(days=days[1]),
        part_of_day=part_of_day,
        joined_at=timezone.now() - timedelta(minutes=joined_minutes_ago),
    )
