from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")


class ReminderState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class Reminder(models.Model):
    """One reminder of one appointment time on one channel.

    Rows are made by the sweep once they are due, from the appointment's current
    start: a moved appointment gets a new row for its new time, and the row of
    the old time, if still pending, is skipped.
    """

    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.CASCADE, related_name="reminders", verbose_name=_("appointment")
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    appointment_starts_at = models.DateTimeField(_("reminds of the start at"))
    due_at = models.DateTimeField(_("due at"))
    state = models.CharField(_("state"), max_length=8, choices=ReminderState.choices, default=ReminderState.PENDING)
    recipient = models.CharField(_("recipient"), max_length=254, blank=True, default="")
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "channel", "appointment_starts_at"], name="reminder_unique_channel_time"
            )
        ]
        indexes = [models.Index(fields=["state", "due_at"], name="reminder_state_due")]

    def __str__(self):
        starts = timezone.localtime(self.appointment_starts_at)
        return f"{self.channel} #{self.appointment_id} @ {starts:%Y-%m-%d %H:%M} ({self.state})"


class ReminderConsent(models.Model):
    """A patient's consent to reminders by phone: when they (or the desk) opted in; None when they did not."""

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_consent", verbose_name=_("patient")
    )
    sms_reminders_opt_in_at = models.DateTimeField(_("SMS reminders accepted at"), null=True, blank=True)
    whatsapp_reminders_opt_in_at = models.DateTimeField(_("WhatsApp reminders accepted at"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("reminder consent")
        verbose_name_plural = _("reminder consents")

    def __str__(self):
        sms, whatsapp = bool(self.sms_reminders_opt_in_at), bool(self.whatsapp_reminders_opt_in_at)
        return f"{self.patient_id}: sms={sms} whatsapp={whatsapp}"
