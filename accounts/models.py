import datetime
import re
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import search_words
from medly.text import fold_for_search

# CURP: 4 letters, birth date YYMMDD, sex (H/M/X), state (2), 3 consonants,
# a homoclave character and a check digit (RENAPO format).
CURP_PATTERN = re.compile(
    r"^[A-Z][AEIOUX][A-Z]{2}\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])[HMX]"
    r"(AS|BC|BS|CC|CL|CM|CS|CH|DF|DG|GT|GR|HG|JC|MC|MN|MS|NT|NL|OC|PL|QT|QR|SP|SL|SR|TC|TS|TL|VZ|YN|ZS|NE)"
    r"[B-DF-HJ-NP-TV-Z]{3}[A-Z\d]\d$"
)
CURP_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"


def curp_check_digit(first_17):
    total = sum(CURP_ALPHABET.index(char) * (18 - position) for position, char in enumerate(first_17))
    return str((10 - total % 10) % 10)


def validate_curp(value):
    if not CURP_PATTERN.match(value) or curp_check_digit(value[:17]) != value[17] or curp_birth_date(value) is None:
        raise ValidationError(_("Enter a valid CURP (18 characters, as printed on your CURP certificate)."))


def curp_birth_date(curp):
    """The date of birth a CURP encodes, or None if its digits name no real day.

    Positions 5–10 are YYMMDD; the 17th character tells the century: a digit for
    people born before 2000, a letter from 2000 on.
    """
    century = 1900 if curp[16].isdigit() else 2000
    try:
        return datetime.date(century + int(curp[4:6]), int(curp[6:8]), int(curp[8:10]))
    except ValueError:
        return None


def validate_date_of_birth(born):
    """The rule for every date of birth Medly records: not in the future, not more than 130 years ago."""
    today = timezone.localdate()
    if born > today:
        raise ValidationError(_("The date of birth cannot be in the future."))
    if born.year < today.year - 130:
        raise ValidationError(_("Enter a real date of birth."))


# The 11th character of a CURP: H (hombre), M (mujer); X for a non-binary CURP.
CURP_SEX_LETTERS = {"M": "H", "F": "M"}


def curp_disagreements(curp, *, date_of_birth, sex):
    """What a valid CURP contradicts, as {field: message}; empty when it agrees with the date of birth and sex.

    The one rule for sign-up, the desk, admin and rectification. A date of birth or sex not given
    (None or "") is not compared; sex X ("other / not stated") agrees with any CURP.
    """
    problems = {}
    if date_of_birth is not None and curp_birth_date(curp) != date_of_birth:
        problems["date_of_birth"] = _("The CURP says another date of birth. Check both against the CURP certificate.")
    expected_letter = CURP_SEX_LETTERS.get(sex)
    if expected_letter is not None and curp[10] != expected_letter:
        problems["sex"] = _("The CURP says another sex. Check both against the CURP certificate.")
    return problems


class Role(models.TextChoices):
    PATIENT = "patient", _("Patient")
    DOCTOR = "doctor", _("Doctor")
    RECEPTION = "reception", _("Reception")
    ADMIN = "admin", _("Administrator")


SEARCHED_FIELDS = ("first_name", "last_name", "email", "phone")


