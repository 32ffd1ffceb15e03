"""The waitlist's background work: offering freed slots, and the minute sweep of holds that ran out."""

import crontask
from django.tasks import task

from waitlist import services


@task
def offer_freed_slot(*, slot_id):
    """A slot was cancelled or moved away from: offer it to the first matching waiting patient."""
    offer = services.offer_slot(slot_id)
    return offer.pk if offer is not None else None


@task
def offer_new_slots(*, doctor_id):
    """A doctor opened slots: offer those that waiting patients want."""
    return services.offer_doctor_slots(doctor_id)


@task
def send_offer_sms(*, offer_id):
    """The offer by SMS too, for patients who accepted SMS reminders."""
    return services.send_offer_sms(offer_id)


@crontask.cron("* * * * *")
@task
def expire_waitlist_offers():
    """Every minute: end the holds that ran out and pass each slot to the next patient."""
    return services.expire_due_offers()
