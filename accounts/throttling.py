"""How often an address may guess passwords or sign up, and when it may try again.

Failed logins are counted by django-axes in MySQL (``AccessAttempt`` rows, one
per account, address and user agent) and never reset by a success:

- the pair (account, address) is locked after ``AXES_FAILURE_LIMIT`` failures;
- the address, across all accounts, after ``AXES_IP_FAILURE_LIMIT`` failures;
- the account itself is never locked, so a stranger cannot keep its owner
  out; past ``AXES_FAILURE_LIMIT`` failures from all addresses it takes one
  attempt per ``LOGIN_ACCOUNT_INTERVAL_SECONDS`` (a slot claimed in the cache).

Each count covers the cool-off window (``AXES_COOLOFF_TIME``) before the attempt.
Sign-up is limited per address in the cache: ``SIGNUPS_PER_HOUR_PER_ADDRESS``.
Password reset requests per address and per email (``PASSWORD_RESETS_PER_HOUR_PER_ADDRESS``,
``PASSWORD_RESETS_PER_HOUR_PER_EMAIL``), whether or not the email has an account.
Wrong current passwords on the change-password page count per account like
login failures: ``AXES_FAILURE_LIMIT`` per ``AXES_COOLOFF_TIME``.
"""

import hashlib
import math
import time
from datetime import UTC, datetime

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.db.models import Sum

from accounts.models import UserManager
from medly.client import client_ip

SIGNUP_WINDOW_SECONDS = 3600
# How long an attempt holds its pair (account, address) at most: a password
# check takes well under a second, and a crashed worker's claim must lapse.
IN_FLIGHT_SECONDS = 10
IN_FLIGHT_RETRY_SECONDS = 2
SLOWED = "slowed"
IN_FLIGHT = "in_flight"


def login_username(request, credentials):
    """The account a login attempt targets, as django-axes counts it: "ANA@x" and "ana@x" are one account."""
    if credentials:
        raw = credentials.get("username")
    else:
        raw = getattr(request, "POST", {}).get("username")
    return UserManager.normalize_email(raw) or None


def current_time():
    return time.time()


class LoginAttemptHandler(AxesDatabaseHandler):
    """django-axes' database handler, with a limit for each kind of count and the account slowed, not locked."""

    def get_failures(self, request, credentials=None):
        # Axes compares this one number with AXES_FAILURE_LIMIT; an address over
        # its own, higher limit counts as a pair at the limit.
        pair, address = _recent_attempts(request, credentials)
        pair_failures = _failures(pair)
        if _failures(address) >= settings.AXES_IP_FAILURE_LIMIT:
            return max(pair_failures, get_failure_limit(request, credentials))
        return pair_failures

    def is_allowed(self, request, credentials=None):
        if not super().is_allowed(request, credentials):
            return False
        # One attempt at a time per pair: parallel guesses would all pass the
        # count above before any of them is recorded.
        if not _claim_pair(request, credentials):
            _refuse(request, IN_FLIGHT, datetime.fromtimestamp(current_time() + IN_FLIGHT_RETRY_SECONDS, UTC))
            return False
        retry_at = _account_slot_taken_until(request, credentials)
        if retry_at is not None:
            _refuse(request, SLOWED, retry_at)
            return False
        return True

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        try:
            super().user_login_failed(sender, credentials, request, **kwargs)
        finally:
            _release_pair(request)

    def user_logged_in(self, sender, request, user, **kwargs):
        try:
            super().user_logged_in(sender, request, user, **kwargs)
        finally:
            _release_pair(request)


def login_refusal(request):
    """Why a login attempt was refused before its password was checked: SLOWED, IN_FLIGHT, or None (a lock)."""
    return getattr(request, "login_refusal", None)


def _refuse(request, reason, retry_at):
    request.login_refusal = reason
    request.login_retry_at = retry_at


def _claim_pair(request, credentials):
    key = f"throttle:login-pair:{_digest(repr((get_client_username(request, credentials), request.axes_ip_address)))}"
    if not cache.add(key, 1, timeout=IN_FLIGHT_SECONDS):
        return False
    request.login_pair_claim = key
    return True


def _release_pair(request):
    key = getattr(request, "login_pair_claim", None)
    if key is not None:
        cache.delete(key)
        request.login_pair_claim = None


