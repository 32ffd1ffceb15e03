from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from records.audit_labels import action_label


class OperationKind(models.TextChoices):
    CREATE_RECORD = "create_record", _("Create a patient's record")
    CLOSE_CONSULTATION = "close_consultation", _("Close a consultation")


class OperationState(models.TextChoices):
    PREPARED = "prepared", _("Prepared")
    COMMITTED = "committed", _("Committed")
    DONE = "done", _("Done")
    ABORTED = "aborted", _("Aborted")


UNFINISHED_STATES = (OperationState.PREPARED, OperationState.COMMITTED)


class Operation(models.Model):
    """The durable log of one write that spans MySQL and MongoDB (see records/coordinator.py)."""

    kind = models.CharField(_("kind"), max_length=24, choices=OperationKind.choices)
    state = models.CharField(
        _("state"), max_length=12, choices=OperationState.choices, default=OperationState.PREPARED
    )
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
    )
    # Holds the appointment id while the operation is live and NULL once it is
    # aborted: one live close per appointment, and a close may be retried after
    # an abort (MySQL has no partial unique index; NULLs never collide).
    live_appointment = models.OneToOneField(
        "scheduling.Appointment", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        editable=False,
    )
    encounter_id = models.CharField(_("encounter id"), max_length=24, blank=True, default="")
    payload = models.JSONField(_("payload"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    attempts = models.PositiveIntegerField(_("failed attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True, default="")
    # reconcile leaves a failed operation alone until then (exponential backoff).
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    needs_attention = models.BooleanField(_("needs attention"), default=False)
    # Whoever works on the operation holds it until this time; a crashed
    # worker's claim simply runs out and reconcile takes over.
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("cross-store operation")
        verbose_name_plural = _("cross-store operations")
        indexes = [models.Index(fields=["state", "claimed_until"], name="operation_state_claim")]

    def __str__(self):
        return f"{self.kind} #{self.pk} ({self.state})"


class AuditEvent(models.Model):
    """Who read or wrote which clinical data, when and from where (NOM-024). Never edited or deleted."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=16, blank=True)
    action = models.CharField(_("action"), max_length=40, db_index=True)
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("patient"),
    )
    encounter_id = models.CharField(_("encounter"), max_length=24, blank=True, default="")
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{timezone.localtime(self.created_at):%Y-%m-%d %H:%M:%S} {action_label(self.action)}"


class ClinicDetails(models.Model):
    """The one set of clinic details that heads records and prescriptions (NOM-004 5.2)."""

    name = models.CharField(_("clinic name"), max_length=200)
    address = models.TextField(_("address"), max_length=500)
    legal_owner = models.CharField(_("legal owner"), max_length=200)
    clues = models.CharField(_("CLUES code"), max_length=11, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("clinic details")
        verbose_name_plural = _("clinic details")

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def current(cls):
        return cls.objects.filter(pk=1).first() or cls(name="Medly", address="", legal_owner="")
