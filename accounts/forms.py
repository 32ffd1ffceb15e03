from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import PatientProfile, Sex, User, UserManager, validate_curp
from records.repository import BLOOD_TYPES

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
