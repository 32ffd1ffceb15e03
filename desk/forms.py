from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.forms import PatientDetailsForm
from accounts.models import Sex, User, UserManager
from medly.parsing import MAX_ID
from scheduling.forms import AGENDA_YEARS_AROUND_TODAY


class WalkInForm(PatientDetailsForm):
    """A patient registered at the desk (in person or on the phone); the email may be left empty."""

    email = forms.EmailField(
        label=_("Email (optional)"),
        max_length=254,
        required=False,
        help_text=_("With an email, the patient receives a link to choose a password and can then book online."),
    )
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    language = forms.ChoiceField(
        label=_("Language for the patient's messages"), choices=settings.LANGUAGES, required=False
    )
    privacy_notice_given = forms.BooleanField(
        label=_("I gave the patient the privacy notice and they accepted that Medly processes their health data."),
        error_messages={"required": _("Give the privacy notice in person and tick this box.")},
    )

    field_order = [
        "first_name",
        "last_name",
        "date_of_birth",
        "sex",
        "phone",
        "email",
        "language",
        "curp",
        "blood_type",
        "allergies",
        "privacy_notice_given",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # No sex preselected: a hurried "Female" left as it was would be recorded as fact.
        self.fields["sex"].choices = [("", _("Choose…")), *Sex.choices]

    def clean_email(self):
        email = UserManager.normalize_email(self.cleaned_data["email"]) or None
        if email and User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("Someone is already registered with this email. Search for the patient to book for them."),
                code="duplicate_email",
            )
        return email


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DeskDayForm(forms.Form):
    date = forms.DateField(label=_("Day"), required=False, input_formats=["%Y-%m-%d"], widget=_date_input())
    patient = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)

    def clean_date(self):
        return _near_today(self.cleaned_data["date"])

    def day(self):
        return (self.cleaned_data.get("date") if self.is_valid() else None) or timezone.localdate()

    def patient_id(self):
        return self.cleaned_data.get("patient") if self.is_valid() else None


def _near_today(day):
    if day and abs(day.year - timezone.localdate().year) > AGENDA_YEARS_AROUND_TODAY:
        raise forms.ValidationError(
            _("Choose a day within %(years)d years of today.") % {"years": AGENDA_YEARS_AROUND_TODAY}
        )
    return day


class BookingSearchForm(forms.Form):
    """The booking page's GET: who, with whom, which day. Every field may be missing or wrong."""

    q = forms.CharField(label=_("Patient name, email or phone"), required=False, max_length=100)
    patient = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
    doctor = forms.IntegerField(label=_("Doctor"), required=False, min_value=1, max_value=MAX_ID)
    date = forms.DateField(label=_("Day"), required=False, input_formats=["%Y-%m-%d"], widget=_date_input())

    def clean_date(self):
        return _near_today(self.cleaned_data["date"])

    def value(self, name):
        """The cleaned value, or None when it was missing or invalid (the page says which)."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data.get(name)


class DeskBookingForm(forms.Form):
    patient = forms.IntegerField(min_value=1, max_value=MAX_ID, widget=forms.HiddenInput)
    slot = forms.IntegerField(min_value=1, max_value=MAX_ID, error_messages={"required": _("Choose a time.")})
    reason = forms.CharField(
        label=_("Reason for the visit (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
