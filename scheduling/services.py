"""Booking, cancelling, rescheduling and the day-of-visit steps.

Every function owns its transaction. Locks are always taken in one order —
the patient's user row, then the appointment, then slots by id — so two
requests cannot deadlock each other, and MySQL's lock wait is bounded
(see DATABASE_URL's lock_wait_timeout), so a busy row answers in seconds.
"""

from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Role, User
from scheduling import notifications
from scheduling.exceptions import (
    AlreadyBookedByYou,
    CancellationTooLate,
    InvalidTransition,
    NotAllowed,
    OverlappingAppointment,
    SlotBusy,
    SlotInPast,
    SlotUnavailable,
)
from scheduling.models import Appointment, AppointmentStatus, Slot, SlotStatus

# MySQL error codes for "lock wait timeout exceeded" and "deadlock found".
LOCK_CONFLICT_CODES = {1205, 1213}


def _guards_on():
    # Tests switch the guards off to prove that their races really race.
    return getattr(settings, "SCHEDULING_RACE_GUARDS", True)


def _locked(queryset):
    return queryset.select_for_update() if _guards_on() else queryset


def _claim_open_slot(slot_id, now):
    """Mark the slot booked if it is open and in the future; True if this call got it."""
    if _guards_on():
        return Slot.objects.filter(pk=slot_id, status=SlotStatus.OPEN, starts_at__gt=now).update(
            status=SlotStatus.BOOKED
        ) == 1
    is_open = Slot.objects.filter(pk=slot_id, status=SlotStatus.OPEN, starts_at__gt=now).exists()
    if is_open:
        Slot.objects.filter(pk=slot_id).update(status=SlotStatus.BOOKED)
    return is_open


def _live_slot_id(slot_id):
    return slot_id if _guards_on() else None


def _lock_patient(patient_id):
    # Serialises one patient's bookings so the overlap check cannot race.
    list(_locked(User.objects.filter(pk=patient_id)).values_list("pk", flat=True))


def _check_no_overlap(*, patient_id, starts_at, ends_at, ignore_appointment_id=None):
    overlapping = Appointment.objects.filter(
        patient_id=patient_id,
        status__in=(AppointmentStatus.SCHEDULED, AppointmentStatus.CLOSING),
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    ).exclude(pk=ignore_appointment_id)
    if overlapping.exists():
        raise OverlappingAppointment()


@contextmanager
def _lock_conflicts_as_busy():
    """Turn MySQL lock timeouts and deadlocks into a clear "try again" answer."""
    try:
        yield
    except OperationalError as exc:
        if exc.args and exc.args[0] in LOCK_CONFLICT_CODES:
            raise SlotBusy() from exc
        raise


def book_slot(*, patient, slot_id, booked_by=None):
    """Book an open future slot for ``patient``; raises SlotUnavailable if someone else got it."""
    booked_by = booked_by or patient
    if patient.role != Role.PATIENT or not patient.is_active:
        raise NotAllowed(_("Appointments can only be booked for an active patient."))
    if booked_by != patient and booked_by.role not in (Role.RECEPTION, Role.ADMIN):
        raise NotAllowed()
    now = timezone.now()
    try:
        with _lock_conflicts_as_busy(), transaction.atomic():
            _lock_patient(patient.pk)
            slot = Slot.objects.filter(pk=slot_id).first()
            if slot is None:
                raise SlotUnavailable()
            if slot.starts_at <= now:
                raise SlotInPast()
            if Appointment.objects.filter(live_slot_id=slot.pk, patient=patient).exists():
                raise AlreadyBookedByYou()
            _check_no_overlap(patient_id=patient.pk, starts_at=slot.starts_at, ends_at=slot.ends_at)
            if not _claim_open_slot(slot_id, now):
                raise SlotUnavailable()
            appointment = Appointment.objects.create(
                slot_id=slot.pk,
                live_slot_id=_live_slot_id(slot.pk),
                patient=patient,
                doctor_id=slot.doctor_id,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                booked_by=booked_by,
            )
            transaction.on_commit(lambda: notifications.send_booking_confirmation(appointment))
    except IntegrityError as exc:
        # The live-appointment unique constraint: the last guard against a double booking.
        raise SlotUnavailable() from exc
    return appointment


def _can_act_for(actor, appointment):
    if actor.role in (Role.RECEPTION, Role.ADMIN):
        return True
    if actor.role == Role.DOCTOR:
        return appointment.doctor_id == actor.pk
    return appointment.patient_id == actor.pk


def _check_patient_cutoff(actor, appointment, now, *, moving):
    if actor.role != Role.PATIENT:
        return
    minutes = settings.PATIENT_CHANGE_CUTOFF_MINUTES
    if appointment.starts_at - now >= timedelta(minutes=minutes):
        return
    cutoff = _cutoff_text(minutes)
    if moving:
        message = _("Appointments can be moved online until %(cutoff)s before they start. Please call the clinic.")
    else:
        message = _(
            "Appointments can be cancelled online until %(cutoff)s before they start. Please call the clinic."
        )
    raise CancellationTooLate(message % {"cutoff": cutoff})


