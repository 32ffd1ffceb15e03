from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from accounts.exceptions import InvalidPhoto
from accounts.models import (
    PatientProfile,
    RectificationField,
    Sex,
    SpokenLanguage,
    User,
    UserManager,
    curp_disagreements,
    validate_curp,
    validate_date_of_birth,
)
from accounts.photos import ACCEPTED_CONTENT_TYPES, reencoded_photo
from records.repository import BLOOD_TYPES

DUPLICATE_CURP_MESSAGE = _("A patient with this CURP already exists.")
DUPLICATE_EMAIL_MESSAGE = _("An account with this email already exists.")

BLOOD_TYPE_CHOICES = [("", _("I don't know"))] + [(value, value) for value in BLOOD_TYPES]


class LoginForm(AuthenticationForm):
    # max_length: the column's; a longer address is no account, and django-axes could not store it.
    username = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )


class PatientDetailsForm(forms.Form):
    """What register_patient needs besides the account itself; shared by sign-up, the desk and admin."""

    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    curp = forms.CharField(
        label=_("CURP (optional)"),
        max_length=18,
        required=False,
        help_text=_("18 characters, as printed on your CURP certificate."),
    )
    blood_type = forms.ChoiceField(label=_("Blood type"), choices=BLOOD_TYPE_CHOICES, required=False)
    allergies = forms.CharField(
        label=_("Allergies"),
        max_length=1000,
        required=False,
        help_text=_("Separate them with commas, e.g. penicillin, peanuts. Leave empty if none."),
    )

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born is not None:
            validate_date_of_birth(born)
        return born

    def clean_curp(self):
        curp = self.cleaned_data["curp"].strip().upper()
        if curp:
            validate_curp(curp)
            if PatientProfile.objects.filter(curp=curp).exists():
                raise forms.ValidationError(DUPLICATE_CURP_MESSAGE, code="duplicate_curp")
        return curp or None

    def clean(self):
        cleaned = super().clean()
        curp = cleaned.get("curp")
        if curp:
            problems = curp_disagreements(curp, date_of_birth=cleaned.get("date_of_birth"), sex=cleaned.get("sex"))
            for field, message in problems.items():
                if field not in self.errors:
                    self.add_error(field, message)
        return cleaned

    def clean_allergies(self):
        items = [" ".join(item.split()) for item in self.cleaned_data["allergies"].split(",")]
        if any(len(item) > 100 for item in items):
            raise forms.ValidationError(_("Each allergy can be at most 100 characters."))
        return [item for item in items if item]


