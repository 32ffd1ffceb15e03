"""Django admin's one page for a new doctor: account, profile and specialties in one go, through the services."""

from django import forms
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.exceptions import NotAllowed
from accounts.forms import check_new_password, consultation_fee_field, spoken_languages_field
from accounts.models import DoctorProfile, User, UserManager
from accounts.permissions import may_change_roles
from records import audit
from scheduling.models import Specialty

SEND_MAIL, SET_NOW = "mail", "set"


class DoctorCreationForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    password_choice = forms.ChoiceField(
        label=_("Password"),
        choices=[
            (SEND_MAIL, _("Email the doctor a link to choose their own password")),
            (SET_NOW, _("Set a password now and give it to the doctor")),
        ],
        initial=SEND_MAIL,
        widget=forms.RadioSelect,
    )
    password1 = forms.CharField(
        label=_("Password (if set now)"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    license_number = forms.CharField(label=_("Professional license (cédula profesional)"), max_length=20)
    degree_institution = forms.CharField(label=_("Institution that issued the degree"), max_length=200)
    specialty_certificate = forms.CharField(label=_("Specialty certificate number"), max_length=40, required=False)
    specialties = forms.ModelMultipleChoiceField(
        label=_("Specialties"),
        queryset=Specialty.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    consultation_fee = consultation_fee_field()
    languages = spoken_languages_field(_("Languages spoken"))
    bio = forms.CharField(
        label=_("Short bio"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def clean_email(self):
        email = UserManager.normalize_email(self.cleaned_data["email"])
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account with this email already exists."))
        return email

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password_choice") != SET_NOW:
            return cleaned
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if not first:
            self.add_error("password1", _("Type the password, or choose to email a link instead."))
        elif first != second:
            self.add_error("password2", _("The two passwords differ."))
        else:
            check_new_password(self, "password1", first, cleaned)
        return cleaned


FIELDSETS = [
    (_("Account"), {"fields": ["email", "first_name", "last_name", "password_choice", "password1", "password2"]}),
    (_("Professional details"), {"fields": ["license_number", "degree_institution", "specialty_certificate"]}),
    (_("Public profile"), {"fields": ["specialties", "consultation_fee", "languages", "bio"]}),
]


def add_doctor_view(model_admin, request):
    if not may_change_roles(request.user):
        raise PermissionDenied
    form = DoctorCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        set_now = data["password_choice"] == SET_NOW
        try:
            doctor = services.create_doctor(
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                password=data["password1"] if set_now else None,
                send_password_mail=not set_now,
                license_number=data["license_number"],
                degree_institution=data["degree_institution"],
                specialty_certificate=data["specialty_certificate"],
                specialties=list(data["specialties"]),
                consultation_fee=data["consultation_fee"],
                languages=data["languages"],
                bio=data["bio"],
                created_by=request.user,
                ip_address=audit.client_address(request),
                language=translation.get_language(),
            )
        except NotAllowed as error:
            raise PermissionDenied(error.message) from None
        except IntegrityError:
            # Someone created the same email between the check and the insert.
            form.add_error("email", gettext("An account with this email already exists."))
        else:
            done = (
                gettext("Doctor %(name)s created with the password you set.")
                if set_now
                else gettext("Doctor %(name)s created. We have emailed them a link to choose their password.")
            )
            messages.success(request, done % {"name": doctor.get_full_name()})
            return redirect(reverse("admin:accounts_user_change", args=[doctor.pk]))
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "title": gettext("Add a doctor"),
        "opts": opts,
        "adminform": helpers.AdminForm(form, FIELDSETS, {}),
        "errors": helpers.AdminErrorList(form, []),
        "profile_opts": DoctorProfile._meta,
    }
    return TemplateResponse(request, "admin/accounts/user/add_doctor.html", context)