class UserQuerySet(models.QuerySet):
    """Keeps the search words in step on the bulk paths that skip save()."""

    def update(self, **fields):
        if set(SEARCHED_FIELDS) & set(fields):
            raise TypeError("Names, emails and phones change through save(), which keeps the search words in step")
        return super().update(**fields)

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for user in objs:
            user.email = user.email or None
            user.search_text = user.folded_search_text()
        created = super().bulk_create(objs, *args, **kwargs)
        UserSearchWord.objects.bulk_create(
            [row for user in created for row in UserSearchWord.rows_for(user)], batch_size=5000
        )
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
        if set(SEARCHED_FIELDS) & set(fields):
            raise TypeError("Names, emails and phones change through save(), which keeps the search words in step")
        return super().bulk_update(objs, fields, *args, **kwargs)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def _create_user(self, email, password, **fields):
        email = self.normalize_email(email) or None
        # Staff sign in with their email; a patient registered at the desk may have none (NULL, never "").
        if email is None and fields.get("role") != Role.PATIENT:
            raise ValueError("An email address is required")
        user = self.model(email=email, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    @classmethod
    def normalize_email(cls, email):
        return (email or "").strip().lower()

    def create_user(self, email, password=None, **fields):
        fields.setdefault("role", Role.PATIENT)
        fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **fields)

    def create_superuser(self, email, password=None, **fields):
        fields.update(role=Role.ADMIN, is_superuser=True)
        return self._create_user(email, password, **fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=self.normalize_email(username))


class User(AbstractBaseUser, PermissionsMixin):
    # NULL for a patient registered at the desk without one: unique only where present.
    email = models.EmailField(_("email address"), unique=True, null=True, blank=True)
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.PATIENT)
    phone = models.CharField(_("phone"), max_length=40, blank=True, default="")
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    # The language of the messages Medly sends them; set from the page they signed up or booked in.
    language = models.CharField(_("preferred language"), max_length=8, choices=settings.LANGUAGES, default="en")
    # Accent- and case-folded "first last email", kept in step by save(): searches
    # behave the same on MariaDB and SQLite.
    search_text = models.CharField(max_length=500, editable=False, db_index=False, default="")

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name"]
        # Lists of people are in name order and paged: a search for a common name walks this and stops at
        # the page's end instead of sorting every match (bench/search_index.py).
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="user_name_order"),
            # The doctors (or receptionists) of a clinic network are a few hundred among 100,000 patients: lists
            # of one role read this range in name order instead of every user and a sort (bench/scale.py).
            models.Index(fields=["role", "is_active", "last_name", "first_name"], name="user_role_active_name"),
        ]

    def __str__(self):
        if not self.email:
            return self.get_full_name()
        return f"{self.get_full_name()} <{self.email}>"

    def clean(self):
        super().clean()
        self.email = UserManager.normalize_email(self.email) or None

    @classmethod
    def from_db(cls, db, field_names, values, *, fetch_mode=None):
        user = super().from_db(db, field_names, values, fetch_mode=fetch_mode)
        user._searched_as = user._searched_values()
        return user

    def _searched_values(self):
        return tuple(self.__dict__.get(name) for name in SEARCHED_FIELDS)

    def folded_search_text(self):
        return fold_for_search(f"{self.first_name} {self.last_name} {self.email or ''}")

    def save(self, *args, **kwargs):
        # "" would collide with the next patient without an email under the unique constraint.
        self.email = self.email or None
        self.search_text = self.folded_search_text()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"first_name", "last_name", "email"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_text"}
        adding = self._state.adding
        super().save(*args, **kwargs)
        searched = self._searched_values()
        names_saved = update_fields is None or bool(set(SEARCHED_FIELDS) & set(update_fields))
        if adding or (names_saved and searched != getattr(self, "_searched_as", None)):
            # Part of the caller's transaction: the words never disagree with the row they describe.
            if not adding:
                UserSearchWord.objects.filter(user=self).delete()
            UserSearchWord.objects.bulk_create(UserSearchWord.rows_for(self))
            self._searched_as = searched

    def get_full_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_staff(self):
        """Django admin access: derived from the role alone, so no update can leave it out of step."""
        return self.role == Role.ADMIN

    def get_short_name(self):
        return self.first_name

    @property
    def is_patient(self):
        return self.role == Role.PATIENT

    @property
    def is_doctor(self):
        return self.role == Role.DOCTOR

    @property
    def is_reception(self):
        return self.role == Role.RECEPTION

    @property
    def is_clinic_admin(self):
        return self.role == Role.ADMIN


