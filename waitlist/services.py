"""Joining and leaving the waitlist, offering freed slots, and answering offers.

Locks follow scheduling.services' order — the patient's user row, then the
slot, then the offer — so a booking, an offer and a sweep never deadlock
each other. Every offer is made with its slot row locked, and only while the
slot is open with no live appointment and no live offer; the live-slot and
live-entry unique constraints are the last guard against a double offer.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from accounts.models import Role, User
from medly.mail import queue_email
from reminders.backends import PhoneMessage, backend_for
from reminders.models import Channel
from reminders.services import phone_channels
from scheduling import services as scheduling_services
from scheduling.exceptions import DoctorUnavailable, NotAllowed
from scheduling.models import LIVE_STATUSES, Appointment, Slot, SlotStatus
from scheduling.queries import local_day_bounds
from scheduling.schedule_changes import schedule_changed
from waitlist import holds, permissions
from waitlist.exceptions import AlreadyWaiting, NotOnWaitlist, OfferNoLongerOpen, SlotHeld
from waitlist.models import AFTERNOON_STARTS_AT, EntryStatus, OfferStatus, PartOfDay, WaitlistEntry, WaitlistOffer

logger = logging.getLogger(__name__)

# Candidates tried per free slot before giving up on this pass (each a savepoint).
CANDIDATES_PER_SLOT = 20


def join_waitlist(*, patient, doctor_id, from_date, to_date, part_of_day):
    """Put ``patient`` at the back of the doctor's queue; the form has checked the dates."""
    if not permissions.may_join_waitlist(patient):
        raise NotAllowed(_("Only an active patient can join a waitlist."))
    doctor = User.objects.filter(pk=doctor_id, role=Role.DOCTOR).first()
    if doctor is None or not doctor.is_active:
        raise DoctorUnavailable()
    try:
        with transaction.atomic(durable=True):
            if WaitlistEntry.objects.filter(patient=patient, waiting_doctor=doctor).exists():
                raise AlreadyWaiting()
            return WaitlistEntry.objects.create(
                patient=patient,
                doctor=doctor,
                waiting_doctor=doctor,
                from_date=from_date,
                to_date=to_date,
                part_of_day=part_of_day,
            )
    except IntegrityError as exc:
        # Two submits at once: the one-waiting-entry constraint let only one in.
        raise AlreadyWaiting() from exc


def leave_waitlist(*, patient, entry_id):
    """The patient leaves; a slot their live offer held passes on at once."""
    entry = WaitlistEntry.objects.filter(pk=entry_id, patient=patient).first()
    if entry is None or not entry.is_waiting:
        raise NotOnWaitlist()
    now = timezone.now()
    live_slot_id = WaitlistOffer.objects.filter(live_entry=entry).values_list("live_slot_id", flat=True).first()
    with transaction.atomic(durable=True):
        slot = _locked_slot(live_slot_id)
        offer = WaitlistOffer.objects.select_for_update().filter(live_entry=entry).first()
        if offer is not None:
            holds.end_offer(offer, OfferStatus.WITHDRAWN, now=now)
        left = WaitlistEntry.objects.filter(pk=entry.pk, status=EntryStatus.WAITING).update(
            status=EntryStatus.LEFT, waiting_doctor=None, ended_at=now
        )
        if not left:
            raise NotOnWaitlist()
        if slot is not None:
            _offer_locked_slot(slot, now=now)


def offer_slot(slot_id):
    """Offer the slot to the first matching waiting patient, if it is free and not already held; the offer or None."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        slot = _locked_slot(slot_id)
        if slot is None:
            return None
        return _offer_locked_slot(slot, now=now)


def offer_doctor_slots(doctor_id):
    """Offer each of the doctor's free, unheld future slots that someone waits for; the number of offers made."""
    now = timezone.now()
    last_day = (
        WaitlistEntry.objects.filter(doctor_id=doctor_id, status=EntryStatus.WAITING, to_date__gte=timezone.localdate())
        .order_by("-to_date")
        .values_list("to_date", flat=True)
        .first()
    )
    if last_day is None:
        return 0
    slot_ids = list(
        Slot.objects.filter(
            doctor_id=doctor_id,
            status=SlotStatus.OPEN,
            starts_at__gt=now,
            waitlist_hold__isnull=True,
            starts_at__lt=local_day_bounds(last_day)[1],
        )
        .order_by("starts_at")
        .values_list("pk", flat=True)
    )
    return sum(1 for slot_id in slot_ids if offer_slot(slot_id) is not None)


