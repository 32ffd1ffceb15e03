from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from records.audit_labels import action_label


class OperationKind(models.TextChoices):
    CREATE_RECORD = "create_record", _("Create a patient's record")
    CLOSE_CONSULTATION = "close_consultation", _("Close a consultation")
    ADD_ADDENDUM = "add_addendum", _("Add an addendum")


class OperationState(models.TextChoices):
    PREPARED = "prepared", _("Prepared")
    COMMITTED = "committed", _("Committed")
    DONE = "done", _("Done")
    ABORTED = "aborted", _("Aborted")


UNFINISHED_STATES = (OperationState.PREPARED, OperationState.COMMITTED)


class Operation(models.Model):
    """The durable log of one write that spans MySQL and MongoDB (see records/coordinator.py)."""

    kind = models.CharField(_("kind"), max_length=24, choices=OperationKind.choices)
    state = models.CharField(_("state"), max_length=12, choices=OperationState.choices, default=OperationState.PREPARED)
    patient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Holds the appointment id while the operation is live and NULL once it is
    # aborted: one live close per appointment, and a close may be retried after
    # an abort (MySQL has no partial unique index; NULLs never collide).
    live_appointment = models.OneToOneField(
        "scheduling.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    encounter_id = models.CharField(_("encounter id"), max_length=24, blank=True, default="")
    # One operation per addendum: a repeated submit cannot put the same addendum in the chain twice.
    addendum_id = models.CharField(_("addendum id"), max_length=24, null=True, blank=True, unique=True)
    payload = models.JSONField(_("payload"))
    # The entry's place in the patient's record chain (records/chain.py), set when it is committed.
    # db_default: rows written through older historical models (accounts' repair migration) get it too.
    chain_sequence = models.PositiveBigIntegerField(_("chain position"), null=True, blank=True)
    chain_previous_hash = models.CharField(
        _("previous entry's hash"), max_length=64, blank=True, default="", db_default=""
    )
    chain_hash = models.CharField(_("entry hash"), max_length=64, blank=True, default="", db_default="")
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
        indexes = [
            models.Index(fields=["state", "claimed_until"], name="operation_state_claim"),
            # The record page's lookups of a patient's unfinished closes, addenda and sign-up.
            models.Index(fields=["patient", "kind", "state"], name="operation_patient_kind_state"),
        ]

    def __str__(self):
        return f"{self.kind} #{self.pk} ({self.state})"


GENESIS_HASH = "0" * 64


class RecordChainHead(models.Model):
    """The newest entry of a patient's record chain, kept in MySQL so that MongoDB alone cannot rewrite it.

    Locked (select_for_update) by every writer that appends to the chain, after
    the appointment and operation rows it locks: two entries for one patient
    are linked one after the other, never both after the same head.
    """

    patient = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="+",
        verbose_name=_("patient"),
    )
    sequence = models.PositiveBigIntegerField(_("entries"), default=0)
    last_hash = models.CharField(_("last hash"), max_length=64, default=GENESIS_HASH)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("record chain head")
        verbose_name_plural = _("record chain heads")

    def __str__(self):
        return f"{self.patient_id}: {self.sequence} {self.last_hash[:12]}"


class AuditEvent(models.Model):
    """Who read or wrote which clinical data, when and from where (NOM-024). Never edited or deleted."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=16, blank=True)
    action = models.CharField(_("action"), max_length=40, db_index=True)
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
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


CLINIC_DETAILS_CACHE_KEY = "clinic-details"
# Saving through the admin (or any save()) forgets the cached copy; the timeout covers writes that bypass save().
CLINIC_DETAILS_CACHE_SECONDS = 60 * 60


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
        # Now, and again once committed: a page read in between may have cached the old details.
        cache.delete(CLINIC_DETAILS_CACHE_KEY)
        transaction.on_commit(lambda: cache.delete(CLINIC_DETAILS_CACHE_KEY))

    @classmethod
    def current(cls):
        return cls.objects.filter(pk=1).first() or cls.not_yet_entered()

    @classmethod
    def not_yet_entered(cls):
        """What pages show before an administrator has entered the clinic's details."""
        return cls(name="Medly", address="", legal_owner="")

    @classmethod
    def cached(cls):
        """The details every page's footer shows: from the cache, read again only after a save."""
        clinic = cache.get(CLINIC_DETAILS_CACHE_KEY)
        if clinic is None:
            clinic = cls.current()
            cache.set(CLINIC_DETAILS_CACHE_KEY, clinic, CLINIC_DETAILS_CACHE_SECONDS)
        return clinic

    @property
    def address_lines(self):
        return [line.strip() for line in self.address.splitlines() if line.strip()]


class Cie10Sex(models.TextChoices):
    ANY = "", _("Any sex")
    FEMALE = "F", _("Female only")
    MALE = "M", _("Male only")


class Cie10Code(models.Model):
    """One diagnosis of the CIE-10 catalogue (NOM-024 6.4.2), loaded by ``manage.py load_cie10``.

    The limits come from the DGIS catalogue (LSEX, LINF, LSUP); codes from the
    ``cie`` package have none. Ages are kept in days so that "28 days" and
    "10 years" compare on one scale.
    """

    code = models.CharField(_("code"), max_length=8, unique=True)
    description = models.CharField(_("description"), max_length=500)
    # Code and description folded by medly.text.fold_for_search; written only by services.load_cie10_codes.
    search_text = models.CharField(max_length=520, editable=False)
    sex_limit = models.CharField(_("sex limit"), max_length=1, blank=True, default="", choices=Cie10Sex.choices)
    min_age_days = models.PositiveIntegerField(_("lower age limit (days)"), null=True, blank=True)
    max_age_days = models.PositiveIntegerField(_("upper age limit (days)"), null=True, blank=True)

    class Meta:
        verbose_name = _("CIE-10 code")
        verbose_name_plural = _("CIE-10 codes")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.description}"
