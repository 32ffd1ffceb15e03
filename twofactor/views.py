import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import time_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import user_has_device

from twofactor import policy, queries, services
from twofactor.exceptions import NotAllowed, TooManyAttempts, WrongCode
from twofactor.forms import AuthenticatorCodeForm, CodeForm

RECOVERY_CODES_SESSION_KEY = "twofactor_new_recovery_codes"


def _next_url(request, default="home"):
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    hosts = {request.get_host()}
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts=hosts, require_https=request.is_secure()):
        return candidate if candidate.startswith("/") else reverse(default)
    return reverse(default)


def _too_many(refusal):
    return _("Too many wrong codes. Please wait and try again at %(time)s.") % {
        "time": time_format(localtime(refusal.retry_at), "H:i")
    }


@require_http_methods(["GET", "POST"])
@login_required
def verify(request):
    user = request.user
    if user.is_verified() or not policy.must_verify(user):
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.verify(request=request, code=form.cleaned_data["code"])
        except TooManyAttempts as refusal:
            form.add_error(None, _too_many(refusal))
            status = 429
        except WrongCode:
            form.add_error("code", _("That code is not right. Check the app's current code and try again."))
        else:
            return redirect(_next_url(request))
    return render(
        request,
        "twofactor/verify.html",
        {"form": form, "next": _next_url(request), "has_passkey": queries.has_passkey(user)},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def security(request):
    return render(request, "twofactor/security.html", queries.security_overview(request.user))


@require_http_methods(["GET", "POST"])
@login_required
def authenticator(request):
    user = request.user
    if user_has_device(user) and not user.is_verified():
        # The middleware sends such a session to the verify step; a direct POST gets no further.
        raise PermissionDenied
    device = services.pending_authenticator(request=request)
    form = AuthenticatorCodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.confirm_authenticator(request=request, code=form.cleaned_data["code"])
        except TooManyAttempts as refusal:
            form.add_error(None, _too_many(refusal))
            status = 429
        except WrongCode:
            form.add_error("code", _("That code is not right. Check the app's clock and enter its current code."))
        else:
            request.session[RECOVERY_CODES_SESSION_KEY] = codes
            messages.success(request, _("Your authenticator app is set up."))
            return redirect(f"{reverse('twofactor:recovery_codes')}?next={_next_url(request)}")
    return render(
        request,
        "twofactor/authenticator.html",
        {
            "form": form,
            "next": _next_url(request),
            "qr_code": segno.make(device.config_url, micro=False).svg_inline(
                scale=4, title=_("QR code for your authenticator app")
            ),
            "secret": queries.readable_secret(device),
            "required": policy.second_factor_required(user),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def recovery_codes(request):
    if not request.user.is_verified():
        return redirect("twofactor:security")
    if request.method == "POST":
        request.session[RECOVERY_CODES_SESSION_KEY] = services.new_recovery_codes(request=request)
        return redirect(f"{reverse('twofactor:recovery_codes')}?next={_next_url(request, 'twofactor:security')}")
    codes = request.session.pop(RECOVERY_CODES_SESSION_KEY, None)
    return render(
        request,
        "twofactor/recovery_codes.html",
        {"codes": codes, "next": _next_url(request, "twofactor:security"), **queries.security_overview(request.user)},
    )


@require_POST
@login_required
def remove(request):
    try:
        services.remove_second_factor(request=request)
    except NotAllowed:
        messages.error(request, _("Your role must sign in with a second factor: you can replace it, not remove it."))
    else:
        messages.success(request, _("Your second factor is removed. You sign in with your password alone."))
    return redirect("twofactor:security")
