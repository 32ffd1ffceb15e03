from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from accounts.models import Role


def role_required(*roles, on_refusal=None):
    """Only logged-in users with one of ``roles``: others get 403, anonymous visitors the login page.

    ``on_refusal(request, url_kwargs)`` runs before the 403, e.g. to audit the refused access.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.user.role not in roles:
                if on_refusal is not None:
                    on_refusal(request, kwargs)
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def may_change_roles(actor):
    """Only superusers set or change a role: a role decides admin access and clinical access."""
    return actor.is_authenticated and actor.is_superuser


def role_change_refusal(*, actor, before, after):
    """Why ``actor`` may not change a role from ``before`` to ``after``, or None if they may."""
    if before == after:
        return None
    if not may_change_roles(actor):
        return _("Only a superuser can change a role.")
    if Role.PATIENT in (before, after):
        # A patient exists only through register_patient (profile, record, consent).
        return _("A patient account cannot become a staff account, nor the other way round.")
    return None


def may_decide_rectifications(user):
    """Reception and admins check a patient's document and confirm or reject a correction."""
    return user.is_authenticated and user.role in (Role.RECEPTION, Role.ADMIN)


def may_decide_rectification(user, rectification):
    """Whether ``user`` may confirm or reject this request: never their own."""
    return may_decide_rectifications(user) and rectification.patient_id != user.pk


def may_request_rectification(user):
    return user.is_authenticated and user.role == Role.PATIENT
