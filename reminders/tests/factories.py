from datetime import timedelta

from django.utils import timezone

from accounts.tests.factories import DoctorFactory, PatientFactory
from reminders.models import ReminderConsent
from scheduling.models import SlotStatus
from scheduling.tests.factories import AppointmentFactory, SlotFactory


def appointment_in(minutes, *, patient=None, doctor=None, length=30):
    """A scheduled appointment starting ``minutes`` from now."""
    starts_at = timezone.now().replace(microsecond=0) + timedelta(minutes=minutes)
    slot = SlotFactory(
        doctor=doctor or DoctorFactory(),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=length),
        status=SlotStatus.BOOKED,
    )
    return AppointmentFactory(slot=slot, patient=patient or PatientFactory())


def phone_patient(*, sms=True, whatsapp=False, **fields):
    patient = PatientFactory(phone="+529991234567", **fields)
    now = timezone.now()
    ReminderConsent.objects.create(
        patient=patient,
        sms_reminders_opt_in_at=now if sms else None,
        whatsapp_reminders_opt_in_at=now if whatsapp else None,
        recorded_by=patient,
    )
    return patient
