"""Holds a signed-in user at the second-factor step until they pass it (policy.must_verify).

Who is held is decided once, at sign-in (a flag in the session), so the pages of everyone else
cost no query; those whose role requires a factor are held whatever the flag says. Runs after
django-otp's OTPMiddleware, which tells whether this session passed a device. Until then only
the second-factor pages, signing out, the language switch and the health checks answer;
everything else (Django admin included) redirects to the step, keeping where the user was
going. Setting up a factor is open only to someone who has none yet: a password alone must
never be enough to add a device of one's own to an account that has one.
"""

from urllib.parse import urlencode

from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _
from django_otp import user_has_device

from twofactor import policy

ALWAYS_OPEN = {
    "twofactor:verify",
    "accounts:logout",
    "set_language",
    "otp_webauthn:credential-authentication-begin",
    "otp_webauthn:credential-authentication-complete",
    "otp_webauthn:js-i18n-catalog",
}
STORE_FREE = {"livez", "healthz"}
OPEN_TO_SET_UP = {
    "twofactor:authenticator",
    "otp_webauthn:credential-registration-begin",
    "otp_webauthn:credential-registration-complete",
}


def _route_name(path):
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        route = _route_name(request.path_info)
        if route in STORE_FREE:
            # Liveness and readiness answer without loading the session (Redis may be the store that is down).
            return self.get_response(request)
        user = request.user
        held = user.is_authenticated and (
            policy.second_factor_required(user) or request.session.get(policy.PENDING_SESSION_KEY)
        )
        if not held or user.is_verified():
            return self.get_response(request)
        has_device = user_has_device(user)
        if not has_device and not policy.second_factor_required(user):
            # Their only factor was removed (by them elsewhere, or reset by an admin): nothing to pass.
            request.session.pop(policy.PENDING_SESSION_KEY, None)
            return self.get_response(request)
        if route in ALWAYS_OPEN or (route in OPEN_TO_SET_UP and not has_device):
            return self.get_response(request)
        if route and route.startswith("otp_webauthn:"):
            return JsonResponse({"detail": _("Sign in with your second factor first.")}, status=403)
        target = reverse("twofactor:verify" if has_device else "twofactor:authenticator")
        return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
