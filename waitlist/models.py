from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scheduling.models import Slot

# A slot that starts before this clinic-time hour is a morning slot; from it on, an afternoon slot.
AFTERNOON_STARTS_AT = time(13, 0)


class PartOfDay(models.TextChoices):
    ANY = "any", _("Any time of day")
    MORNING = "morning", _("Morning (before 13:00)")
    AFTERNOON = "afternoon", _("Afternoon (from 13:00)")


class EntryStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    BOOKED = "booked", _("Booked")
    LEFT = "left", _("Left")


class WaitlistEntry(models.Model):
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="waitlist_entries", verbose_name=_("patient")
    )
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("doctor")
    )
    from_date = models.DateField(_("from"))
    to_date = models.DateField(_("to"))
    part_of_day = models.CharField(_("part of day"), max_length=10, choices=PartOfDay.choices, default=PartOfDay.ANY)
    status = models.CharField(_("status"), max_length=8, choices=EntryStatus.choices, default=EntryStatus.WAITING)
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # The doctor while the entry is waiting and NULL after: the unique constraint allows
    # one waiting entry per patient per doctor (MySQL has no partial unique index).
    waiting_doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")
        ordering = ["joined_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "waiting_doctor"], name="waitlist_one_waiting_per_doctor"),
            models.CheckConstraint(condition=Q(to_date__gte=F("from_date")), name="waitlist_range_in_order"),
        ]
        indexes = [models.Index(fields=["doctor", "status", "joined_at"], name="waitlist_doctor_queue")]

    def __str__(self):
        return f"{self.patient_id} → {self.doctor_id} {self.from_date}..{self.to_date} {self.part_of_day}"

    @property
    def is_waiting(self):
        return self.status == EntryStatus.WAITING


class OfferStatus(models.TextChoices):
    OFFERED = "offered", _("Offered")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class WaitlistOffer(models.Model):
    """A freed slot held for one waiting patient until ``held_until``."""

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.PROTECT, related_name="offers", verbose_name=_("entry"))
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="waitlist_offers", verbose_name=_("patient")
    )
    slot = models.ForeignKey(
        Slot, on_delete=models.SET_NULL, null=True, blank=True, related_name="waitlist_offers", verbose_name=_("slot")
    )
    # Both hold their target's id while the offer is live and NULL once it ends: one live
    # offer per slot (the hold) and one per entry, so two frees or two sweeps at once
    # cannot offer one slot twice or one patient two slots from the same entry.
    live_slot = models.OneToOneField(
        Slot, on_delete=models.SET_NULL, null=True, blank=True, related_name="waitlist_hold", editable=False
    )
    live_entry = models.OneToOneField(
        WaitlistEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="live_offer", editable=False
    )
    status = models.CharField(_("status"), max_length=10, choices=OfferStatus.choices, default=OfferStatus.OFFERED)
    offered_at = models.DateTimeField(_("offered at"), default=timezone.now)
    held_until = models.DateTimeField(_("held until"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # Claimed before the SMS leaves, so a repeated task never texts the patient twice.
    sms_sent_at = models.DateTimeField(_("SMS sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("waitlist offer")
        verbose_name_plural = _("waitlist offers")
        ordering = ["offered_at", "pk"]
        indexes = [models.Index(fields=["status", "held_until"], name="waitlist_offer_due")]

    def __str__(self):
        return f"offer #{self.pk} slot {self.slot_id} to {self.patient_id} ({self.status})"

    @property
    def is_live(self):
        return self.status == OfferStatus.OFFERED