class UserSearchWordKind(models.TextChoices):
    # Never shown to anyone: the index's own bookkeeping, so not translated.
    NAME = search_words.NAME, "name or email"
    PHONE = search_words.PHONE, "phone"
    PHONE_TAIL = search_words.PHONE_TAIL, "phone, reversed digits"


class UserSearchWord(models.Model):
    """One folded word a user is found by (accounts/search_words.py); written only by User.save() and
    the user queryset's bulk_create."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="search_words")
    kind = models.CharField(max_length=5, choices=UserSearchWordKind.choices)
    word = models.CharField(max_length=search_words.WORD_MAX_LENGTH)

    class Meta:
        # Not unique: words the Python rule tells apart may still be equal in the column's collation.
        indexes = [models.Index(fields=["kind", "word", "user"], name="user_search_word")]

    def __str__(self):
        return f"{self.user_id} {self.kind}:{self.word}"

    @classmethod
    def rows_for(cls, user):
        words = search_words.search_words(
            first_name=user.first_name, last_name=user.last_name, email=user.email, phone=user.phone
        )
        return [cls(user_id=user.pk, kind=kind, word=word) for kind, word in sorted(words)]


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    OTHER = "X", _("Other / not stated")


class PatientProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="patient_profile")
    # NULL / empty only for patients created before every patient went through
    # register_patient (repaired by a migration): shown as "not recorded", never guessed.
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    # NULL when not given, so the unique constraint only binds real CURPs.
    curp = models.CharField(_("CURP"), max_length=18, null=True, blank=True, unique=True, validators=[validate_curp])
    # Printed on prescriptions of Fracción II and III controlled drugs, which must carry it.
    # db_default: rows written through older historical models (the repair migration) get it too.
    address = models.CharField(_("address"), max_length=300, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("patient profile")
        verbose_name_plural = _("patient profiles")

    def __str__(self):
        return self.user.get_full_name()

    def clean(self):
        super().clean()
        if self.curp and CURP_PATTERN.match(self.curp):
            problems = curp_disagreements(self.curp, date_of_birth=self.date_of_birth, sex=self.sex)
            if problems:
                raise ValidationError(problems)

    @property
    def age(self):
        """Whole years today, or None when the date of birth was never recorded."""
        born = self.date_of_birth
        if born is None:
            return None
        today = timezone.localdate()
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class SpokenLanguage(models.TextChoices):
    """Languages a doctor can consult in, as shown to patients in the directory (ISO 639 codes)."""

    SPANISH = "es", _("Spanish")
    ENGLISH = "en", _("English")
    MAYA = "yua", _("Yucatec Maya")
    NAHUATL = "nah", _("Nahuatl")
    MEXICAN_SIGN_LANGUAGE = "lsm", _("Mexican Sign Language")
    FRENCH = "fr", _("French")
    GERMAN = "de", _("German")
    ITALIAN = "it", _("Italian")
    PORTUGUESE = "pt", _("Portuguese")
    CHINESE = "zh", _("Chinese")


def doctor_photo_path(profile, filename):
    # A new name for every upload, so a cached old photo is never shown for the new one.
    return f"doctors/{profile.user_id}/{secrets.token_hex(8)}.jpg"


class DoctorProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="doctor_profile")
    license_number = models.CharField(_("professional license (cédula profesional)"), max_length=20, blank=True)
    degree_institution = models.CharField(_("institution that issued the degree"), max_length=200, blank=True)
    specialty_certificate = models.CharField(_("specialty certificate number"), max_length=40, blank=True)
    specialty_institution = models.CharField(
        _("institution that issued the specialty certificate"), max_length=200, blank=True, default="", db_default=""
    )
    bio = models.TextField(_("short bio"), max_length=1000, blank=True)
    # Re-encoded by accounts/photos.py before it is stored: a JPEG of at most PHOTO_SIZE pixels, no metadata.
    photo = models.ImageField(_("photo"), upload_to=doctor_photo_path, blank=True, max_length=200)
    consultation_fee = models.DecimalField(
        _("consultation fee (MXN)"),
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    # SpokenLanguage codes, in the order the doctor gave them.
    languages = models.JSONField(_("languages spoken"), default=list, blank=True)
    specialties = models.ManyToManyField(
        "scheduling.Specialty", related_name="doctors", blank=True, verbose_name=_("specialties")
    )
    notify_on_booking = models.BooleanField(_("email me when a patient books or cancels online"), default=False)
    daily_digest = models.BooleanField(_("email me my appointments every morning"), default=False)
    # The clinic day whose digest was last claimed: the claim is a conditional update, so one a day.
    digest_sent_on = models.DateField(_("last digest sent for"), null=True, blank=True, editable=False)
    # The secret in the private calendar feed URL; empty when revoked.
    calendar_token = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("doctor profile")
        verbose_name_plural = _("doctor profiles")

    def __str__(self):
        return self.user.get_full_name()

    @property
    def photo_version(self):
        """Changes with every upload: the photo's URL carries it, so caches never show an old photo."""
        return self.photo.name.rsplit("/", 1)[-1].split(".", 1)[0] if self.photo else ""

    @property
    def language_names(self):
        labels = dict(SpokenLanguage.choices)
        return [labels[code] for code in self.languages or () if code in labels]


