"""Who must, and who may, sign in with a second factor: the one place these rules are written.

NOM-024-SSA3-2012 6.6.3 recommends more than a password. Administrators always use one (they
reach every record and every account); doctors and reception when the clinic turns on
SECOND_FACTOR_FOR_STAFF; patients may choose one. Anyone who has a second factor uses it.
"""

from django.conf import settings
from django_otp import user_has_device

from accounts.models import Role

# Set at sign-in for a user who must pass the second-factor step (twofactor/signals.py).
PENDING_SESSION_KEY = "twofactor_pending"


def second_factor_required(user):
    if not user.is_authenticated:
        return False
    if user.role == Role.ADMIN or user.is_superuser:
        return True
    return user.role in (Role.DOCTOR, Role.RECEPTION) and settings.SECOND_FACTOR_FOR_STAFF


def has_second_factor(user):
    """A confirmed authenticator app or passkey (recovery codes alone do not count)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_otp_webauthn.models import WebAuthnCredential

    return (
        TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()
        or WebAuthnCredential.objects.devices_for_user(user, confirmed=True).exists()
    )


def must_verify(user):
    """Whether this signed-in user is held at the second-factor step until they pass it."""
    return user.is_authenticated and (second_factor_required(user) or user_has_device(user))


def may_remove_second_factor(user):
    """Someone who must use a second factor cannot switch it off; they can replace it."""
    return not second_factor_required(user)


def may_reset_second_factor(admin, user):
    """An administrator clears another person's factors (a lost phone); never their own."""
    return admin.is_authenticated and admin.role == Role.ADMIN and admin.pk != user.pk
