"""Reads for the waitlist pages, each in a fixed number of queries."""

from django.utils import timezone

from accounts.models import Role, User
from waitlist.models import EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer


def patient_entries(patient):
    """The patient's waiting entries, first joined first, with their doctors."""
    return list(
        WaitlistEntry.objects.filter(patient=patient, status=EntryStatus.WAITING)
        .select_related("doctor")
        .order_by("joined_at", "pk")
    )


def open_offers(patient):
    """The patient's live offers whose hold has not run out, soonest ending first."""
    return list(
        WaitlistOffer.objects.filter(patient=patient, status=OfferStatus.OFFERED, held_until__gt=timezone.now())
        .exclude(slot__isnull=True)
        .select_related("slot", "slot__doctor")
        .order_by("held_until", "pk")
    )


def waitlist_doctors():
    """Active doctors, for reception's choice of queue."""
    return User.objects.filter(role=Role.DOCTOR, is_active=True).order_by("last_name", "first_name", "pk")


def doctor_queue(doctor):
    """The doctor's waiting entries in queue order, each with its live offer (or None) and patient."""
    return list(
        WaitlistEntry.objects.filter(doctor=doctor, status=EntryStatus.WAITING)
        .select_related("patient", "live_offer", "live_offer__slot")
        .order_by("joined_at", "pk")
    )


def offer_for(patient, offer_id):
    return WaitlistOffer.objects.filter(pk=offer_id, patient=patient).select_related("slot", "slot__doctor").first()