def _cutoff_text(minutes):
    if minutes % 60 == 0:
        return ngettext("%(count)d hour", "%(count)d hours", minutes // 60) % {"count": minutes // 60}
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def cancel_appointment(*, appointment_id, actor):
    """Cancel a scheduled appointment; its slot opens again in the same transaction."""
    now = timezone.now()
    with _lock_conflicts_as_busy(), transaction.atomic():
        appointment = _locked(Appointment.objects.filter(pk=appointment_id)).get()
        if not _can_act_for(actor, appointment):
            raise NotAllowed()
        if appointment.status != AppointmentStatus.SCHEDULED:
            raise InvalidTransition(_("Only scheduled appointments can be cancelled."))
        _check_patient_cutoff(actor, appointment, now, moving=False)
        if appointment.slot_id is not None:
            list(_locked(Slot.objects.filter(pk=appointment.slot_id)).values_list("pk", flat=True))
            Slot.objects.filter(pk=appointment.slot_id).update(status=SlotStatus.OPEN)
        appointment.status = AppointmentStatus.CANCELLED
        appointment.live_slot = None
        appointment.cancelled_at = now
        appointment.cancelled_by = actor
        appointment.save(update_fields=["status", "live_slot", "cancelled_at", "cancelled_by"])
        transaction.on_commit(lambda: notifications.send_cancellation(appointment))
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
            appointment = _locked(Appointment.objects.filter(pk=appointment_id)).get()
            if actor.role == Role.DOCTOR or not _can_act_for(actor, appointment):
                raise NotAllowed()
            if appointment.status != AppointmentStatus.SCHEDULED:
                raise InvalidTransition(_("Only scheduled appointments can be moved."))
            _check_patient_cutoff(actor, appointment, now, moving=True)
            slot_ids = sorted({new_slot_id, appointment.slot_id} - {None})
            slots = {slot.pk: slot for slot in _locked(Slot.objects.filter(pk__in=slot_ids).order_by("pk"))}
            new_slot = slots.get(new_slot_id)
            if new_slot is None or new_slot.doctor_id != appointment.doctor_id or new_slot.pk == appointment.slot_id:
                raise SlotUnavailable()
            if new_slot.starts_at <= now:
                raise SlotInPast()
            _check_no_overlap(
                patient_id=patient_id, starts_at=new_slot.starts_at, ends_at=new_slot.ends_at,
                ignore_appointment_id=appointment.pk,
            )
            if not _claim_open_slot(new_slot.pk, now):
                raise SlotUnavailable()
            if appointment.slot_id is not None:
                Slot.objects.filter(pk=appointment.slot_id).update(status=SlotStatus.OPEN)
            appointment.slot = new_slot
            appointment.live_slot_id = _live_slot_id(new_slot.pk)
            appointment.starts_at = new_slot.starts_at
            appointment.ends_at = new_slot.ends_at
            appointment.save(update_fields=["slot", "live_slot", "starts_at", "ends_at"])
            transaction.on_commit(lambda: notifications.send_reschedule(appointment))
    except IntegrityError as exc:
        raise SlotUnavailable() from exc
    return appointment


def mark_no_show(*, appointment_id, actor):
    """The patient did not come: only after the start time, by its doctor or reception."""
    with _lock_conflicts_as_busy(), transaction.atomic():
        appointment = _locked(Appointment.objects.filter(pk=appointment_id)).get()
        if actor.role == Role.PATIENT or not _can_act_for(actor, appointment):
            raise NotAllowed()
        if appointment.status != AppointmentStatus.SCHEDULED:
            raise InvalidTransition()
        if appointment.starts_at > timezone.now():
            raise InvalidTransition(_("A no-show can only be recorded once the appointment has started."))
        appointment.status = AppointmentStatus.NO_SHOW
        appointment.live_slot = None
        appointment.save(update_fields=["status", "live_slot"])
    return appointment


def check_in(*, appointment_id, actor):
    """Reception records that the patient has arrived."""
    with _lock_conflicts_as_busy(), transaction.atomic():
        appointment = _locked(Appointment.objects.filter(pk=appointment_id)).get()
        if actor.role not in (Role.RECEPTION, Role.ADMIN):
            raise NotAllowed()
        if appointment.status != AppointmentStatus.SCHEDULED or appointment.checked_in_at is not None:
            raise InvalidTransition(_("This appointment cannot be checked in."))
        appointment.checked_in_at = timezone.now()
        appointment.save(update_fields=["checked_in_at"])
    return appointment
