"""Every write of the second factor: enrolment, recovery codes, verification, removal and an admin's reset.

Each change is audited (records_auditevent) in the same transaction. Codes are checked against
the user's own devices under django-otp's row locks and throttle (each wrong code doubles the
wait on that device); on top of it an address gets SECOND_FACTOR_FAILURE_LIMIT wrong codes per
user in a window, like the password (accounts/throttling.py): the account is slowed, never locked.
"""

from datetime import timedelta

import django_otp
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex
from django_otp_webauthn.models import WebAuthnCredential

from records import audit
from twofactor import policy
from twofactor.exceptions import NotAllowed, TooManyAttempts, WrongCode

ENROLLED = "account.second_factor_enrolled"
REMOVED = "account.second_factor_removed"
RESET = "account.second_factor_reset"
RECOVERY_CODES_CREATED = "account.recovery_codes_created"
RECOVERY_CODE_USED = "account.recovery_code_used"
VERIFICATION_FAILED = "account.second_factor_failed"

AUTHENTICATOR_NAME = "authenticator"
RECOVERY_NAME = "recovery"
FAILURE_WINDOW = timedelta(minutes=15)
TOTP_DIGITS = 6


PENDING_KEY_SESSION_KEY = "twofactor_pending_authenticator_key"


def pending_authenticator(*, request):
    """The authenticator being set up, not saved: its secret waits in the session until a first code confirms it.

    Showing the set-up page writes nothing; the same secret is shown until it is confirmed.
    """
    key = request.session.get(PENDING_KEY_SESSION_KEY)
    if not key:
        key = request.session[PENDING_KEY_SESSION_KEY] = random_hex(20)
    return TOTPDevice(user=request.user, key=key, name=AUTHENTICATOR_NAME, confirmed=False)


def confirm_authenticator(*, request, code):
    """Save the pending authenticator once its first code is right; returns fresh recovery codes.

    A new authenticator replaces the old one (a new phone). The session counts as verified
    from here on: the code just proved the device.
    """
    user, address = request.user, audit.client_address(request)
    _refuse_if_too_many(user, address)
    # Without a key in the session (another tab confirmed it) a new one is drawn: the code then cannot match.
    device = pending_authenticator(request=request)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    code = _normalised(code)
    if not (code.isdigit() and len(code) == device.digits and totp.verify(int(code), tolerance=device.tolerance)):
        _count_failure(user, address)
        raise WrongCode()
    device.confirmed, device.last_t, device.drift = True, totp.t(), totp.drift
    with transaction.atomic(durable=True):
        TOTPDevice.objects.filter(user=user).delete()
        device.save()
        audit.record(user=user, action=ENROLLED, ip_address=address, method="authenticator")
        codes = _replace_recovery_codes(user, request)
    del request.session[PENDING_KEY_SESSION_KEY]
    django_otp.login(request, device)
    request.session.cycle_key()
    return codes


def new_recovery_codes(*, request):
    with transaction.atomic(durable=True):
        return _replace_recovery_codes(request.user, request)


def _replace_recovery_codes(user, request):
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.SECOND_FACTOR_RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    audit.record(user=user, action=RECOVERY_CODES_CREATED, ip_address=audit.client_address(request))
    return codes


def _normalised(code):
    return "".join(str(code).split()).lower()


def _failure_key(user, address):
    return f"second-factor-failures:{user.pk}:{address}"


def _refuse_if_too_many(user, address):
    count, window_ends = cache.get(_failure_key(user, address), (0, None))
    if window_ends and window_ends > timezone.now() and count >= settings.SECOND_FACTOR_FAILURE_LIMIT:
        raise TooManyAttempts(window_ends)


def _count_failure(user, address):
    key = _failure_key(user, address)
    count, window_ends = cache.get(key, (0, None))
    now = timezone.now()
    if not window_ends or window_ends <= now:
        count, window_ends = 0, now + FAILURE_WINDOW
    cache.set(key, (count + 1, window_ends), timeout=int(FAILURE_WINDOW.total_seconds()))


def verify(*, request, code):
    """Pass the second-factor step with an authenticator code or a recovery code; returns the device.

    Raises TooManyAttempts (with when to try again) or WrongCode.
    """
    user, address = request.user, audit.client_address(request)
    _refuse_if_too_many(user, address)
    code = _normalised(code)
    is_authenticator_code = code.isdigit() and len(code) == TOTP_DIGITS
    device_class = TOTPDevice if is_authenticator_code else StaticDevice
    locked_until = None
    with transaction.atomic(durable=True):
        matched = None
        for device in device_class.objects.devices_for_user(user, confirmed=True).select_for_update():
            allowed, details = device.verify_is_allowed()
            if not allowed:
                locked_until = max(filter(None, (locked_until, (details or {}).get("locked_until"))), default=None)
                continue
            if device.verify_token(code):
                matched = device
                break
        if matched is None:
            audit.record(user=user, action=VERIFICATION_FAILED, ip_address=address)
        elif not is_authenticator_code:
            audit.record(user=user, action=RECOVERY_CODE_USED, ip_address=address)
    if matched is None:
        _count_failure(user, address)
        if locked_until is not None:
            raise TooManyAttempts(locked_until)
        raise WrongCode()
    django_otp.login(request, matched)
    request.session.cycle_key()
    return matched


def remove_second_factor(*, request):
    """A patient switches their second factor off; staff who must use one cannot."""
    user = request.user
    if not policy.may_remove_second_factor(user):
        raise NotAllowed()
    with transaction.atomic(durable=True):
        _delete_devices(user)
        audit.record(user=user, action=REMOVED, ip_address=audit.client_address(request))


def reset_second_factor(*, admin, user, ip_address=None):
    """An administrator clears someone's factors (a lost phone): at the next sign-in they set one up again."""
    if not policy.may_reset_second_factor(admin, user):
        raise NotAllowed()
    with transaction.atomic(durable=True):
        _delete_devices(user)
        audit.record(user=admin, action=RESET, ip_address=ip_address, account_id=user.pk, account=user.email or "")


def _delete_devices(user):
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    WebAuthnCredential.objects.filter(user=user).delete()


def record_passkey_added(*, user, ip_address=None):
    audit.record(user=user, action=ENROLLED, ip_address=ip_address, method="passkey")
