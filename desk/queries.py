"""The desk's reads: ready-to-render data in a fixed number of queries."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Role, User
from medly.text import fold_for_search
from scheduling.models import Appointment, AppointmentStatus, Slot, SlotStatus
from scheduling.queries import find_patients, local_day_bounds

# How far ahead the booking page looks for a doctor's next free time.
NEXT_FREE_DAYS = 60


@dataclass
class DoctorColumn:
    doctor: User
    free_slots: int = 0
    appointments: list = field(default_factory=list)


@dataclass
class Waiting:
    appointment: Appointment
    minutes: int


@dataclass
class DeskDay:
    day: object
    is_today: bool
    columns: list
    waiting_room: list
    cancelled: int


def desk_day(day, *, now=None):
    """Every doctor working on ``day`` as a column of their appointments, and today's waiting room. Three queries.

    A doctor works on the day when they have a slot or an appointment on it. Cancelled appointments
    are counted, not listed: their time is free again. The waiting room holds who has checked in and
    is not yet with the doctor, longest waiting first.
    """
    now = now or timezone.now()
    start, end = local_day_bounds(day)
    # Counted per doctor by subqueries on the slot's (doctor, starts_at) index: a join counting with a filter
    # would read every slot of every doctor (a million at a clinic network's size) to find one day's.
    slots_on_day = Slot.objects.filter(doctor=OuterRef("pk"), starts_at__gte=start, starts_at__lt=end)
    free_on_day = slots_on_day.filter(status=SlotStatus.OPEN, starts_at__gt=now, waitlist_hold__isnull=True)
    doctors = list(
        User.objects.filter(role=Role.DOCTOR)
        .annotate(slots_on_day=_count(slots_on_day), free_slots=_count(free_on_day))
        .order_by()  # the columns are sorted below, by folded name: no sort of the users table here
    )
    # The day's appointments through the (doctor, starts_at) index, one range per doctor, not a scan by time.
    appointments = list(
        Appointment.objects.filter(
            doctor_id__in=[doctor.pk for doctor in doctors], starts_at__gte=start, starts_at__lt=end
        )
        .select_related("patient", "doctor")
        .prefetch_related("reminders")
        .order_by("starts_at", "pk")
    )
    columns = {
        doctor.pk: DoctorColumn(doctor=doctor, free_slots=doctor.free_slots)
        for doctor in doctors
        if doctor.is_active and doctor.slots_on_day > 0
    }
    cancelled = 0
    for appointment in appointments:
        if appointment.status == AppointmentStatus.CANCELLED:
            cancelled += 1
            continue
        column = columns.setdefault(appointment.doctor_id, DoctorColumn(doctor=appointment.doctor))
        column.appointments.append(appointment)
    ordered = sorted(
        columns.values(),
        key=lambda c: (fold_for_search(c.doctor.last_name), fold_for_search(c.doctor.first_name), c.doctor.pk),
    )
    is_today = day == timezone.localdate(now)
    return DeskDay(
        day=day,
        is_today=is_today,
        columns=ordered,
        waiting_room=waiting_room(appointments, now=now) if is_today else [],
        cancelled=cancelled,
    )


def _count(slots):
    return Coalesce(Subquery(slots.order_by().values("doctor").annotate(n=Count("pk")).values("n")), 0)


def waiting_room(appointments, *, now):
    """Checked in, still scheduled, consultation not yet opened: in arrival order, with minutes waited."""
    waiting = [
        Waiting(appointment=appointment, minutes=max(0, int((now - appointment.checked_in_at).total_seconds() // 60)))
        for appointment in appointments
        if appointment.status == AppointmentStatus.SCHEDULED
        and appointment.checked_in_at is not None
        and appointment.consultation_opened_at is None
    ]
    return sorted(waiting, key=lambda item: (item.appointment.checked_in_at, item.appointment.pk))


def patient_for_desk(patient_id):
    """An active patient with their profile and upcoming appointments (two queries), or None."""
    upcoming = (
        Appointment.objects.filter(
            starts_at__gt=timezone.now() - timedelta(hours=1),
            status__in=(AppointmentStatus.SCHEDULED, AppointmentStatus.CLOSING),
        )
        .select_related("doctor")
        .order_by("starts_at")
    )
    return (
        User.objects.filter(pk=patient_id, role=Role.PATIENT, is_active=True)
        .select_related("patient_profile")
        .prefetch_related(Prefetch("appointments_as_patient", queryset=upcoming, to_attr="upcoming"))
        .first()
    )


def search_patients(query):
    """Patients matching every word in their name, email or phone, with their profiles."""
    return list(find_patients(query).select_related("patient_profile"))


def bookable_doctors():
    return list(User.objects.filter(role=Role.DOCTOR, is_active=True).order_by("last_name", "first_name", "pk"))


def free_slots(doctor_id, day, *, now=None):
    """The doctor's free times on ``day`` (open, in the future, not held for a waitlist offer)."""
    now = now or timezone.now()
    start, end = local_day_bounds(day)
    return list(
        Slot.objects.filter(
            doctor_id=doctor_id,
            status=SlotStatus.OPEN,
            starts_at__gte=max(start, now),
            starts_at__lt=end,
            waitlist_hold__isnull=True,
        ).order_by("starts_at")
    )


def next_free_day(doctor_id, after_day, *, now=None):
    """The first clinic day after ``after_day`` on which the doctor has a free time, or None."""
    now = now or timezone.now()
    _start, end = local_day_bounds(after_day)
    starts_at = (
        Slot.objects.filter(
            doctor_id=doctor_id,
            status=SlotStatus.OPEN,
            starts_at__gte=max(end, now),
            starts_at__lt=end + timedelta(days=NEXT_FREE_DAYS),
            waitlist_hold__isnull=True,
        )
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    return timezone.localdate(starts_at) if starts_at else None
