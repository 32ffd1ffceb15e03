"""The doctor's agenda and availability as ready-to-render days, each read in a fixed number of queries.

The agenda (day or week) merges the doctor's appointments, open slots, blocked days and clinic
closures into one time-ordered list of entries per day; runs of free, past-free or blocked slots
collapse into one range entry. Allergies come from MongoDB in one repository call for the whole
range; when MongoDB is down the agenda still renders, saying the allergies are unknown.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from records import repository
from records.operations import ATTENTION, REFUSED, close_problem
from records.permissions import appointment_grants_access
from scheduling.models import Appointment, AppointmentStatus, BlockedDay, ClinicClosure, Slot, SlotStatus

FREE, BOOKED, PAST, BLOCKED = "free", "booked", "past", "blocked"
AVAILABILITY_DAYS_AHEAD = 90


@dataclass
class Entry:
    state: str
    starts_at: datetime
    ends_at: datetime
    slot_count: int = 1
    appointment: Appointment | None = None


@dataclass
class AgendaDay:
    day: date
    entries: list = field(default_factory=list)
    blocked: bool = False
    closure: ClinicClosure | None = None
    is_today: bool = False

    @property
    def appointments(self):
        return [entry.appointment for entry in self.entries if entry.appointment is not None]


@dataclass
class Agenda:
    days: list
    # None: nobody's allergies were asked for; False: MongoDB answered; True: it could not.
    records_unavailable: bool | None = None
    patients_with_allergies_shown: list = field(default_factory=list)


def day_bounds(first_day, last_day):
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(first_day, datetime.min.time()), tz)
    end = timezone.make_aware(datetime.combine(last_day + timedelta(days=1), datetime.min.time()), tz)
    return start, end


def doctor_agenda(doctor, *, first_day, days, now=None):
    """The doctor's days from ``first_day``: four queries and one MongoDB read, whatever the number of rows."""
    now = now or timezone.now()
    last_day = first_day + timedelta(days=days - 1)
    start, end = day_bounds(first_day, last_day)
    earlier_visit = Appointment.objects.filter(
        doctor=doctor,
        patient=OuterRef("patient"),
        status=AppointmentStatus.COMPLETED,
        starts_at__lt=OuterRef("starts_at"),
    )
    appointments = list(
        Appointment.objects.filter(doctor=doctor, starts_at__gte=start, starts_at__lt=end)
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("patient__patient_profile")
        .annotate(close_problem=close_problem(), is_follow_up=Exists(earlier_visit))
        .order_by("starts_at")
    )
    free = Slot.objects.filter(doctor=doctor, status=SlotStatus.OPEN, starts_at__gte=start, starts_at__lt=end)
    free = list(free.order_by("starts_at").values_list("starts_at", "ends_at"))
    blocks = {
        block.day: block for block in BlockedDay.objects.filter(doctor=doctor, day__gte=first_day, day__lte=last_day)
    }
    closures = {closure.day: closure for closure in ClinicClosure.objects.filter(day__gte=first_day, day__lte=last_day)}

    agenda = Agenda(days=[])
    _attach_patient_facts(appointments, agenda)
    today = timezone.localdate(now)
    by_day = {}
    for appointment in appointments:
        by_day.setdefault(timezone.localdate(appointment.starts_at), []).append(
            Entry(
                BOOKED if appointment.ends_at > now else PAST,
                appointment.starts_at,
                appointment.ends_at,
                appointment=appointment,
            )
        )
    for starts_at, ends_at in free:
        by_day.setdefault(timezone.localdate(starts_at), []).append(
            Entry(FREE if starts_at > now else PAST, starts_at, ends_at)
        )
    for block in blocks.values():
        for starts_at, ends_at in block.closed_slots:
            starts_at, ends_at = datetime.fromisoformat(starts_at), datetime.fromisoformat(ends_at)
            by_day.setdefault(block.day, []).append(Entry(BLOCKED, starts_at, ends_at))
    for n in range(days):
        day = first_day + timedelta(days=n)
        entries = sorted(by_day.get(day, []), key=lambda entry: (entry.starts_at, entry.appointment is None))
        agenda.days.append(
            AgendaDay(
                day=day,
                entries=collapse_runs(entries),
                blocked=day in blocks,
                closure=closures.get(day),
                is_today=day == today,
            )
        )
    return agenda


def _attach_patient_facts(appointments, agenda):
    """Each appointment gets ``patient_age`` and ``allergies`` (a list, or None when unknown)."""
    for appointment in appointments:
        profile = getattr(appointment.patient, "patient_profile", None)
        appointment.patient_age = profile.age if profile is not None else None
        appointment.allergies = None
    # Allergies are clinical: only for appointments that open the patient's record to this doctor.
    readable = [appointment for appointment in appointments if appointment_grants_access(appointment)]
    if not readable:
        return
    try:
        allergies = repository.allergies_by_patient(patient_ids=[a.patient_id for a in readable])
    except repository.RecordsUnavailable:
        agenda.records_unavailable = True
        return
    agenda.records_unavailable = False
    for appointment in readable:
        appointment.allergies = allergies.get(appointment.patient_id, [])
    agenda.patients_with_allergies_shown = sorted({appointment.patient_id for appointment in readable})


