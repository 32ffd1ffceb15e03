"""Booking, cancelling, rescheduling and the day-of-visit steps.

Every function owns its transaction. Locks are always taken in one order —
the patient's user row, then the appointment, then slots by id — so two
requests cannot deadlock each other, and MySQL's lock wait is bounded
(see DATABASE_URL's lock_wait_timeout), so a busy row answers in seconds.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from medly.clinic import with_clinic_phone
from records import audit
from scheduling import notifications, permissions
from scheduling.exceptions import (
    AlreadyBookedByYou,
    DoctorUnavailable,
    NoShowSlotTaken,
    NotAllowed,
    OnePerDoctorPerDay,
    OverlappingAppointment,
    SlotBusy,
    SlotInPast,
    SlotUnavailable,
    TooManyFutureAppointments,
)
from scheduling.models import LIVE_STATUSES, Appointment, AppointmentStatus, Slot, SlotStatus
from scheduling.queries import local_day_bounds
from scheduling.schedule_changes import schedule_changed
from waitlist import holds as waitlist_holds
from waitlist import hooks as waitlist_hooks

# MySQL error codes for "lock wait timeout exceeded" and "deadlock found".
LOCK_CONFLICT_CODES = {1205, 1213}
HOLDING_STATUSES = (AppointmentStatus.SCHEDULED, AppointmentStatus.CLOSING)
# Longer than any appointment: slots are at most 60 minutes (forms.SLOT_MINUTES), the admin could make a longer
# one, and the wide margin costs nothing (the read is bounded by the upcoming appointments anyway). Only an
# appointment starting less than this before a slot can overlap it.
LONGEST_APPOINTMENT = timedelta(hours=12)


def _claim_open_slot(slot_id, now):
    """Mark the slot booked if it is open and in the future; True if this call got it."""
    return (
        Slot.objects.filter(pk=slot_id, status=SlotStatus.OPEN, starts_at__gt=now).update(status=SlotStatus.BOOKED) == 1
    )


def _lock_patient(patient_id):
    # Serialises one patient's bookings so the overlap and limit checks cannot race.
    list(User.objects.select_for_update().filter(pk=patient_id).values_list("pk", flat=True))


def _locked_appointment(appointment_id):
    return Appointment.objects.select_for_update().get(pk=appointment_id)


def _refuse_unless_allowed(refusal):
    if refusal is not None:
        raise refusal


@dataclass(frozen=True)
class _PatientBookings:
    """What the booking guards need from one patient's live appointments, read in one query under their lock."""

    patient_id: int
    starts_at: datetime
    ends_at: datetime
    earliest: datetime
    ignore_appointment_id: int | None
    already_booked_id: int | None  # the patient's live appointment on the very slot
    held: int  # upcoming scheduled or closing appointments
    same_doctor_same_day: bool
    overlapping: bool


def _patient_bookings(*, patient_id, starts_at, ends_at, now, slot_id=None, doctor_id=None, ignore_appointment_id=None):
    """The patient's appointments that a booking of [starts_at, ends_at) could clash with, counted in one query.

    Only rows from ``earliest`` on can matter (the (patient, starts_at) index bounds the read): upcoming ones
    (the limit), the slot's clinic day (one per doctor per day) and those starting at most LONGEST_APPOINTMENT
    before the slot (the overlap); the patient's history before that is never read.
    """
    day_start, day_end = local_day_bounds(timezone.localdate(starts_at))
    earliest = min(now, day_start, starts_at - LONGEST_APPOINTMENT)
    holding = Q(status__in=HOLDING_STATUSES)
    counts = {
        "held": Count("pk", filter=holding & Q(starts_at__gt=now)),
        "overlapping": Count("pk", filter=holding & Q(starts_at__lt=ends_at, ends_at__gt=starts_at)),
    }
    if slot_id is not None:
        counts["already_booked_id"] = Max("pk", filter=Q(live_slot_id=slot_id))
    if doctor_id is not None:
        counts["same_day"] = Count("pk", filter=Q(doctor_id=doctor_id, starts_at__gte=day_start, starts_at__lt=day_end))
    found = (
        Appointment.objects.filter(patient_id=patient_id, status__in=LIVE_STATUSES, starts_at__gte=earliest)
        .exclude(pk=ignore_appointment_id)
        .aggregate(**counts)
    )
    return _PatientBookings(
        patient_id=patient_id,
        starts_at=starts_at,
        ends_at=ends_at,
        earliest=earliest,
        ignore_appointment_id=ignore_appointment_id,
        already_booked_id=found.get("already_booked_id"),
        held=found["held"],
        same_doctor_same_day=bool(found.get("same_day")),
        overlapping=bool(found["overlapping"]),
    )