class ConsentChannel(models.TextChoices):
    ONLINE = "online", _("Accepted online at sign-up")
    IN_PERSON = "in_person", _("Privacy notice given and accepted in person")


class PrivacyConsent(models.Model):
    """The patient's express acceptance of the privacy notice for health data (LFPDPPP)."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="privacy_consents")
    notice_version = models.CharField(_("privacy notice version"), max_length=20)
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    channel = models.CharField(
        _("how it was given"), max_length=16, choices=ConsentChannel.choices, default=ConsentChannel.ONLINE
    )
    # The staff member who gave the notice in person; empty for online sign-up.
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("recorded by")
    )

    class Meta:
        verbose_name = _("privacy consent")
        verbose_name_plural = _("privacy consents")
        ordering = ["-accepted_at"]

    def __str__(self):
        return f"{self.user.email or self.user.get_full_name()} accepted {self.notice_version}"


class RectificationField(models.TextChoices):
    FIRST_NAME = "first_name", _("First name")
    LAST_NAME = "last_name", _("Last name")
    DATE_OF_BIRTH = "date_of_birth", _("Date of birth")
    SEX = "sex", _("Sex")
    CURP = "curp", _("CURP")


class RectificationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for reception")
    CONFIRMED = "confirmed", _("Corrected")
    REJECTED = "rejected", _("Not corrected")


class RectificationRequest(models.Model):
    """A patient's request to correct their identity data (the R of ARCO rights, LFPDPPP).

    Name, date of birth, sex and CURP identify the patient on prescriptions and records, so the
    patient cannot change them directly: reception checks a document and confirms or rejects.
    Values are stored as text: dates as YYYY-MM-DD, sex as its code, an empty CURP as "".
    """

    patient = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="rectification_requests", verbose_name=_("patient")
    )
    field = models.CharField(_("what to correct"), max_length=16, choices=RectificationField.choices)
    old_value = models.CharField(_("value when asked"), max_length=150, blank=True)
    new_value = models.CharField(_("correct value"), max_length=150)
    reason = models.TextField(_("reason"), max_length=500, blank=True)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=16, choices=RectificationStatus.choices, default=RectificationStatus.PENDING
    )
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("rectification request")
        verbose_name_plural = _("rectification requests")
        ordering = ["-requested_at", "-pk"]

    def __str__(self):
        return f"{self.patient.email or self.patient.get_full_name()}: {self.field} → {self.new_value} ({self.status})"
