"""Doctors open, remove and block their slots."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Role, User
from records import audit
from scheduling.exceptions import AvailabilityConflict, NotAllowed, NothingToUndo
from scheduling.models import LIVE_STATUSES, Appointment, BlockedDay, ClinicClosure, Slot, SlotStatus
from scheduling.queries import local_day_bounds
from scheduling.schedule_changes import schedule_changed
from waitlist import hooks as waitlist_hooks


@dataclass(frozen=True)
class AvailabilityResult:
    opened: int
    already_existed: int
    # Slots not opened because their day is blocked by the doctor or closed for the whole clinic.
    skipped_closed: int = 0


@dataclass(frozen=True)
class RemovalResult:
    removed: int
    kept_booked: int


@dataclass(frozen=True)
class ClosureResult:
    closure: ClinicClosure
    removed: int
    # The live appointments of that day: they still take place unless staff cancel them one by one.
    kept_appointments: list = field(default_factory=list)


def planned_slots(*, start_date, end_date, weekdays, start_time, end_time, slot_minutes, tz=None):
    """(starts_at, ends_at) pairs as UTC datetimes, starting at local wall-clock times in ``tz``."""
    tz = tz or timezone.get_current_timezone()
    length = timedelta(minutes=slot_minutes)
    weekdays = set(weekdays)
    day = start_date
    while day <= end_date:
        if day.weekday() in weekdays:
            start = datetime.combine(day, start_time)
            last_start = datetime.combine(day, end_time) - length
            while start <= last_start:
                starts_at = timezone.make_aware(start, tz).astimezone(UTC)
                # A wall-clock time that a daylight-saving change skips does not exist
                # (make_aware would shift it onto a later slot); lengths are real time,
                # so a slot across a change is as long as asked.
                if timezone.localtime(starts_at, tz).replace(tzinfo=None) == start:
                    yield starts_at, starts_at + length
                start += length
        day += timedelta(days=1)


def open_slots(*, doctor, start_date, end_date, weekdays, start_time, end_time, slot_minutes):
    """Open the planned slots; slots that already exist are left alone.

    Refuses the whole request if a planned slot would overlap an existing slot
    of another length or start. Slots already in the past are skipped.
    """
    if doctor.role != Role.DOCTOR:
        raise NotAllowed()
    now = timezone.now()
    planned = [
        (starts_at, ends_at)
        for starts_at, ends_at in planned_slots(
            start_date=start_date,
            end_date=end_date,
            weekdays=weekdays,
            start_time=start_time,
            end_time=end_time,
            slot_minutes=slot_minutes,
        )
        if starts_at > now
    ]
    if not planned:
        return AvailabilityResult(opened=0, already_existed=0)
    with transaction.atomic():
        # One doctor's availability changes run one at a time, so the overlap check holds;
        # a clinic closure locks every doctor first, so it cannot slip in between.
        _lock_doctors([doctor.pk])
        closed_days = _closed_days(doctor, planned[0][0], planned[-1][0])
        planned_count = len(planned)
        planned = [pair for pair in planned if timezone.localdate(pair[0]) not in closed_days]
        skipped = planned_count - len(planned)
        if not planned:
            return AvailabilityResult(opened=0, already_existed=0, skipped_closed=skipped)
        existing = list(
            Slot.objects.filter(doctor=doctor, starts_at__lt=planned[-1][1], ends_at__gt=planned[0][0])
            .order_by("starts_at")
            .values_list("starts_at", "ends_at")
        )
        existing_exact = set(existing)
        new = [pair for pair in planned if pair not in existing_exact]
        _refuse_overlaps(new, existing)
        Slot.objects.bulk_create(
            [Slot(doctor=doctor, starts_at=starts_at, ends_at=ends_at) for starts_at, ends_at in new],
            batch_size=500,
        )
        if new:
            waitlist_hooks.slots_opened(doctor.pk)
            schedule_changed([doctor.pk])
    return AvailabilityResult(opened=len(new), already_existed=len(planned) - len(new), skipped_closed=skipped)


def _lock_doctors(doctor_ids):
    """Lock the doctors' user rows in id order (every availability change of a doctor locks first); their ids."""
    return list(User.objects.select_for_update().filter(pk__in=doctor_ids).order_by("pk").values_list("pk", flat=True))


def _closed_days(doctor, first_start, last_start):
    """The clinic dates between the two instants that the doctor blocked or the clinic closed."""
    first, last = timezone.localdate(first_start), timezone.localdate(last_start)
    blocked = BlockedDay.objects.filter(doctor=doctor, day__gte=first, day__lte=last).values_list("day", flat=True)
    closed = ClinicClosure.objects.filter(day__gte=first, day__lte=last).values_list("day", flat=True)
    return {*blocked, *closed}


def _refuse_overlaps(new, existing):
    """Both lists are sorted by start; walk them together."""
    index = 0
    for starts_at, ends_at in new:
        while index < len(existing) and existing[index][1] <= starts_at:
            index += 1
        if index < len(existing) and existing[index][0] < ends_at:
            clash_start, clash_end = existing[index]
            raise AvailabilityConflict(
                _(
                    "These hours overlap an existing slot (%(start)s–%(end)s) of a different length. "
                    "Remove it first or choose other hours."
                )
                % {
                    "start": date_format(timezone.localtime(clash_start), "DATETIME_FORMAT"),
                    "end": date_format(timezone.localtime(clash_end), "TIME_FORMAT"),
                }
            )


