from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.forms import LoginForm, RegistrationForm
from accounts.services import register_patient


@require_http_methods(["GET", "POST"])
def register(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
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
                ip_address=request.META.get("REMOTE_ADDR"),
            )
        except IntegrityError:
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


def login_locked_out(request, credentials, *args, **kwargs):
    """django-axes calls this instead of logging in once the limit is reached."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    form = LoginForm(request)
    message = _(
        "Too many failed sign-in attempts. For your security, sign-in is paused for %(minutes)d minutes."
    ) % {"minutes": minutes}
    return render(request, "accounts/login.html", {"form": form, "lockout_message": message}, status=429)
