from functools import partial

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminFileWidget
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.files.uploadedfile import UploadedFile
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from accounts import (
    axes_admin,  # noqa: F401 - replaces django-axes' admin pages
    services,
)
from accounts.admin_doctor import add_doctor_view
from accounts.admin_search import SearchPeopleByWords
from accounts.exceptions import InvalidPhoto
from accounts.forms import PatientDetailsForm, spoken_languages_field
from accounts.models import DoctorProfile, PatientProfile, PrivacyConsent, RectificationRequest, Role, User
from accounts.permissions import may_change_roles, role_change_refusal
from accounts.photos import ACCEPTED_CONTENT_TYPES, reencoded_photo
from medly.admin_lists import BigTableLists, ReadOnlyAdmin, RelatedFetchedAfterThePage
from medly.forms import DateTimesThatFitInUTC
from records import audit
from twofactor.admin import reset_second_factor

PATIENT_FIELDS = ("date_of_birth", "sex", "curp", "phone", "blood_type", "allergies", "privacy_notice_given")


class MedlyUserCreationForm(PatientDetailsForm, AdminUserCreationForm):
    """One add form for every role; a patient's details are required only when the role is patient."""

    actor = None  # the admin user filling the form in, set by UserAdmin.get_form

    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    privacy_notice_given = forms.BooleanField(
        label=_("Privacy notice given and accepted in person"),
        required=False,
        help_text=_("Required for patients: the patient received the privacy notice and accepted it."),
    )

    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "role")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("date_of_birth", "sex"):
            self.fields[name].required = False
        if not may_change_roles(self.actor):
            # Only superusers decide roles: other staff can only register patients.
            self.fields["role"].choices = [(Role.PATIENT, Role.PATIENT.label)]
            self.fields["role"].initial = Role.PATIENT

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role") == Role.PATIENT:
            required = {
                "date_of_birth": _("A patient's date of birth is required."),
                "sex": _("A patient's sex is required."),
                "privacy_notice_given": _("Give the privacy notice in person and tick this box."),
            }
            for name, message in required.items():
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, message)
        _require_email_for_staff(self, cleaned.get("role"))
        return cleaned

    def save(self, commit=True):
        raise NotImplementedError("UserAdmin creates users through accounts.services")


class MedlyUserChangeForm(DateTimesThatFitInUTC, UserChangeForm):
    actor = None

    class Meta:
        model = User
        fields = "__all__"

    def clean_role(self):
        role = self.cleaned_data["role"]
        refusal = role_change_refusal(actor=self.actor, before=self.instance.role, after=role)
        if refusal:
            raise forms.ValidationError(refusal)
        return role

    def clean(self):
        cleaned = super().clean()
        _require_email_for_staff(self, cleaned.get("role", self.instance.role))
        return cleaned


def _require_email_for_staff(form, role):
    # Staff sign in with their email; only a patient registered in person may have none.
    if role and role != Role.PATIENT and not form.cleaned_data.get("email") and "email" not in form.errors:
        form.add_error("email", _("Staff accounts need an email address to sign in."))


class DoctorPhotoWidget(AdminFileWidget):
    """The current photo as patients see it (media is served by Medly's photo view), labelled for screen readers."""

    use_fieldset = False
    template_name = "admin/accounts/doctor_photo_widget.html"
    photo_url = ""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["photo_url"] = self.photo_url
        return context


