from datetime import timedelta

import factory
from django.utils import timezone

from accounts.tests.factories import DoctorFactory, PatientFactory
from scheduling.models import Appointment, AppointmentStatus, Slot, SlotStatus, Specialty


class SpecialtyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specialty
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Especialidad {n}")


class SlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Slot

    doctor = factory.SubFactory(DoctorFactory)
    starts_at = factory.Sequence(
        lambda n: (
            (timezone.now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0) + timedelta(minutes=30 * n)
        )
    )
    ends_at = factory.LazyAttribute(lambda slot: slot.starts_at + timedelta(minutes=30))
    status = SlotStatus.OPEN


class AppointmentFactory(factory.django.DjangoModelFactory):
    """A scheduled appointment on a booked slot, as book_slot would leave it."""

    class Meta:
        model = Appointment

    slot = factory.SubFactory(SlotFactory, status=SlotStatus.BOOKED)
    live_slot = factory.SelfAttribute("slot")
    patient = factory.SubFactory(PatientFactory)
    doctor = factory.SelfAttribute("slot.doctor")
    starts_at = factory.SelfAttribute("slot.starts_at")
    ends_at = factory.SelfAttribute("slot.ends_at")
    booked_by = factory.SelfAttribute("patient")
    status = AppointmentStatus.SCHEDULED