def _check_no_overlap(bookings):
    if not bookings.overlapping:
        return
    overlapping = (
        Appointment.objects.filter(
            patient_id=bookings.patient_id,
            status__in=HOLDING_STATUSES,
            starts_at__gte=bookings.earliest,
            starts_at__lt=bookings.ends_at,
            ends_at__gt=bookings.starts_at,
        )
        .exclude(pk=bookings.ignore_appointment_id)
        .select_related("patient", "doctor")
        .first()
    )
    raise OverlappingAppointment(appointment=overlapping)


def _check_booking_limits(bookings):
    """At most MAX_FUTURE_APPOINTMENTS future appointments, and one per doctor per clinic day."""
    held = bookings.held
    if held >= settings.MAX_FUTURE_APPOINTMENTS:
        raise TooManyFutureAppointments(
            with_clinic_phone(
                ngettext(
                    "You already have %(count)d upcoming appointment, the most one patient can book online. "
                    "Please cancel one first, or call the clinic.",
                    "You already have %(count)d upcoming appointments, the most one patient can book online. "
                    "Please cancel one first, or call the clinic.",
                    held,
                )
                % {"count": held}
            )
        )
    if bookings.same_doctor_same_day:
        raise OnePerDoctorPerDay(with_clinic_phone(OnePerDoctorPerDay.message))


@contextmanager
def _lock_conflicts_as_busy():
    """Turn MySQL lock timeouts and deadlocks into a clear "try again" answer."""
    try:
        yield
    except OperationalError as exc:
        if exc.args and exc.args[0] in LOCK_CONFLICT_CODES:
            raise SlotBusy() from exc
        raise


def book_slot(*, patient, slot_id, booked_by=None, reason=""):
    """Book an open future slot for ``patient``; raises SlotUnavailable if someone else got it.

    ``reason`` is what the visit is for, as the booking form validated it (at most 500 characters).
    """
    booked_by = booked_by or patient
    if not permissions.may_hold_appointments(patient):
        raise NotAllowed(_("Appointments can only be booked for an active patient."))
    if not permissions.may_book_for(booked_by, patient):
        raise NotAllowed()
    now = timezone.now()
    try:
        with _lock_conflicts_as_busy(), transaction.atomic():
            _lock_patient(patient.pk)
            # The doctor's profile comes along for the confirmation mail (does the doctor want a notice?).
            slot = Slot.objects.select_related("doctor__doctor_profile").filter(pk=slot_id).first()
            if slot is None:
                raise SlotUnavailable()
            if not slot.doctor.is_active:
                raise DoctorUnavailable()
            if slot.starts_at <= now:
                raise SlotInPast()
            bookings = _patient_bookings(
                patient_id=patient.pk,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                now=now,
                slot_id=slot.pk,
                doctor_id=slot.doctor_id,
            )
            if bookings.already_booked_id is not None:
                already_booked = Appointment.objects.get(pk=bookings.already_booked_id)
                already_booked.patient, already_booked.doctor = patient, slot.doctor
                raise AlreadyBookedByYou(appointment=already_booked)
            if not permissions.may_exceed_booking_limits(booked_by):
                _check_booking_limits(bookings)
            _check_no_overlap(bookings)
            if not _claim_open_slot(slot_id, now):
                raise SlotUnavailable()
            _refuse_unless_allowed(waitlist_holds.claim_refusal(slot_id=slot.pk, patient_id=patient.pk, now=now))
            appointment = Appointment.objects.create(
                slot_id=slot.pk,
                live_slot_id=slot.pk,
                patient=patient,
                doctor=slot.doctor,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                booked_by=booked_by,
                reason=(reason or "").strip(),
            )
            schedule_changed([slot.doctor_id])
            notifications.queue_booking_confirmation(appointment)
    except IntegrityError as exc:
        # The live-appointment unique constraint: the last guard against a double booking.
        raise SlotUnavailable() from exc
    return appointment