def accept_offer(*, patient, offer_id):
    """Book the held slot through the booking service and all its guards; returns the appointment.

    Raises OfferNoLongerOpen when the offer has expired or was answered, and
    the booking service's errors (limits, overlap...) as they are.
    """
    offer = WaitlistOffer.objects.filter(pk=offer_id, patient=patient).first()
    if offer is None:
        raise WaitlistOffer.DoesNotExist()
    now = timezone.now()
    if not offer.is_live or offer.held_until <= now or offer.slot_id is None:
        raise OfferNoLongerOpen()
    try:
        with transaction.atomic(durable=True):
            appointment = scheduling_services.book_slot(patient=patient, slot_id=offer.slot_id)
            # book_slot settled the hold (waitlist.holds) only if this offer still held the slot.
            if not WaitlistOffer.objects.filter(pk=offer.pk, status=OfferStatus.ACCEPTED).exists():
                raise OfferNoLongerOpen()
    except SlotHeld as exc:
        # It ran out and passed to the next patient between the check above and the booking.
        raise OfferNoLongerOpen() from exc
    return appointment


def decline_offer(*, patient, offer_id):
    """The patient does not want this slot: it passes to the next patient at once; they stay on the waitlist."""
    offer = WaitlistOffer.objects.filter(pk=offer_id, patient=patient).first()
    if offer is None:
        raise WaitlistOffer.DoesNotExist()
    if not offer.is_live:
        raise OfferNoLongerOpen()
    return _end_and_pass_on(offer.pk, offer.slot_id, OfferStatus.DECLINED, only_if_due=False)


def expire_due_offers():
    """End every offer past its hold (or whose slot is gone) and offer each slot to the next patient; how many ended."""
    now = timezone.now()
    due = list(
        WaitlistOffer.objects.filter(status=OfferStatus.OFFERED)
        .filter(Q(held_until__lte=now) | Q(slot__isnull=True))
        .order_by("held_until", "pk")
        .values_list("pk", "slot_id")
    )
    ended = 0
    for offer_id, slot_id in due:
        try:
            ended += _end_and_pass_on(offer_id, slot_id, OfferStatus.EXPIRED, only_if_due=True)
        except Exception:
            # One stuck slot (a lock timeout) must not stop the sweep; the next minute retries it.
            logger.exception("could not expire waitlist offer %s", offer_id)
    return ended


def _end_and_pass_on(offer_id, slot_id, status, *, only_if_due):
    now = timezone.now()
    with transaction.atomic(durable=True):
        slot = _locked_slot(slot_id)
        offer = WaitlistOffer.objects.select_for_update().filter(pk=offer_id, status=OfferStatus.OFFERED).first()
        if offer is None:
            if not only_if_due:
                raise OfferNoLongerOpen()
            return 0
        if only_if_due and offer.held_until > now and offer.slot_id is not None:
            return 0
        holds.end_offer(offer, OfferStatus.WITHDRAWN if offer.slot_id is None else status, now=now)
        if slot is not None:
            _offer_locked_slot(slot, now=now)
    return 1


def _locked_slot(slot_id):
    if slot_id is None:
        return None
    return Slot.objects.select_for_update().select_related("doctor").filter(pk=slot_id).first()


def _offer_locked_slot(slot, *, now):
    """With the slot row locked: the offer to the first matching waiting patient, or None."""
    if slot.status != SlotStatus.OPEN or slot.starts_at <= now or not slot.doctor.is_active:
        return None
    if WaitlistOffer.objects.filter(live_slot_id=slot.pk).exists():
        return None
    for entry in _candidates(slot, now=now)[:CANDIDATES_PER_SLOT]:
        try:
            with transaction.atomic():
                offer = WaitlistOffer.objects.create(
                    entry=entry,
                    patient_id=entry.patient_id,
                    slot=slot,
                    live_slot=slot,
                    live_entry=entry,
                    offered_at=now,
                    held_until=now + timedelta(minutes=settings.WAITLIST_HOLD_MINUTES),
                )
                # A held slot is not free to anyone else: the public pages hide it.
                schedule_changed([slot.doctor_id])
        except IntegrityError:
            # This entry got another slot's offer at the same moment: try the next patient.
            continue
        _send_offer(offer, entry.patient, slot)
        return offer
    return None