class DoctorProfileAdminForm(forms.ModelForm):
    """The profile as admins edit it: languages from the list, and a new photo re-encoded like the doctor's own."""

    languages = spoken_languages_field(_("Languages spoken"))

    class Meta:
        model = DoctorProfile
        fields = (
            "license_number",
            "degree_institution",
            "specialty_certificate",
            "specialty_institution",
            "specialties",
            "consultation_fee",
            "languages",
            "bio",
            "photo",
            "notify_on_booking",
            "daily_digest",
        )
        widgets = {
            "specialties": forms.CheckboxSelectMultiple,
            "photo": DoctorPhotoWidget(attrs={"accept": ACCEPTED_CONTENT_TYPES}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        profile = self.instance
        if profile.pk and profile.photo:
            photo_url = reverse("scheduling:doctor_photo", args=[profile.user_id])
            self.fields["photo"].widget.photo_url = f"{photo_url}?v={profile.photo_version}"

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if isinstance(photo, UploadedFile):
            try:
                return reencoded_photo(photo)
            except InvalidPhoto as error:
                raise forms.ValidationError(error.message) from None
        return photo


class DoctorProfileInline(admin.StackedInline):
    model = DoctorProfile
    form = DoctorProfileAdminForm
    can_delete = False
    extra = 0


class PatientProfileInline(admin.StackedInline):
    model = PatientProfile
    can_delete = False
    extra = 0


@admin.register(User)
class UserAdmin(SearchPeopleByWords, BigTableLists, DjangoUserAdmin):
    actions = [reset_second_factor]
    form = MedlyUserChangeForm
    add_form = MedlyUserCreationForm
    inlines = [DoctorProfileInline, PatientProfileInline]
    list_display = ("email", "first_name", "last_name", "role", "is_active", "is_staff")
    list_filter = ("role", "is_active")
    search_fields = ("email", "first_name", "last_name", "phone")
    # Total (pk last), so admin adds no "-pk" that the name index cannot give in order.
    ordering = ("last_name", "first_name", "pk")
    # Plain multiple selects: the filter widget's help icons carry ARIA attributes a <span> may not have.
    filter_horizontal = ()
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "phone", "role")}),
        (_("Permissions"), {"fields": ("is_active", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "first_name", "last_name", "role", "usable_password", "password1", "password2"),
            },
        ),
        (_("Patient (required when the role is patient)"), {"classes": ("wide",), "fields": PATIENT_FIELDS}),
    )

    def get_urls(self):
        add_doctor = self.admin_site.admin_view(
            sensitive_post_parameters("password1", "password2")(partial(add_doctor_view, self))
        )
        return [path("add-doctor/", add_doctor, name="accounts_user_add_doctor"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "may_add_doctor": may_change_roles(request.user)}
        return super().changelist_view(request, extra_context)

    @admin.display(boolean=True, description=_("staff status"))
    def is_staff(self, user):
        return user.is_staff

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not may_change_roles(request.user):
            # Otherwise a staff member could hand themselves a role, superuser status or permissions.
            return ("role", "is_superuser", "groups", "user_permissions")
        return ()

    def get_inline_instances(self, request, obj=None):
        if obj is None:
            return []
        wanted = {Role.DOCTOR: DoctorProfileInline, Role.PATIENT: PatientProfileInline}.get(obj.role)
        return [inline for inline in super().get_inline_instances(request, obj) if type(inline) is wanted]

    @method_decorator([sensitive_post_parameters(), csrf_protect])
    def add_view(self, request, form_url="", extra_context=None):
        # Without Django admin's surrounding transaction: register_patient and
        # create_staff_user own theirs, and it is durable.
        return self._add_view(request, form_url, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is None:
            return self._changeform_view(request, object_id, form_url, extra_context)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_form(self, request, form, change):
        if change:
            return super().save_form(request, form, change)
        return self._create_through_services(request, form.cleaned_data)

    def save_model(self, request, obj, form, change):
        if not change:
            return  # save_form created it through the services
        if "role" in form.changed_data:
            new_role = obj.role
            obj.role = form.initial["role"]
            obj.save()
            services.change_role(
                user_id=obj.pk, role=new_role, changed_by=request.user, ip_address=audit.client_address(request)
            )
            obj.role = new_role
        else:
            obj.save()

    def save_related(self, request, form, formsets, change):
        if change:  # a new user has no inlines nor many-to-many fields on the add form
            super().save_related(request, form, formsets, change)

    def _create_through_services(self, request, data):
        password = data.get("password1") if data.get("set_usable_password") else None
        account = {
            "email": data["email"],
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "password": password,
            "ip_address": audit.client_address(request),
        }
        if data["role"] == Role.PATIENT:
            return services.register_patient(
                **account,
                date_of_birth=data["date_of_birth"],
                sex=data["sex"],
                curp=data["curp"],
                blood_type=data["blood_type"],
                allergies=data["allergies"],
                phone=data["phone"],
                registered_by=request.user,
                privacy_notice_given=data["privacy_notice_given"],
            )
        return services.create_staff_user(**account, role=data["role"], created_by=request.user)

    def has_delete_permission(self, request, obj=None):
        # Accounts are deactivated, never deleted: records and history point at them.
        return False


@admin.register(PrivacyConsent)
class PrivacyConsentAdmin(RelatedFetchedAfterThePage, BigTableLists, admin.ModelAdmin):
    list_display = ("user", "notice_version", "channel", "recorded_by", "accepted_at", "ip_address")
    fetched_after_the_page = ("user", "recorded_by")
    # Newest first through the primary key (consents are written as they are given): accepted_at has no index.
    ordering = ("-pk",)
    list_filter = ("notice_version", "channel")
    search_fields = ("user__email",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RectificationRequest)
class RectificationRequestAdmin(ReadOnlyAdmin):
    """The history of correction requests; they are decided at /desk/rectifications/, audited there."""

    list_display = ("patient", "field", "old_value", "new_value", "status", "requested_at", "decided_by", "decided_at")
    list_filter = ("status", "field")
    search_fields = ("patient__email",)
    list_select_related = ("patient", "decided_by")