def cancel_appointment(*, appointment_id, actor):
    """Cancel a scheduled appointment; its slot opens again in the same transaction."""
    now = timezone.now()
    with _lock_conflicts_as_busy(), transaction.atomic():
        appointment = _locked_appointment(appointment_id)
        _refuse_unless_allowed(permissions.cancel_refusal(actor, appointment, now=now))
        if appointment.slot_id is not None:
            list(Slot.objects.select_for_update().filter(pk=appointment.slot_id).values_list("pk", flat=True))
            Slot.objects.filter(pk=appointment.slot_id).update(status=SlotStatus.OPEN)
            waitlist_hooks.slot_freed(appointment.slot_id)
            schedule_changed([appointment.doctor_id])
        appointment.status = AppointmentStatus.CANCELLED
        appointment.live_slot = None
        appointment.cancelled_at = now
        appointment.cancelled_by = actor
        appointment.save(update_fields=["status", "live_slot", "cancelled_at", "cancelled_by"])
        notifications.queue_cancellation(appointment)
    return appointment


def reschedule_appointment(*, appointment_id, new_slot_id, actor):
    """Move a scheduled appointment to another open slot of the same doctor: both change or neither."""
    now = timezone.now()
    patient_id = Appointment.objects.filter(pk=appointment_id).values_list("patient_id", flat=True).first()
    if patient_id is None:
        raise Appointment.DoesNotExist()
    try:
        with _lock_conflicts_as_busy(), transaction.atomic():
            _lock_patient(patient_id)
            appointment = _locked_appointment(appointment_id)
            _refuse_unless_allowed(permissions.move_refusal(actor, appointment, now=now))
            slot_ids = sorted({new_slot_id, appointment.slot_id} - {None})
            slots = {
                slot.pk: slot
                for slot in Slot.objects.select_for_update()
                .filter(pk__in=slot_ids)
                .select_related("doctor")
                .order_by("pk")
            }
            new_slot = slots.get(new_slot_id)
            if new_slot is None or new_slot.doctor_id != appointment.doctor_id or new_slot.pk == appointment.slot_id:
                raise SlotUnavailable()
            if not new_slot.doctor.is_active:
                raise DoctorUnavailable()
            if new_slot.starts_at <= now:
                raise SlotInPast()
            bookings = _patient_bookings(
                patient_id=patient_id,
                starts_at=new_slot.starts_at,
                ends_at=new_slot.ends_at,
                now=now,
                doctor_id=new_slot.doctor_id,
                ignore_appointment_id=appointment.pk,
            )
            if not permissions.may_exceed_booking_limits(actor):
                _check_booking_limits(bookings)
            _check_no_overlap(bookings)
            if not _claim_open_slot(new_slot.pk, now):
                raise SlotUnavailable()
            _refuse_unless_allowed(waitlist_holds.claim_refusal(slot_id=new_slot.pk, patient_id=patient_id, now=now))
            if appointment.slot_id is not None:
                Slot.objects.filter(pk=appointment.slot_id).update(status=SlotStatus.OPEN)
                waitlist_hooks.slot_freed(appointment.slot_id)
            appointment.slot = new_slot
            appointment.live_slot_id = new_slot.pk
            appointment.starts_at = new_slot.starts_at
            appointment.ends_at = new_slot.ends_at
            appointment.save(update_fields=["slot", "live_slot", "starts_at", "ends_at"])
            schedule_changed([appointment.doctor_id])
            notifications.queue_reschedule(appointment)
    except IntegrityError as exc:
        raise SlotUnavailable() from exc
    return appointment


