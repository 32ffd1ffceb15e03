"""Reads that pages share or that decide access. Each returns ready-to-render data in a fixed number of queries."""

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, Subquery
from django.http import Http404
from django.utils import timezone

from accounts.models import DoctorProfile, Role, User
from medly.text import fold_for_search
from records.operations import close_problem
from scheduling.models import LIVE_STATUSES, Appointment, AppointmentStatus, Slot, SlotStatus, Specialty

DOCTOR_PAGE_DAYS = 60


def _next_free_slot_subquery(now):
    return Subquery(
        Slot.objects.filter(
            doctor=OuterRef("pk"), status=SlotStatus.OPEN, starts_at__gt=now,
            starts_at__lt=now + timedelta(days=DOCTOR_PAGE_DAYS), waitlist_hold__isnull=True,
        )
        .order_by("starts_at")
        .values("starts_at")[:1]
    )


MAX_SEARCH_WORDS = 6


def _starts_a_word(field, word):
    """``word`` begins a word of the folded ``field``: a prefix match on the column, or after a space."""
    return Q(**{f"{field}__startswith": word}) | Q(**{f"{field}__contains": f" {word}"})


def _matches_word(word):
    """A doctor whose name (or email) or one of whose specialties has a word starting with ``word``."""
    specialty = Exists(
        DoctorProfile.specialties.through.objects.filter(doctorprofile_id=OuterRef("doctor_profile")).filter(
            _starts_a_word("specialty__search_name", word)
        )
    )
    return _starts_a_word("search_text", word) | Q(specialty)


def directory(*, query="", specialty_id=None):
    """Active doctors matching every word of ``query`` (in their name or a specialty's name, accents
    and case ignored) and the specialty, each with profile, specialties and next free slot."""
    now = timezone.now()
    doctors = (
        User.objects.filter(role=Role.DOCTOR, is_active=True, doctor_profile__isnull=False)
        .select_related("doctor_profile")
        .prefetch_related(Prefetch("doctor_profile__specialties", queryset=Specialty.objects.order_by("name")))
        .annotate(next_free_slot=_next_free_slot_subquery(now))
        .order_by("last_name", "first_name", "pk")
    )
    for word in fold_for_search(query).split()[:MAX_SEARCH_WORDS]:
        doctors = doctors.filter(_matches_word(word))
    if specialty_id:
        doctors = doctors.filter(
            Exists(
                DoctorProfile.specialties.through.objects.filter(
                    doctorprofile_id=OuterRef("doctor_profile"), specialty_id=specialty_id
                )
            )
        )
    return doctors


def doctor_photo_name(doctor_id):
    """The stored photo of an active doctor, or "" (no such doctor, or no photo)."""
    return (
        DoctorProfile.objects.filter(user_id=doctor_id, user__role=Role.DOCTOR, user__is_active=True)
        .values_list("photo", flat=True)
        .first()
        or ""
    )


def photo_storage():
    return DoctorProfile._meta.get_field("photo").storage


def own_doctor_profile(doctor):
    profile = DoctorProfile.objects.filter(user=doctor).select_related("user").first()
    if profile is None:
        raise Http404
    return profile


def doctor_or_404(doctor_id):
    doctor = (
        User.objects.filter(pk=doctor_id, role=Role.DOCTOR, is_active=True, doctor_profile__isnull=False)
        .select_related("doctor_profile")
        .prefetch_related("doctor_profile__specialties")
        .first()
    )
    if doctor is None:
        raise Http404
    return doctor


def open_slots_by_day(doctor, *, days=DOCTOR_PAGE_DAYS, exclude_slot_id=None):
    """[(local date, [slots])] of the doctor's open future slots, in the clinic's time zone; held slots are not free."""
    if not doctor.is_active:
        return []
    now = timezone.now()
    slots = Slot.objects.filter(
        doctor=doctor, status=SlotStatus.OPEN, starts_at__gt=now, starts_at__lt=now + timedelta(days=days),
        waitlist_hold__isnull=True,
    ).exclude(pk=exclude_slot_id).order_by("starts_at")
    return group_by_local_day(slots, key=lambda slot: slot.starts_at)


def group_by_local_day(items, *, key):
    grouped = {}
    for item in items:
        grouped.setdefault(timezone.localdate(key(item)), []).append(item)
    return list(grouped.items())


