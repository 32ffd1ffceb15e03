"""Reads that pages share or that decide access. Each returns ready-to-render data in a fixed number of queries."""

from datetime import datetime, timedelta

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Exists, OuterRef, Prefetch, Q, Subquery
from django.http import Http404
from django.utils import timezone

from accounts import search_words
from accounts.models import DoctorProfile, Role, User
from accounts.queries import users_found_by
from scheduling.exceptions import AlreadyBookedByYou, DoctorUnavailable, SlotInPast, SlotUnavailable
from scheduling.models import LIVE_STATUSES, Appointment, AppointmentStatus, Slot, SlotStatus, Specialty
from waitlist.exceptions import SlotHeld

DOCTOR_PAGE_DAYS = 60
# The home shows the next appointment in full and a few more in a line each.
HOME_UPCOMING_SHOWN = 4


def _next_free_slot_subquery(now):
    return Subquery(
        Slot.objects.filter(
            doctor=OuterRef("pk"),
            status=SlotStatus.OPEN,
            starts_at__gt=now,
            starts_at__lt=now + timedelta(days=DOCTOR_PAGE_DAYS),
            waitlist_hold__isnull=True,
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
    return Q(pk__in=users_found_by(word, kinds=(search_words.NAME,))) | Q(specialty)


def directory(*, query="", specialty_id=None, free_after=None):
    """Active doctors matching every word of ``query`` (in their name or a specialty's name, accents
    and case ignored) and the specialty, each with profile, specialties and next free slot (after
    ``free_after``, default now)."""
    now = free_after or timezone.now()
    doctors = (
        User.objects.filter(role=Role.DOCTOR, is_active=True, doctor_profile__isnull=False)
        .select_related("doctor_profile")
        .prefetch_related(Prefetch("doctor_profile__specialties", queryset=Specialty.objects.order_by("name")))
        .annotate(next_free_slot=_next_free_slot_subquery(now))
        .order_by("last_name", "first_name", "pk")
    )
    for word in search_words.query_words(query, limit=MAX_SEARCH_WORDS):
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


def open_slots_by_day(doctor, *, days=DOCTOR_PAGE_DAYS, exclude_slot_id=None, after=None):
    """[(local date, [slots])] of the doctor's open slots starting after ``after`` (default now), in the
    clinic's time zone; held slots are not free."""
    if not doctor.is_active:
        return []
    now = after or timezone.now()
    slots = (
        Slot.objects.filter(
            doctor=doctor,
            status=SlotStatus.OPEN,
            starts_at__gt=now,
            starts_at__lt=now + timedelta(days=days),
            waitlist_hold__isnull=True,
        )
        .exclude(pk=exclude_slot_id)
        .order_by("starts_at")
    )
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


def _upcoming_filter(now):
    return Q(ends_at__gt=now) & ~Q(status=AppointmentStatus.CANCELLED)


def upcoming_appointments(patient, *, now=None):
    """The patient's appointments still to come (not cancelled, not over), soonest first, with their doctors
    (a queryset, for paging)."""
    now = now or timezone.now()
    return (
        Appointment.objects.filter(_upcoming_filter(now), patient=patient)
        .select_related("doctor")
        .order_by("starts_at", "pk")
    )


def past_appointments(patient, *, now=None):
    """The patient's appointments that are over or cancelled, latest first (a queryset, for paging)."""
    now = now or timezone.now()
    return (
        Appointment.objects.filter(patient=patient)
        .exclude(_upcoming_filter(now))
        .select_related("doctor")
        .order_by("-starts_at", "-pk")
    )


def slot_to_book(slot_id):
    """The slot with its doctor, their profile and specialties, and who holds it for the waitlist; 404 if none."""
    slot = (
        Slot.objects.filter(pk=slot_id, doctor__role=Role.DOCTOR)
        .select_related("doctor", "doctor__doctor_profile", "waitlist_hold")
        .prefetch_related(Prefetch("doctor__doctor_profile__specialties", queryset=Specialty.objects.order_by("name")))
        .first()
    )
    if slot is None or not hasattr(slot.doctor, "doctor_profile"):
        raise Http404
    return slot


def booking_refusal(patient, slot, *, now=None):
    """What booking ``slot`` would answer ``patient`` now (SlotInPast, AlreadyBookedByYou, ...), or None if it is free.

    A read for the confirmation page; the booking itself checks again, under its locks.
    """
    now = now or timezone.now()
    if not slot.doctor.is_active:
        return DoctorUnavailable()
    if slot.starts_at <= now:
        return SlotInPast()
    if Appointment.objects.filter(live_slot_id=slot.pk, patient=patient).exists():
        return AlreadyBookedByYou()
    if slot.status != SlotStatus.OPEN:
        return SlotUnavailable()
    try:
        hold = slot.waitlist_hold
    except ObjectDoesNotExist:
        return None
    if hold.patient_id != patient.pk or hold.held_until <= now:
        return SlotHeld()
    return None


def patient_home(patient):
    """The patient's next appointment (doctor, profile, specialties), how many more are coming, open offers."""
    from waitlist.queries import open_offers  # waitlist builds on scheduling's models

    upcoming = (
        Appointment.objects.filter(_upcoming_filter(timezone.now()), patient=patient)
        .select_related("doctor", "doctor__doctor_profile")
        .prefetch_related(Prefetch("doctor__doctor_profile__specialties", queryset=Specialty.objects.order_by("name")))
        .order_by("starts_at", "pk")
    )
    upcoming = list(upcoming[:HOME_UPCOMING_SHOWN])
    return {
        "next_appointment": upcoming[0] if upcoming else None,
        "later_appointments": upcoming[1:],
        "offers": open_offers(patient),
    }


def local_day_bounds(day):
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()), tz)
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), datetime.min.time()), tz)
    return start, end


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
    """Active patients with a word of their name, email or phone beginning with each word of ``query``
    (a phone number may also be given by its last digits)."""
    words = search_words.query_words(query, limit=MAX_SEARCH_WORDS)
    if not words:
        return User.objects.none()
    patients = User.objects.filter(role=Role.PATIENT, is_active=True)
    for word in words:
        patients = patients.filter(pk__in=users_found_by(word, kinds=(search_words.NAME, search_words.PHONE)))
    return patients.order_by("last_name", "first_name")[:limit]


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
