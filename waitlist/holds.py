"""The hold a live offer puts on its slot, checked inside the booking transaction.

``scheduling.services`` calls ``claim_refusal`` after it has claimed the slot
row (so the row is locked): every offer is made with that row locked too, so
the live-offer read below sees every committed offer and none can appear
before this booking commits.
"""

from django.utils import timezone

from scheduling.models import Slot
from scheduling.schedule_changes import schedule_changed
from waitlist.exceptions import SlotHeld
from waitlist.models import EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer


def claim_refusal(*, slot_id, patient_id, now):
    """None if ``patient_id`` may take the slot; SlotHeld while it is held for someone else.

    The holder's own booking (while the hold lasts) settles the offer as accepted
    in the same transaction. An offer past its hold keeps the slot until the sweep
    passes it on, so the next patient in the queue is not overtaken.
    """
    offer = WaitlistOffer.objects.select_for_update().filter(live_slot_id=slot_id).first()
    if offer is None:
        return None
    if offer.patient_id != patient_id or offer.held_until <= now:
        return SlotHeld()
    end_offer(offer, OfferStatus.ACCEPTED, now=now)
    WaitlistEntry.objects.filter(pk=offer.entry_id).update(status=EntryStatus.BOOKED, waiting_doctor=None, ended_at=now)
    return None


def end_offer(offer, status, *, now=None):
    """Release the offer's hold on its slot and entry (the caller holds the slot row and the offer row)."""
    offer.status = status
    offer.live_slot = None
    offer.live_entry = None
    offer.ended_at = now or timezone.now()
    offer.save(update_fields=["status", "live_slot", "live_entry", "ended_at"])
    if offer.slot_id is not None:
        # The slot shows as free again (unless this ends in its booking, which announces itself too).
        schedule_changed(Slot.objects.filter(pk=offer.slot_id).values_list("doctor_id", flat=True))
