"""What the booking and availability services call when a slot may have become free for the waitlist."""

from django.db import transaction


def slot_freed(slot_id):
    """After commit, offer the slot (cancelled, or moved away from) to the waitlist."""
    from waitlist import tasks  # waitlist.tasks reaches scheduling.services, which calls this

    transaction.on_commit(lambda: tasks.offer_freed_slot.enqueue(slot_id=slot_id))


def slots_opened(doctor_id):
    """After commit, offer a doctor's newly opened slots to the waitlist."""
    from waitlist import tasks

    transaction.on_commit(lambda: tasks.offer_new_slots.enqueue(doctor_id=doctor_id))
