from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone, translation
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import throttling
from accounts.forms import LoginForm, RegistrationForm
from accounts.services import register_patient
from medly.client import client_ip


@require_http_methods(["GET", "POST"])
def register(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        retry_at = throttling.claim_signup(request)
        if retry_at is not None:
            reason = _("Too many accounts have been created from your network in the last hour.")
            return too_many_attempts(request, reason=reason, retry_at=retry_at)
        try:
            user = register_patient(
                email=data["email"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                date_of_birth=data["date_of_birth"],
                sex=data["sex"],
                curp=data["curp"],
                blood_type=data["blood_type"],
                allergies=data["allergies"],
                ip_address=client_ip(request),
                language=translation.get_language(),
            )
        except IntegrityError:
            throttling.release_signup(request)
            form.add_error("email", _("An account with this email already exists."))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to Medly, %(name)s.") % {"name": user.first_name})
            return redirect("home")
    return render(request, "accounts/register.html", {"form": form})


def privacy_notice(request):
    return render(request, "accounts/privacy.html", {"notice_version": settings.PRIVACY_NOTICE_VERSION})


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_redirect_url(self, request=None):
        url = super().get_redirect_url(request)
        # Only a path on this site: Django also accepts "home" or "²", relative targets that land on a 404.
        return url if url.startswith("/") else ""


class LogoutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Where a reset or "set your password" link lands: a new password, then the sign-in page."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes calls this instead of logging in when an attempt is refused."""
    refusal = throttling.login_refusal(request)
    if refusal == throttling.SLOWED:
        reason = _(
            "Too many failed sign-in attempts on this account. For its security it accepts one attempt every "
            "few seconds."
        )
    elif refusal == throttling.IN_FLIGHT:
        reason = _("Another sign-in attempt on this account is still being checked. Please try again in a moment.")
    else:
        reason = _("Too many failed sign-in attempts. For your security, sign-in from here is paused.")
    return too_many_attempts(request, reason=reason, retry_at=throttling.login_retry_at(request, credentials))


def too_many_attempts(request, *, reason, retry_at):
    """The 429 page: why, and when to try again in the clinic's time, with a Retry-After header."""
    context = {
        "reason": reason,
        "retry_time": time_format(timezone.localtime(retry_at), "H:i"),
        "retry_minutes": throttling.minutes_until(retry_at),
    }
    response = render(request, "errors/429.html", context, status=429)
    response["Retry-After"] = str(throttling.seconds_until(retry_at))
    return response
