"""Reminders: planning the due ones, claiming each once, sending it, and the phone consent.

A reminder is claimed with a conditional UPDATE (pending -> sending) before any
outside effect and marked sent after it, so two sweeps never send one twice.
A worker killed between the two leaves it in ``sending``; once its claim is older
than REMINDER_CLAIM_TIMEOUT_SECONDS another sweep takes it again: only the one
message in flight can repeat, none is lost.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from medly.mail import queue_email
from reminders import content
from reminders.backends import backend_for
from reminders.models import Channel, Reminder, ReminderConsent, ReminderState
from scheduling.models import Appointment, AppointmentStatus

logger = logging.getLogger(__name__)

ERROR_LENGTH = 2000


def reminder_lead():
    return timedelta(minutes=settings.REMINDER_MINUTES_BEFORE)


def phone_channels(patient):
    """The phone channels (SMS, WhatsApp) the patient accepted messages on, if they gave a number."""
    consent = getattr(patient, "reminder_consent", None)
    if not patient.phone or consent is None:
        return []
    accepted = (
        (Channel.SMS, consent.sms_reminders_opt_in_at),
        (Channel.WHATSAPP, consent.whatsapp_reminders_opt_in_at),
    )
    return [channel for channel, accepted_at in accepted if accepted_at]


def _recipients(patient):
    """{channel: address} of every channel this patient gets reminders on."""
    recipients = {Channel.EMAIL: patient.email} if patient.email else {}
    for channel in phone_channels(patient):
        recipients[channel] = patient.phone
    return recipients


def plan_due_reminders(*, now):
    """A pending row per channel for each scheduled appointment whose reminder time has come.

    The unique (appointment, channel, start) constraint makes concurrent sweeps insert each once.
    """
    appointments = Appointment.objects.filter(
        status=AppointmentStatus.SCHEDULED, starts_at__gt=now, starts_at__lte=now + reminder_lead()
    ).select_related("patient__reminder_consent")
    rows = [
        Reminder(
            appointment=appointment,
            channel=channel,
            recipient=recipient,
            appointment_starts_at=appointment.starts_at,
            due_at=appointment.starts_at - reminder_lead(),
        )
        for appointment in appointments
        for channel, recipient in _recipients(appointment.patient).items()
    ]
    Reminder.objects.bulk_create(rows, ignore_conflicts=True)


def skip_stale_reminders(*, now):
    """Pending reminders of appointments no longer scheduled, moved, or already begun are skipped."""
    pending = Reminder.objects.filter(state=ReminderState.PENDING)
    reasons = [
        (~Q(appointment__status=AppointmentStatus.SCHEDULED), gettext_noop("The appointment is no longer scheduled.")),
        (~Q(appointment__starts_at=F("appointment_starts_at")), gettext_noop("The appointment was moved.")),
        (Q(appointment_starts_at__lte=now), gettext_noop("The appointment had already begun.")),
    ]
    for condition, reason in reasons:
        stale_ids = list(pending.filter(condition).values_list("pk", flat=True))
        Reminder.objects.filter(pk__in=stale_ids, state=ReminderState.PENDING).update(
            state=ReminderState.SKIPPED, error=reason
        )


def claimable(*, now):
    stale_claim = now - timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT_SECONDS)
    return Reminder.objects.filter(
        Q(state=ReminderState.PENDING, due_at__lte=now) | Q(state=ReminderState.SENDING, claimed_at__lt=stale_claim)
    )


def claim(reminder_id, *, now):
    """True if this caller now owns the reminder (the conditional UPDATE changed its row)."""
    return (
        claimable(now=now)
        .filter(pk=reminder_id)
        .update(state=ReminderState.SENDING, claimed_at=now, attempts=F("attempts") + 1)
        == 1
    )


def _finish(reminder_id, **fields):
    Reminder.objects.filter(pk=reminder_id, state=ReminderState.SENDING).update(**fields)


def _deliver(reminder):
    if reminder.channel == Channel.EMAIL:
        subject, text, html = content.reminder_email(reminder.appointment)
        queue_email(to=[reminder.recipient], subject=subject, text=text, html=html)
    else:
        backend_for(reminder.channel).send(content.phone_message(reminder))


def send_claimed(reminder_id):
    """Send a reminder this caller has claimed, after re-reading its appointment."""
    reminder = Reminder.objects.select_related("appointment__patient__reminder_consent", "appointment__doctor").get(
        pk=reminder_id
    )
    appointment = reminder.appointment
    if appointment.status != AppointmentStatus.SCHEDULED or appointment.starts_at != reminder.appointment_starts_at:
        _finish(
            reminder_id, state=ReminderState.SKIPPED, error=gettext_noop("The appointment changed before it was sent.")
        )
        return ReminderState.SKIPPED
    if appointment.starts_at <= timezone.now():
        _finish(reminder_id, state=ReminderState.SKIPPED, error=gettext_noop("The appointment had already begun."))
        return ReminderState.SKIPPED
    recipient = _recipients(appointment.patient).get(reminder.channel)
    if recipient is None:
        _finish(
            reminder_id, state=ReminderState.SKIPPED, error=gettext_noop("The patient withdrew consent or the address.")
        )
        return ReminderState.SKIPPED
    reminder.recipient = recipient
    try:
        _deliver(reminder)
    except Exception as exc:  # the provider refused or is unreachable: reception sees why
        logger.warning("reminder %s on %s failed: %s", reminder_id, reminder.channel, exc)
        _finish(reminder_id, state=ReminderState.FAILED, error=f"{type(exc).__name__}: {exc}"[:ERROR_LENGTH])
        return ReminderState.FAILED
    _finish(reminder_id, state=ReminderState.SENT, sent_at=timezone.now(), recipient=recipient, error="")
    return ReminderState.SENT


def send_due_reminders(*, now=None):
    """The sweep: plan what is due, skip what went stale, then claim and send each due reminder.

    Returns {state: count} of the reminders this call finished.
    """
    now = now or timezone.now()
    plan_due_reminders(now=now)
    skip_stale_reminders(now=now)
    finished = {}
    for reminder_id in list(claimable(now=now).order_by("due_at", "pk").values_list("pk", flat=True)):
        if not claim(reminder_id, now=timezone.now()):
            continue  # another worker has it
        state = send_claimed(reminder_id)
        finished[state] = finished.get(state, 0) + 1
    return finished


def set_phone_reminders(*, patient, sms, whatsapp, recorded_by):
    """Record the patient's yes or no to SMS and WhatsApp reminders; a yes keeps its first time."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        consent, _created = ReminderConsent.objects.select_for_update().get_or_create(
            patient=patient, defaults={"recorded_by": recorded_by}
        )
        consent.sms_reminders_opt_in_at = (consent.sms_reminders_opt_in_at or now) if sms else None
        consent.whatsapp_reminders_opt_in_at = (consent.whatsapp_reminders_opt_in_at or now) if whatsapp else None
        consent.recorded_by = recorded_by
        consent.save()
    return consent