def login_retry_at(request, credentials=None):
    """When a refused login attempt may be made again (an aware datetime in UTC)."""
    slowed_until = getattr(request, "login_retry_at", None)
    if slowed_until is not None:
        return slowed_until
    cool_off = get_cool_off(request)
    pair, address = _recent_attempts(request, credentials)
    unlocks = [
        _unlock_time(pair, get_failure_limit(request, credentials), cool_off),
        _unlock_time(address, settings.AXES_IP_FAILURE_LIMIT, cool_off),
    ]
    known = [moment for moment in unlocks if moment is not None]
    return max(known) if known else datetime.fromtimestamp(current_time(), UTC) + cool_off


def _recent_attempts(request, credentials):
    recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
    address = request.axes_ip_address
    pair = recent.filter(username=get_client_username(request, credentials), ip_address=address)
    return pair, recent.filter(ip_address=address)


def _failures(attempts):
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def _unlock_time(attempts, limit, cool_off):
    # Rows leave the window oldest first: the lock lifts when the row that
    # brought the newest rows' total to the limit leaves it.
    total = 0
    for attempt_time, failures in attempts.order_by("-attempt_time").values_list(
        "attempt_time", "failures_since_start"
    ):
        total += failures
        if total >= limit:
            return attempt_time + cool_off
    return None


def _account_slot_taken_until(request, credentials):
    username = get_client_username(request, credentials)
    if username is None:
        return None
    account_failures = _failures(
        AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request), username=username)
    )
    if account_failures < get_failure_limit(request, credentials):
        return None
    interval = settings.LOGIN_ACCOUNT_INTERVAL_SECONDS
    window = int(current_time() // interval)
    key = f"throttle:login-account:{_digest(username)}:{window}"
    if cache.add(key, 1, timeout=interval + 1):
        return None
    return datetime.fromtimestamp((window + 1) * interval, UTC)


def claim_signup(request):
    """Count one sign-up for the client's address; None when allowed, else when it may sign up again."""
    window = int(current_time() // SIGNUP_WINDOW_SECONDS)
    key = _signup_key(request, window)
    cache.add(key, 0, timeout=SIGNUP_WINDOW_SECONDS + 60)
    if cache.incr(key) <= settings.SIGNUPS_PER_HOUR_PER_ADDRESS:
        return None
    cache.decr(key)
    return datetime.fromtimestamp((window + 1) * SIGNUP_WINDOW_SECONDS, UTC)


def release_signup(request):
    """Give back the sign-up counted by claim_signup when no account was created after all."""
    key = _signup_key(request, int(current_time() // SIGNUP_WINDOW_SECONDS))
    try:
        cache.decr(key)
    except ValueError:  # the window turned over meanwhile: nothing left to give back
        pass


def _signup_key(request, window):
    return f"throttle:signup:{_digest(client_ip(request) or '')}:{window}"


def claim_password_reset(request, email):
    """Count one reset request for the client's address and for ``email``; None when allowed, else when
    the busier of the two may ask again. Unknown emails count the same: the answer reveals nothing."""
    window = int(current_time() // SIGNUP_WINDOW_SECONDS)
    counters = [
        (
            f"throttle:reset-address:{_digest(client_ip(request) or '')}:{window}",
            settings.PASSWORD_RESETS_PER_HOUR_PER_ADDRESS,
        ),
        (
            f"throttle:reset-email:{_digest(UserManager.normalize_email(email))}:{window}",
            settings.PASSWORD_RESETS_PER_HOUR_PER_EMAIL,
        ),
    ]
    claimed = []
    for key, limit in counters:
        cache.add(key, 0, timeout=SIGNUP_WINDOW_SECONDS + 60)
        if cache.incr(key) > limit:
            for taken in [*claimed, key]:
                cache.decr(taken)
            return datetime.fromtimestamp((window + 1) * SIGNUP_WINDOW_SECONDS, UTC)
        claimed.append(key)
    return None


def password_change_refused_until(user):
    """When ``user`` may try their current password again on the change page, or None if they may now."""
    window_seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    window = int(current_time() // window_seconds)
    if (cache.get(_password_change_key(user, window)) or 0) < settings.AXES_FAILURE_LIMIT:
        return None
    return datetime.fromtimestamp((window + 1) * window_seconds, UTC)


def count_password_change_failure(user):
    window_seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    key = _password_change_key(user, int(current_time() // window_seconds))
    cache.add(key, 0, timeout=window_seconds + 60)
    cache.incr(key)


def _password_change_key(user, window):
    return f"throttle:password-change:{user.pk}:{window}"


def _digest(text):
    return hashlib.sha256(text.encode()).hexdigest()


def seconds_until(moment):
    """Whole seconds from now until ``moment``, at least 1: the value of a Retry-After header."""
    return max(1, math.ceil(moment.timestamp() - current_time()))


def minutes_until(moment):
    return max(1, math.ceil(seconds_until(moment) / 60))