def mark_no_show(*, appointment_id, actor, ip_address=None):
    """The patient did not come: only after the start time, by its doctor or reception (see permissions)."""
    with _lock_conflicts_as_busy(), transaction.atomic():
        appointment = _locked_appointment(appointment_id)
        _refuse_unless_allowed(permissions.no_show_refusal(actor, appointment))
        appointment.status = AppointmentStatus.NO_SHOW
        appointment.live_slot = None
        appointment.save(update_fields=["status", "live_slot"])
        audit.record(
            user=actor,
            action=audit.APPOINTMENT_NO_SHOW,
            patient_id=appointment.patient_id,
            ip_address=ip_address,
            appointment_id=appointment.pk,
        )
    return appointment


def revert_no_show(*, appointment_id, actor, ip_address=None):
    """Undo a no-show marked in error: scheduled again on its own slot, unless that slot was given away."""
    patient_id = Appointment.objects.filter(pk=appointment_id).values_list("patient_id", flat=True).first()
    if patient_id is None:
        raise Appointment.DoesNotExist()
    try:
        with _lock_conflicts_as_busy(), transaction.atomic():
            _lock_patient(patient_id)
            appointment = _locked_appointment(appointment_id)
            _refuse_unless_allowed(permissions.revert_no_show_refusal(actor, appointment))
            if appointment.slot_id is None:
                raise NoShowSlotTaken()
            slot = Slot.objects.select_for_update().filter(pk=appointment.slot_id).first()
            if slot is None or Appointment.objects.filter(live_slot_id=slot.pk).exists():
                raise NoShowSlotTaken()
            _check_no_overlap(
                _patient_bookings(
                    patient_id=patient_id,
                    starts_at=appointment.starts_at,
                    ends_at=appointment.ends_at,
                    now=timezone.now(),
                    ignore_appointment_id=appointment.pk,
                )
            )
            Slot.objects.filter(pk=slot.pk).update(status=SlotStatus.BOOKED)
            schedule_changed([slot.doctor_id])
            appointment.status = AppointmentStatus.SCHEDULED
            appointment.live_slot = slot
            appointment.save(update_fields=["status", "live_slot"])
            audit.record(
                user=actor,
                action=audit.APPOINTMENT_NO_SHOW_REVERTED,
                patient_id=appointment.patient_id,
                ip_address=ip_address,
                appointment_id=appointment.pk,
            )
    except IntegrityError as exc:
        raise NoShowSlotTaken() from exc
    return appointment


def check_in(*, appointment_id, actor):
    """Reception records that the patient has arrived."""
    with _lock_conflicts_as_busy(), transaction.atomic():
        appointment = _locked_appointment(appointment_id)
        _refuse_unless_allowed(permissions.check_in_refusal(actor, appointment))
        appointment.checked_in_at = timezone.now()
        appointment.save(update_fields=["checked_in_at"])
    return appointment


def open_consultation(*, appointment_id, doctor):
    """Record that its doctor has the consultation open (first time only); returns the appointment as it is now.

    From then on staff can no longer cancel it or mark a no-show, so the note
    being written cannot be lost to them. Does nothing unless it is scheduled.
    """
    with _lock_conflicts_as_busy(), transaction.atomic():
        appointment = _locked_appointment(appointment_id)
        if not permissions.may_open_consultation(doctor, appointment):
            raise NotAllowed()
        if appointment.status == AppointmentStatus.SCHEDULED and appointment.consultation_opened_at is None:
            appointment.consultation_opened_at = timezone.now()
            appointment.save(update_fields=["consultation_opened_at"])
    return appointment
