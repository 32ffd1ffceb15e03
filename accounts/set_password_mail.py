"""The mail that lets a new staff member choose their own password (Django's password reset link)."""

from django.contrib.auth.tokens import default_token_generator
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from medly.mail import queue_email
from scheduling.notifications import absolute_url


def set_password_url(user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return absolute_url(reverse("accounts:password_reset_confirm", args=[uid, token]))


def queue(user):
    """Queue the mail for when the current transaction commits, in the user's language."""
    with translation.override(user.language):
        subject = _("Choose your Medly password")
        text = render_to_string("accounts/email/set_password.txt", {"user": user, "url": set_password_url(user)})
    queue_email(to=[user.email], subject=subject, text=text)
