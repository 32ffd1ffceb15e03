from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from accounts import axes_admin  # noqa: F401 - replaces django-axes' admin pages
from accounts.models import DoctorProfile, PatientProfile, PrivacyConsent, Role, User
from medly.admin_lists import CalendarSafeLists
from medly.forms import DateTimesThatFitInUTC


class MedlyUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "role")

    def save(self, commit=True):
        user = super().save(commit=False)
        user.is_staff = user.role == Role.ADMIN
        if commit:
            user.save()
        return user


class MedlyUserChangeForm(DateTimesThatFitInUTC, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class DoctorProfileInline(admin.StackedInline):
    model = DoctorProfile
    can_delete = False
    extra = 0


class PatientProfileInline(admin.StackedInline):
    model = PatientProfile
    can_delete = False
    extra = 0


@admin.register(User)
class UserAdmin(CalendarSafeLists, DjangoUserAdmin):
    form = MedlyUserChangeForm
    add_form = MedlyUserCreationForm
    inlines = [DoctorProfileInline, PatientProfileInline]
    list_display = ("email", "first_name", "last_name", "role", "is_active", "is_staff")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("last_name", "first_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "role")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {
            "classes": ("wide",),
            "fields": ("email", "first_name", "last_name", "role", "usable_password", "password1", "password2"),
        }),
    )

    def get_inline_instances(self, request, obj=None):
        if obj is None:
            return []
        wanted = {Role.DOCTOR: DoctorProfileInline, Role.PATIENT: PatientProfileInline}.get(obj.role)
        return [inline for inline in super().get_inline_instances(request, obj) if type(inline) is wanted]

    def has_delete_permission(self, request, obj=None):
        # Accounts are deactivated, never deleted: records and history point at them.
        return False


@admin.register(PrivacyConsent)
class PrivacyConsentAdmin(CalendarSafeLists, admin.ModelAdmin):
    list_display = ("user", "notice_version", "accepted_at", "ip_address")
    list_filter = ("notice_version",)
    search_fields = ("user__email",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
