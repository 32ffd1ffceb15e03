from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from medly.text import fold_for_search


class SpecialtyQuerySet(models.QuerySet):
    """Keeps ``search_name`` in step on the bulk paths that skip save()."""

    def update(self, **fields):
        if "name" in fields and "search_name" not in fields:
            if not isinstance(fields["name"], str):
                raise TypeError("Specialty names are updated with plain text, so search_name can follow")
            fields["search_name"] = fold_for_search(fields["name"])
        return super().update(**fields)

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for specialty in objs:
            specialty.search_name = fold_for_search(specialty.name)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        if "name" in fields:
            for specialty in objs:
                specialty.search_name = fold_for_search(specialty.name)
            fields = [*fields, "search_name"]
        return super().bulk_update(objs, fields, *args, **kwargs)


class Specialty(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    # The name accent- and case-folded ("cardiologia"), written only from ``name`` (save() and the queryset).
    search_name = models.CharField(max_length=100, editable=False, db_index=True, default="")

    objects = SpecialtyQuerySet.as_manager()

    class Meta:
        verbose_name = _("specialty")
        verbose_name_plural = _("specialties")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.search_name = fold_for_search(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "search_name"}
        super().save(*args, **kwargs)


class SlotStatus(models.TextChoices):
    OPEN = "open", _("Open")
    BOOKED = "booked", _("Booked")


class Slot(models.Model):
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="slots",
        verbose_name=_("doctor"),
        limit_choices_to={"role": "doctor"},
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(_("status"), max_length=8, choices=SlotStatus.choices, default=SlotStatus.OPEN)

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["doctor", "starts_at"], name="slot_unique_doctor_start"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"),
        ]
        # Every free-slot read (doctor page, directory, agenda, availability, waitlist) filters by doctor and status
        # and walks starts_at in order.
        indexes = [
            models.Index(fields=["doctor", "status", "starts_at"], name="slot_doctor_status_start"),
            # Admin's list of every doctor's slots in time order and its date filter, and the desk day's count of
            # each doctor's slots (MariaDB reads the day's range here: without it, every slot of each doctor).
            models.Index(fields=["starts_at"], name="slot_start"),
        ]

    def __str__(self):
        return f"{self.doctor_id} @ {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M} ({self.status})"

    @property
    def is_open(self):
        return self.status == SlotStatus.OPEN

    @property
    def minutes(self):
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CLOSING = "closing", _("Closing")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


LIVE_STATUSES = (AppointmentStatus.SCHEDULED, AppointmentStatus.CLOSING, AppointmentStatus.COMPLETED)


class Appointment(models.Model):
    # SET_NULL: an open slot may be removed even if it has cancelled history;
    # the appointment keeps its own copy of the times.
    slot = models.ForeignKey(
        Slot, on_delete=models.SET_NULL, null=True, blank=True, related_name="appointments", verbose_name=_("slot")
    )
    # Holds the slot id while the appointment is live and NULL once it is
    # cancelled: the unique constraint allows one live appointment per slot
    # (MySQL has no partial unique index; NULLs never collide).
    live_slot = models.OneToOneField(
        Slot, on_delete=models.PROTECT, null=True, blank=True, related_name="live_appointment", editable=False
    )
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appointments_as_patient",
        verbose_name=_("patient"),
    )
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appointments_as_doctor",
        verbose_name=_("doctor"),
    )
    # Copies of the slot's times, so overlap checks and agendas need no join.
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(
        _("status"), max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.SCHEDULED
    )
    encounter_id = models.CharField(_("encounter id"), max_length=24, blank=True, default="")
    # What the patient (or reception) says the visit is for; the doctor reads it in the agenda.
    reason = models.CharField(_("reason for the visit"), max_length=500, blank=True, default="")
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("booked by")
    )
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    # Set the first time its doctor opens the consultation page: from then on
    # staff may not cancel it or mark a no-show (scheduling/permissions.py).
    consultation_opened_at = models.DateTimeField(_("consultation opened at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["patient", "starts_at"], name="appointment_patient_start"),
            models.Index(fields=["doctor", "starts_at"], name="appointment_doctor_start"),
            # Reminders' due appointments and the consistency check's closing ones.
            models.Index(fields=["status", "starts_at"], name="appointment_status_start"),
            # The desk's and closures' clinic day: every doctor, one range of starts_at.
            models.Index(fields=["starts_at"], name="appointment_start"),
        ]

    def __str__(self):
        return f"#{self.pk} {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M} ({self.status})"

    @property
    def is_live(self):
        return self.status in LIVE_STATUSES

    @property
    def has_started(self):
        return self.starts_at <= timezone.now()


class BlockedDay(models.Model):
    """A day a doctor took off: its open slots were closed, and opening availability skips it until unblocked."""

    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="blocked_days",
        verbose_name=_("doctor"),
        limit_choices_to={"role": "doctor"},
    )
    day = models.DateField(_("day"))
    # The open slots the block removed, as [starts_at, ends_at] ISO pairs: unblocking restores exactly
    # these (booked slots were never closed, so they are never "restored" over an appointment).
    closed_slots = models.JSONField(_("closed slots"), default=list, blank=True)
    created_at = models.DateTimeField(_("blocked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("blocked day")
        verbose_name_plural = _("blocked days")
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["doctor", "day"], name="blocked_day_unique_doctor_day")]

    def __str__(self):
        return f"{self.doctor_id} {self.day:%Y-%m-%d}"


class ClinicClosure(models.Model):
    """A day the whole clinic is closed (a holiday): nobody's slots open that day."""

    day = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=100, help_text=_("For example: Día de la Independencia."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("clinic closure")
        verbose_name_plural = _("clinic closures")
        ordering = ["day"]

    def __str__(self):
        return f"{self.day:%Y-%m-%d} {self.name}"
