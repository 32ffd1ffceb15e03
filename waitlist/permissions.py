"""Who may use the waitlist: asked by the views, the services and the templates."""

from accounts.models import Role
from scheduling import permissions as scheduling_permissions


def may_join_waitlist(user):
    """Whoever may hold appointments (an active patient) may wait for one."""
    return user.is_authenticated and scheduling_permissions.may_hold_appointments(user)


def may_see_doctor_waitlists(user):
    """Reception and admins see each doctor's queue."""
    return user.is_authenticated and user.role in (Role.RECEPTION, Role.ADMIN)
