from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone, translation
from django.utils.decorators import method_decorator
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import queries, services, throttling
from accounts.exceptions import (
    DuplicateCurp,
    DuplicateEmail,
    InvalidRectification,
    NotAllowed,
    RectificationNotFound,
)
from accounts.forms import LoginForm, ProfileForm, RectificationRequestForm, RegistrationForm
from accounts.mail import queue_password_reset
from accounts.models import Role
from accounts.permissions import may_request_rectification, role_required
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
        except DuplicateEmail as error:
            throttling.release_signup(request)
            form.add_error("email", error.message)
        except DuplicateCurp as error:
            throttling.release_signup(request)
            form.add_error("curp", error.message)
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


class PasswordResetView(auth_views.PasswordResetView):
    """Asks for an email and always answers with the same page: whether an account exists is
    decided by the worker (accounts/mail.py), so neither the answer nor its timing tells."""

    template_name = "accounts/password_reset_form.html"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        retry_at = throttling.claim_password_reset(self.request, email)
        if retry_at is not None:
            reason = _("Too many password reset requests from your network or for this email in the last hour.")
            return too_many_attempts(self.request, reason=reason, retry_at=retry_at)
        queue_password_reset(email=email)
        return redirect(self.success_url)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


@method_decorator(login_required, name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    """The signed-in user's new password; this session stays signed in, the others end. Wrong
    current passwords are counted per account like failed sign-ins."""

    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def post(self, request, *args, **kwargs):
        retry_at = throttling.password_change_refused_until(request.user)
        if retry_at is not None:
            reason = _("Too many wrong current passwords. For your security, changing it is paused.")
            return too_many_attempts(request, reason=reason, retry_at=retry_at)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if "old_password" in form.errors:
            throttling.count_password_change_failure(self.request.user)
        return super().form_invalid(form)

    def form_valid(self, form):
        services.change_password(
            user=self.request.user, new_password=form.cleaned_data["new_password1"], ip_address=client_ip(self.request)
        )
        update_session_auth_hash(self.request, self.request.user)
        messages.success(self.request, _("Your password is changed."))
        return redirect(self.success_url)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    user = request.user
    form = ProfileForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_profile(
                user=user,
                first_name=data["first_name"],
                last_name=data["last_name"],
                phone=data["phone"],
                language=data["language"],
                ip_address=client_ip(request),
            )
        except NotAllowed as error:
            form.add_error(None, error.message)
        else:
            translation.activate(user.language)
            messages.success(request, _("Your profile is saved."))
            response = redirect("accounts:profile")
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                user.language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            )
            return response
    rectification_form = RectificationRequestForm() if may_request_rectification(user) else None
    return _profile_page(request, form=form, rectification_form=rectification_form)


def _profile_page(request, *, form, rectification_form, status=200):
    context = {
        "form": form,
        "rectification_form": rectification_form,
        "details": queries.patient_details(request.user),
        "rectifications": queries.rectifications_of(request.user),
    }
    return render(request, "accounts/profile.html", context, status=status)


@role_required(Role.PATIENT)
@require_POST
def request_rectification(request):
    form = RectificationRequestForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.request_rectification(
                patient=request.user,
                field=data["field"],
                value=data["value"],
                reason=data["reason"],
                ip_address=client_ip(request),
            )
        except InvalidRectification as error:
            form.add_error(RectificationRequestForm.VALUE_FIELDS[data["field"]], error.message)
        else:
            messages.success(request, _("Your correction request is sent. Reception will check it with your ID."))
            return redirect("accounts:profile")
    return _profile_page(request, form=ProfileForm(user=request.user), rectification_form=form, status=400)


@role_required(Role.RECEPTION, Role.ADMIN)
def rectification_desk(request):
    return render(request, "accounts/rectification_desk.html", queries.rectification_desk())


@role_required(Role.RECEPTION, Role.ADMIN)
@require_POST
def confirm_rectification(request, rectification_id):
    return _decide(request, services.confirm_rectification, rectification_id, _("The correction is applied."))


@role_required(Role.RECEPTION, Role.ADMIN)
@require_POST
def reject_rectification(request, rectification_id):
    return _decide(request, services.reject_rectification, rectification_id, _("The request is rejected."))


def _decide(request, decision, rectification_id, done):
    try:
        decision(rectification_id=rectification_id, decided_by=request.user, ip_address=client_ip(request))
    except RectificationNotFound as error:
        raise Http404 from error
    except NotAllowed as error:
        raise PermissionDenied(error.message) from error
    except InvalidRectification as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("rectifications:desk")


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
