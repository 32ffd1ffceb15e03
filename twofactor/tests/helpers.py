"""Second factors in tests: a confirmed authenticator, its current code, a session that passed it."""

from base64 import b32decode

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


def authenticator_for(user):
    """The user's confirmed authenticator app, created if they have none."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="authenticator", confirmed=True
    )


def current_code(device, *, steps_ahead=0):
    """What the phone shows now (or ``steps_ahead`` periods later), as the app would."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def code_for_key(secret):
    """The current code of an authenticator set up by typing ``secret`` (base32, as the set-up page shows it)."""
    key_hex = b32decode("".join(secret.split()).upper() + "=" * (-len("".join(secret.split())) % 8)).hex()
    return current_code(TOTPDevice(key=key_hex))


def pass_second_factor(client, user):
    """Mark the test client's session as having passed ``user``'s authenticator."""
    device = authenticator_for(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device
