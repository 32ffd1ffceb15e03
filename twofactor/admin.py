"""Second factors in Django admin: no direct editing of devices, one audited reset per account."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnAttestation, WebAuthnCredential

from records import audit
from twofactor import policy, services

# Adding a device to someone else's account, or deleting one unaudited, is not something admin offers.
for model in (TOTPDevice, StaticDevice, WebAuthnCredential, WebAuthnAttestation):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.action(description=_("Reset the second factor (they set it up again at their next sign-in)"))
def reset_second_factor(modeladmin, request, queryset):
    reset, refused = 0, 0
    for user in queryset:
        if policy.may_reset_second_factor(request.user, user):
            services.reset_second_factor(admin=request.user, user=user, ip_address=audit.client_address(request))
            reset += 1
        else:
            refused += 1
    if reset:
        modeladmin.message_user(
            request,
            ngettext("Second factor reset for %(count)d account.", "Second factor reset for %(count)d accounts.", reset)
            % {"count": reset},
            messages.SUCCESS,
        )
    if refused:
        modeladmin.message_user(
            request, _("You cannot reset your own second factor: ask another administrator."), messages.ERROR
        )