def remove_open_slots(*, doctor, slot_ids):
    """Remove the doctor's open future slots among ``slot_ids``; booked ones are kept and counted."""
    with transaction.atomic():
        wanted = Slot.objects.select_for_update().filter(doctor=doctor, pk__in=slot_ids)
        schedule_changed([doctor.pk])
        return _remove(wanted)


def remove_open_range(*, doctor, day, start_time=None, end_time=None):
    """Remove the doctor's open future slots of ``day`` (clinic time) starting in [start_time, end_time).

    Without times, the whole day's open slots go. Booked slots stay and are counted.
    """
    start, end = local_day_bounds(day)
    if start_time is not None:
        start = timezone.make_aware(datetime.combine(day, start_time))
    if end_time is not None:
        end = timezone.make_aware(datetime.combine(day, end_time))
    with transaction.atomic():
        wanted = Slot.objects.select_for_update().filter(
            doctor=doctor, starts_at__gte=max(start, timezone.now()), starts_at__lt=end
        )
        schedule_changed([doctor.pk])
        return _remove(wanted)


def block_day(*, doctor, day):
    """Close every open slot of ``day`` (clinic time) and keep it closed; booked slots stay and are reported.

    The closed slots are remembered on the BlockedDay, so ``unblock_day`` can put them back.
    """
    start, end = local_day_bounds(day)
    with transaction.atomic():
        _lock_doctors([doctor.pk])
        locked = list(
            Slot.objects.select_for_update()
            .filter(doctor=doctor, starts_at__gte=start, starts_at__lt=end)
            .order_by("pk")
        )
        closing = [slot for slot in locked if slot.status == SlotStatus.OPEN]
        block, _created = BlockedDay.objects.get_or_create(doctor=doctor, day=day)
        remembered = {tuple(pair) for pair in block.closed_slots}
        remembered |= {(slot.starts_at.isoformat(), slot.ends_at.isoformat()) for slot in closing}
        block.closed_slots = sorted(remembered)
        block.save(update_fields=["closed_slots"])
        Slot.objects.filter(pk__in=[slot.pk for slot in closing], status=SlotStatus.OPEN).delete()
        schedule_changed([doctor.pk])
    return RemovalResult(removed=len(closing), kept_booked=len(locked) - len(closing))


def unblock_day(*, doctor, day):
    """Lift the doctor's block of ``day`` and reopen the open slots it closed; returns how many reopened.

    Slots that have started since, that fall on a clinic closure, or that would overlap a slot
    opened meanwhile stay closed. Raises NothingToUndo if the day is not blocked.
    """
    now = timezone.now()
    with transaction.atomic():
        _lock_doctors([doctor.pk])
        block = BlockedDay.objects.select_for_update().filter(doctor=doctor, day=day).first()
        if block is None:
            raise NothingToUndo(_("That day is not blocked."))
        pairs = sorted(
            (datetime.fromisoformat(starts_at), datetime.fromisoformat(ends_at))
            for starts_at, ends_at in block.closed_slots
        )
        block.delete()
        if ClinicClosure.objects.filter(day=day).exists():
            return 0
        pairs = [pair for pair in pairs if pair[0] > now]
        start, end = local_day_bounds(day)
        existing = list(
            Slot.objects.filter(doctor=doctor, starts_at__lt=end, ends_at__gt=start)
            .order_by("starts_at")
            .values_list("starts_at", "ends_at")
        )
        reopened = [pair for pair in pairs if not any(s < pair[1] and pair[0] < e for s, e in existing)]
        Slot.objects.bulk_create([Slot(doctor=doctor, starts_at=s, ends_at=e) for s, e in reopened])
        if reopened:
            waitlist_hooks.slots_opened(doctor.pk)
            schedule_changed([doctor.pk])
    return len(reopened)


def close_clinic(*, day, name, created_by):
    """Close the whole clinic on ``day``: every doctor's open slots of that day go, and none opens again.

    Booked slots stay with their appointments, which are returned for staff to handle. Audited.
    Not durable: Django admin, its caller, wraps each save in its own transaction.
    """
    start, end = local_day_bounds(day)
    with transaction.atomic():
        doctor_ids = _lock_doctors(User.objects.filter(role=Role.DOCTOR).values_list("pk", flat=True))
        schedule_changed(doctor_ids)
        closure = ClinicClosure.objects.create(day=day, name=name, created_by=created_by)
        removed = _remove(Slot.objects.select_for_update().filter(starts_at__gte=start, starts_at__lt=end))
        kept = list(
            Appointment.objects.filter(starts_at__gte=start, starts_at__lt=end, status__in=LIVE_STATUSES)
            .select_related("doctor", "patient")
            .order_by("starts_at", "doctor__last_name")
        )
        audit.record(
            user=created_by,
            action=audit.CLINIC_CLOSURE,
            day=day.isoformat(),
            name=name,
            removed_slots=removed.removed,
            kept_appointments=[appointment.pk for appointment in kept],
        )
    return ClosureResult(closure=closure, removed=removed.removed, kept_appointments=kept)


def _remove(locked_slots):
    statuses = list(locked_slots.values_list("pk", "status"))
    open_ids = [pk for pk, status in statuses if status == SlotStatus.OPEN]
    Slot.objects.filter(pk__in=open_ids, status=SlotStatus.OPEN).delete()
    return RemovalResult(removed=len(open_ids), kept_booked=len(statuses) - len(open_ids))