def appointment_for(user, appointment_id):
    """The appointment if ``user`` may see it (its patient, its doctor, reception, admin), else 404."""
    appointments = Appointment.objects.select_related("patient", "doctor", "slot")
    if user.role == Role.PATIENT:
        appointments = appointments.filter(patient=user)
    elif user.role == Role.DOCTOR:
        appointments = appointments.filter(doctor=user)
    elif user.role not in (Role.RECEPTION, Role.ADMIN):
        raise Http404
    appointment = appointments.filter(pk=appointment_id).first()
    if appointment is None:
        raise Http404
    return appointment


def patient_appointments(patient):
    """(upcoming, past) appointments of a patient, with their doctors."""
    now = timezone.now()
    appointments = Appointment.objects.filter(patient=patient).select_related("doctor").order_by("starts_at")
    upcoming, past = [], []
    for appointment in appointments:
        is_upcoming = appointment.ends_at > now and appointment.status != AppointmentStatus.CANCELLED
        (upcoming if is_upcoming else past).append(appointment)
    past.reverse()
    return upcoming, past


def local_day_bounds(day):
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()), tz)
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), datetime.min.time()), tz)
    return start, end


def doctor_agenda(doctor, *, first_day, days):
    """[(local date, [appointments])] for every day of the range, empty days included."""
    start, _ = local_day_bounds(first_day)
    _, end = local_day_bounds(first_day + timedelta(days=days - 1))
    appointments = (
        Appointment.objects.filter(doctor=doctor, starts_at__gte=start, starts_at__lt=end)
        .exclude(status=AppointmentStatus.CANCELLED)
        .select_related("patient")
        .annotate(close_problem=close_problem())
        .order_by("starts_at")
    )
    by_day = dict(group_by_local_day(appointments, key=lambda appointment: appointment.starts_at))
    return [(first_day + timedelta(days=n), by_day.get(first_day + timedelta(days=n), [])) for n in range(days)]


def clinic_day(day):
    """Every doctor's appointments on ``day`` (clinic time), cancelled ones included, for reception."""
    start, end = local_day_bounds(day)
    return (
        Appointment.objects.filter(starts_at__gte=start, starts_at__lt=end)
        .select_related("patient", "doctor")
        .prefetch_related("reminders")
        .order_by("doctor__last_name", "doctor__first_name", "doctor_id", "starts_at")
    )


def find_patients(query, *, limit=20):
    words = fold_for_search(query).split()
    if not words:
        return User.objects.none()
    patients = User.objects.filter(role=Role.PATIENT, is_active=True)
    for word in words:
        patients = patients.filter(Q(search_text__contains=word))
    return patients.order_by("last_name", "first_name")[:limit]


def upcoming_slots(doctor, *, limit=300):
    return list(Slot.objects.filter(doctor=doctor, starts_at__gt=timezone.now()).order_by("starts_at")[:limit])


# The private calendar feed: a month back (what just happened) and half a year ahead.
FEED_DAYS_BACK = 30
FEED_DAYS_AHEAD = 180


def feed_doctor(token):
    """The active doctor whose calendar feed ``token`` opens, or None (unknown or revoked token)."""
    if not token:
        return None
    return User.objects.filter(role=Role.DOCTOR, is_active=True, doctor_profile__calendar_token=token).first()


def calendar_feed_token(doctor):
    return DoctorProfile.objects.filter(user=doctor).values_list("calendar_token", flat=True).first()


def feed_appointments(doctor, *, now=None):
    """The doctor's live appointments from FEED_DAYS_BACK ago to FEED_DAYS_AHEAD ahead."""
    now = now or timezone.now()
    return (
        Appointment.objects.filter(
            doctor=doctor,
            status__in=LIVE_STATUSES,
            starts_at__gte=now - timedelta(days=FEED_DAYS_BACK),
            starts_at__lt=now + timedelta(days=FEED_DAYS_AHEAD),
        )
        .select_related("patient", "doctor")
        .order_by("starts_at")
    )


def digest_subscribers():
    """Doctor profiles (with their users) of active doctors who asked for the morning digest."""
    return DoctorProfile.objects.filter(daily_digest=True, user__is_active=True, user__role=Role.DOCTOR).select_related(
        "user"
    )


def doctor_day(doctor, day):
    """The doctor's appointments of the clinic day ``day`` that still take place, with their patients."""
    start, end = local_day_bounds(day)
    return (
        Appointment.objects.filter(doctor=doctor, starts_at__gte=start, starts_at__lt=end, status__in=LIVE_STATUSES)
        .select_related("patient")
        .order_by("starts_at")
    )