def collapse_runs(entries):
    """Back-to-back entries without an appointment and of the same state become one range entry."""
    collapsed = []
    for entry in entries:
        previous = collapsed[-1] if collapsed else None
        if (
            previous is not None
            and entry.appointment is None
            and previous.appointment is None
            and previous.state == entry.state
            and previous.ends_at == entry.starts_at
        ):
            previous.ends_at = entry.ends_at
            previous.slot_count += entry.slot_count
        else:
            collapsed.append(Entry(entry.state, entry.starts_at, entry.ends_at, entry.slot_count, entry.appointment))
    return collapsed


@dataclass
class SlotRange:
    starts_at: datetime
    ends_at: datetime
    slot_minutes: int
    open_count: int = 0
    booked_count: int = 0


@dataclass
class AvailabilityDay:
    day: date
    ranges: list = field(default_factory=list)
    blocked: BlockedDay | None = None
    closure: ClinicClosure | None = None

    @property
    def open_count(self):
        return sum(slot_range.open_count for slot_range in self.ranges)

    @property
    def booked_count(self):
        return sum(slot_range.booked_count for slot_range in self.ranges)


def availability_days(doctor, *, days=AVAILABILITY_DAYS_AHEAD, now=None):
    """The doctor's upcoming days with slots, blocks or closures: back-to-back slots of one length form a range.

    Three queries whatever the number of slots.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    last_day = today + timedelta(days=days)
    _, end = day_bounds(today, last_day)
    slots = (
        Slot.objects.filter(doctor=doctor, starts_at__gt=now, starts_at__lt=end)
        .order_by("starts_at")
        .values_list("starts_at", "ends_at", "status")
    )
    by_day = {}
    for starts_at, ends_at, status in slots:
        day = by_day.setdefault(timezone.localdate(starts_at), AvailabilityDay(timezone.localdate(starts_at)))
        minutes = round((ends_at - starts_at).total_seconds() / 60)
        current = day.ranges[-1] if day.ranges else None
        if current is None or current.ends_at != starts_at or current.slot_minutes != minutes:
            current = SlotRange(starts_at, ends_at, minutes)
            day.ranges.append(current)
        current.ends_at = ends_at
        if status == SlotStatus.OPEN:
            current.open_count += 1
        else:
            current.booked_count += 1
    for block in BlockedDay.objects.filter(doctor=doctor, day__gte=today, day__lte=last_day):
        by_day.setdefault(block.day, AvailabilityDay(block.day)).blocked = block
    for closure in ClinicClosure.objects.filter(day__gte=today, day__lte=last_day):
        by_day.setdefault(closure.day, AvailabilityDay(closure.day)).closure = closure
    return [by_day[day] for day in sorted(by_day)]


@dataclass
class DoctorToday:
    appointments: list
    waiting: list
    needs_attention: list
    offers: list


def doctor_today(doctor, *, now=None):
    """The doctor home: today's appointments, who is waiting, what needs the doctor, live waitlist offers.

    Three queries.
    """
    from waitlist.models import OfferStatus, WaitlistOffer  # waitlist imports scheduling's models

    now = now or timezone.now()
    today = timezone.localdate(now)
    start, end = day_bounds(today, today)
    earlier_visit = Appointment.objects.filter(
        doctor=doctor,
        patient=OuterRef("patient"),
        status=AppointmentStatus.COMPLETED,
        starts_at__lt=OuterRef("starts_at"),
    )
    rows = list(
        Appointment.objects.filter(doctor=doctor)
        .exclude(status=AppointmentStatus.CANCELLED)
        .annotate(close_problem=close_problem(), is_follow_up=Exists(earlier_visit))
        .filter(
            Q(starts_at__gte=start, starts_at__lt=end)
            | Q(status=AppointmentStatus.CLOSING)
            | Q(status=AppointmentStatus.SCHEDULED, close_problem__in=(ATTENTION, REFUSED))
        )
        .select_related("patient__patient_profile")
        .order_by("starts_at")
    )
    todays = [a for a in rows if start <= a.starts_at < end]
    for appointment in rows:
        profile = getattr(appointment.patient, "patient_profile", None)
        appointment.patient_age = profile.age if profile is not None else None
    waiting = sorted(
        (a for a in todays if a.checked_in_at is not None and a.status == AppointmentStatus.SCHEDULED),
        key=lambda appointment: appointment.checked_in_at,
    )
    attention = [a for a in rows if a.status == AppointmentStatus.CLOSING or a.close_problem]
    offers = list(
        WaitlistOffer.objects.filter(slot__doctor=doctor, status=OfferStatus.OFFERED, held_until__gt=now)
        .select_related("slot", "patient")
        .order_by("held_until")
    )
    return DoctorToday(appointments=todays, waiting=waiting, needs_attention=attention, offers=offers)
