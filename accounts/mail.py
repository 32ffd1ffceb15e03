"""The password reset email, built and sent by the worker, never in the request.

The request only enqueues ``send_password_reset`` with the address typed in, known or not, so
the page answers the same, in the same time, whether an account exists. The worker looks the
address up and writes to each active account in its own language (``User.language``).
"""

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import User, UserManager
from accounts.notifications import set_password_url
from medly.mail import queue_email
from records.models import ClinicDetails


def queue_password_reset(*, email):
    """Look ``email`` up and send its reset link once the current transaction commits."""
    email = UserManager.normalize_email(email)
    transaction.on_commit(lambda: send_password_reset.enqueue(email=email))


@task
def send_password_reset(*, email):
    for user in User.objects.filter(email__iexact=email, is_active=True).exclude(email=""):
        subject, text, html = render_password_reset(user)
        queue_email(to=[user.email], subject=subject, text=text, html=html)


def render_password_reset(user):
    """(subject, text, html) of the reset email for ``user``, in their language."""
    clinic = ClinicDetails.current()
    with translation.override(user.language):
        subject = _("Choose a new Medly password")
        context = {
            "user": user,
            "reset_url": set_password_url(user),
            "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
            "clinic": clinic,
            "clinic_address_lines": clinic.address_lines,
            "language": user.language,
            "subject": subject,
        }
        text = render_to_string("accounts/email/password_reset.txt", context)
        html = render_to_string("accounts/email/password_reset.html", context)
    return subject, text, html
