from decimal import Decimal

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.exceptions import InvalidPhoto
from accounts.models import PatientProfile, Sex, SpokenLanguage, User, UserManager, validate_curp
from accounts.photos import ACCEPTED_CONTENT_TYPES, reencoded_photo
from records.repository import BLOOD_TYPES

BLOOD_TYPE_CHOICES = [("", _("I don't know"))] + [(value, value) for value in BLOOD_TYPES]


class LoginForm(AuthenticationForm):
    # max_length: the column's; a longer address is no account, and django-axes could not store it.
    username = forms.EmailField(
        label=_("Email"), max_length=254,
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
        if born is None:
            return born
        today = timezone.localdate()
        if born > today:
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        if born.year < today.year - 130:
            raise forms.ValidationError(_("Enter a real date of birth."))
        return born

    def clean_curp(self):
        curp = self.cleaned_data["curp"].strip().upper()
        if curp:
            validate_curp(curp)
            if PatientProfile.objects.filter(curp=curp).exists():
                raise forms.ValidationError(_("A patient with this CURP is already registered."))
        return curp or None

    def clean_allergies(self):
        items = [" ".join(item.split()) for item in self.cleaned_data["allergies"].split(",")]
        if any(len(item) > 100 for item in items):
            raise forms.ValidationError(_("Each allergy can be at most 100 characters."))
        return [item for item in items if item]


class RegistrationForm(PatientDetailsForm):
    email = forms.EmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
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
            raise forms.ValidationError(_("An account with this email already exists."), code="duplicate_email")
        return email

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", forms.ValidationError(_("The two passwords do not match."), code="mismatch"))
        elif password1:
            candidate = User(
                email=cleaned.get("email", ""),
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(password1, candidate)
            except forms.ValidationError as error:
                self.add_error("password1", error)
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
