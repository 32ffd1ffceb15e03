from base64 import b32encode

from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from twofactor import policy


def has_passkey(user):
    return WebAuthnCredential.objects.devices_for_user(user, confirmed=True).exists()


def readable_secret(device):
    """The authenticator's secret as people type it: base32 in groups of four."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def security_overview(user):
    """What the second-factor page shows, in three queries (pinned by the security page test)."""
    return {
        "required": policy.second_factor_required(user),
        "may_remove": policy.may_remove_second_factor(user),
        "authenticator": TOTPDevice.objects.devices_for_user(user, confirmed=True).first(),
        "passkeys": list(WebAuthnCredential.objects.devices_for_user(user, confirmed=True).order_by("pk")),
        "recovery_codes_left": StaticToken.objects.filter(device__user=user, device__confirmed=True).count(),
    }