def part_of_day_of(starts_at):
    return PartOfDay.MORNING if timezone.localtime(starts_at).time() < AFTERNOON_STARTS_AT else PartOfDay.AFTERNOON


def _candidates(slot, *, now):
    """Waiting entries that match the slot, first joined first; never offered this slot before."""
    day = timezone.localdate(slot.starts_at)
    day_start, day_end = local_day_bounds(day)
    has_that_day = Appointment.objects.filter(
        patient_id=OuterRef("patient_id"),
        doctor_id=slot.doctor_id,
        status__in=LIVE_STATUSES,
        starts_at__gte=day_start,
        starts_at__lt=day_end,
    )
    offered_before = WaitlistOffer.objects.filter(entry_id=OuterRef("pk"), slot_id=slot.pk)
    return (
        WaitlistEntry.objects.filter(
            doctor_id=slot.doctor_id,
            status=EntryStatus.WAITING,
            from_date__lte=day,
            to_date__gte=day,
            part_of_day__in=(PartOfDay.ANY, part_of_day_of(slot.starts_at)),
            patient__is_active=True,
            live_offer__isnull=True,
        )
        .exclude(Exists(has_that_day))
        .exclude(Exists(offered_before))
        .select_related("patient")
        .order_by("joined_at", "pk")
    )


def _send_offer(offer, patient, slot):
    context = {
        "patient": patient,
        "doctor": slot.doctor,
        "slot": slot,
        "offer": offer,
        "waitlist_url": settings.SITE_URL.rstrip("/") + reverse("waitlist:mine"),
        "hold_minutes": settings.WAITLIST_HOLD_MINUTES,
    }
    with translation.override(patient.language):
        subject = _("A slot with %(doctor)s is held for you") % {"doctor": slot.doctor.get_full_name()}
        text = render_to_string("waitlist/email/offer.txt", context)
        html = render_to_string("waitlist/email/offer.html", context)
    queue_email(to=[patient.email], subject=subject, text=text, html=html)
    if may_text_about_offers(patient):
        from waitlist.tasks import send_offer_sms  # the tasks module imports this one

        transaction.on_commit(lambda: send_offer_sms.enqueue(offer_id=offer.pk))


def may_text_about_offers(patient):
    """Patients who gave a phone number and accepted SMS reminders also get their offers by SMS."""
    return Channel.SMS in phone_channels(patient)


def send_offer_sms(offer_id):
    """Text the patient their offer once, while it still holds the slot; True if a message left."""
    offer = WaitlistOffer.objects.select_related("patient", "slot__doctor").filter(pk=offer_id).first()
    now = timezone.now()
    if offer is None or offer.status != OfferStatus.OFFERED or offer.held_until <= now or offer.slot is None:
        return False
    patient = offer.patient
    if not may_text_about_offers(patient):
        return False
    if WaitlistOffer.objects.filter(pk=offer.pk, sms_sent_at__isnull=True).update(sms_sent_at=now) != 1:
        return False
    with translation.override(patient.language):
        body = _("Medly: a slot with %(doctor)s on %(when)s is held for you until %(until)s. Accept it at %(url)s") % {
            "doctor": offer.slot.doctor.get_full_name(),
            "when": date_format(timezone.localtime(offer.slot.starts_at), "DATETIME_FORMAT"),
            "until": time_format(timezone.localtime(offer.held_until), "TIME_FORMAT"),
            "url": settings.SITE_URL + reverse("waitlist:mine"),
        }
    backend_for(Channel.SMS).send(PhoneMessage(reminder_id=None, channel=Channel.SMS, to=patient.phone, body=body))
    return True
