"""Account emails: built in the request, sent by the worker (``medly.mail.queue_email``) after commit."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from medly.mail import queue_email
from records.models import ClinicDetails


def set_password_url(user):
    """The one-time link to the page where ``user`` chooses a password (a reset, or a first password);
    it stops working once used. The one place Medly builds this link."""
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return f"{settings.SITE_URL}{path}"


def send_set_password_invitation(user):
    """A patient registered at the desk: how to set the password and sign in, in their language."""
    if not user.email:
        return
    clinic = ClinicDetails.current()
    with translation.override(user.language), timezone.override(settings.TIME_ZONE):
        subject = _("Your Medly account: choose your password")
        context = {
            "patient": user,
            "url": set_password_url(user),
            "login_url": f"{settings.SITE_URL}{reverse('accounts:login')}",
            "clinic": clinic,
            "clinic_address_lines": clinic.address_lines,
            "language": user.language,
            "subject": subject,
        }
        text = render_to_string("accounts/email/set_password.txt", context)
        html = render_to_string("accounts/email/set_password.html", context)
    queue_email(to=[user.email], subject=subject, text=text, html=html)


def send_staff_set_password_invitation(user):
    """A doctor or staff member created by an administrator without a password: the link to choose one."""
    with translation.override(user.language):
        subject = _("Choose your Medly password")
        text = render_to_string("accounts/email/set_password_staff.txt", {"user": user, "url": set_password_url(user)})
    queue_email(to=[user.email], subject=subject, text=text)
