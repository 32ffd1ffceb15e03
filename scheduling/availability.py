"""Doctors open, remove and block their slots."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Role, User
from scheduling.exceptions import AvailabilityConflict, NotAllowed
from scheduling.models import Slot, SlotStatus
from waitlist import hooks as waitlist_hooks


@dataclass(frozen=True)
class AvailabilityResult:
    opened: int
    already_existed: int


@dataclass(frozen=True)
class RemovalResult:
    removed: int
    kept_booked: int


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
        # One doctor's availability changes run one at a time, so the overlap check holds.
        list(User.objects.select_for_update().filter(pk=doctor.pk).values_list("pk", flat=True))
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
    return AvailabilityResult(opened=len(new), already_existed=len(planned) - len(new))


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
        return _remove(wanted)


def block_day(*, doctor, day):
    """Remove every open slot of ``day`` (clinic time); booked slots stay and are reported."""
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()), tz)
    end = timezone.make_aware(datetime.combine(day + timedelta(days=1), datetime.min.time()), tz)
    with transaction.atomic():
        wanted = Slot.objects.select_for_update().filter(doctor=doctor, starts_at__gte=start, starts_at__lt=end)
        return _remove(wanted)


def _remove(locked_slots):
    statuses = list(locked_slots.values_list("pk", "status"))
    open_ids = [pk for pk, status in statuses if status == SlotStatus.OPEN]
    Slot.objects.filter(pk__in=open_ids, status=SlotStatus.OPEN).delete()
    return RemovalResult(removed=len(open_ids), kept_booked=len(statuses) - len(open_ids))