class RegistrationForm(PatientDetailsForm):
    email = forms.EmailField(label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    accept_privacy = forms.BooleanField(
        label=_("I have read the privacy notice and expressly consent to Medly processing my health data."),
        error_messages={"required": _("You must accept the privacy notice to create an account.")},
    )

    field_order = [
        "email",
        "first_name",
        "last_name",
        "date_of_birth",
        "sex",
        "curp",
        "password1",
        "password2",
        "blood_type",
        "allergies",
        "accept_privacy",
    ]

    def clean_email(self):
        email = UserManager.normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(DUPLICATE_EMAIL_MESSAGE, code="duplicate_email")
        return email

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", forms.ValidationError(_("The two passwords do not match."), code="mismatch"))
        elif password1:
            check_new_password(self, "password1", password1, cleaned)
        return cleaned


def check_new_password(form, field, password, cleaned):
    """Django's password validators on ``password``, against the names and email being entered with it."""
    candidate = User(
        email=cleaned.get("email", ""),
        first_name=cleaned.get("first_name", ""),
        last_name=cleaned.get("last_name", ""),
    )
    try:
        password_validation.validate_password(password, candidate)
    except forms.ValidationError as error:
        form.add_error(field, error)


class ProfileForm(forms.Form):
    """What a signed-in user keeps up to date themselves. A patient's name is shown, not editable:
    it changes through a correction request (RectificationRequestForm)."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=40,
        required=False,
        validators=[
            RegexValidator(
                r"^\+?[\d\s().-]*\d[\d\s().-]*$", _("Enter a phone number: digits, spaces and + ( ) - only.")
            )
        ],
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("With the area code, e.g. 999 123 4567. Used for reminders by phone, if you turn them on."),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=settings.LANGUAGES,
        help_text=_("The language of Medly's pages and of the emails it sends you."),
    )

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("initial", {name: getattr(user, name) for name in ("first_name", "last_name", "phone")})
        kwargs["initial"].setdefault("language", user.language)
        super().__init__(*args, **kwargs)
        if user.is_patient:
            for name in ("first_name", "last_name"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _("To correct your name, send a correction request below.")

    def clean_phone(self):
        return " ".join(self.cleaned_data["phone"].split())


class RectificationRequestForm(forms.Form):
    """A patient's correction of their name, date of birth, sex or CURP; reception decides."""

    field = forms.ChoiceField(label=_("What is wrong"), choices=RectificationField.choices)
    new_text = forms.CharField(
        label=_("Correct name or CURP"),
        max_length=150,
        required=False,
        help_text=_("For a first name, last name or CURP. Write it exactly as on your official ID."),
    )
    new_date_of_birth = forms.DateField(
        label=_("Correct date of birth"),
        required=False,
        help_text=_("Only when the date of birth is wrong."),
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    new_sex = forms.ChoiceField(
        label=_("Correct sex"),
        choices=[("", "—"), *Sex.choices],
        required=False,
        help_text=_("Only when the sex is wrong."),
    )
    reason = forms.CharField(
        label=_("Anything reception should know (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    VALUE_FIELDS = {
        RectificationField.FIRST_NAME: "new_text",
        RectificationField.LAST_NAME: "new_text",
        RectificationField.CURP: "new_text",
        RectificationField.DATE_OF_BIRTH: "new_date_of_birth",
        RectificationField.SEX: "new_sex",
    }

    def clean(self):
        cleaned = super().clean()
        field = cleaned.get("field")
        if field:
            source = self.VALUE_FIELDS[field]
            if cleaned.get(source) in (None, "") and source not in self.errors:
                self.add_error(source, _("Enter the correct value."))
            cleaned["value"] = cleaned.get(source)
        return cleaned


FEE_MAX = Decimal("999999.99")


def consultation_fee_field():
    return forms.DecimalField(
        label=_("Consultation fee (MXN)"),
        min_value=0,
        max_value=FEE_MAX,
        max_digits=8,
        decimal_places=2,
        required=False,
        help_text=_("In Mexican pesos. Leave it empty to show no fee."),
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


def spoken_languages_field(label):
    return forms.MultipleChoiceField(
        label=label, choices=SpokenLanguage.choices, required=False, widget=forms.CheckboxSelectMultiple
    )


class DoctorPublicProfileForm(forms.Form):
    """What patients see of a doctor: bio, photo, fee, languages. The photo comes out re-encoded."""

    bio = forms.CharField(
        label=_("Short bio"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("A few lines for patients: your experience and what you treat. At most 1,000 characters."),
    )
    consultation_fee = consultation_fee_field()
    languages = spoken_languages_field(_("Languages you consult in"))
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        help_text=_("JPEG, PNG or WebP, at most 5 MB. It is cropped to a square and shown at 400 × 400 pixels."),
        widget=forms.FileInput(attrs={"accept": ACCEPTED_CONTENT_TYPES}),
    )
    remove_photo = forms.BooleanField(label=_("Remove my current photo"), required=False)

    def __init__(self, *args, has_photo=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not has_photo:
            del self.fields["remove_photo"]

    def clean_photo(self):
        upload = self.cleaned_data.get("photo")
        if not upload:
            return None
        try:
            return reencoded_photo(upload)
        except InvalidPhoto as error:
            raise forms.ValidationError(error.message) from None
