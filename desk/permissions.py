"""Who works the reception desk: one rule, asked by the desk's views and the navigation."""

from accounts.models import Role

DESK_ROLES = (Role.RECEPTION, Role.ADMIN)


def may_use_desk(user):
    """Reception and admins register walk-ins, book for patients and check them in."""
    return user.is_authenticated and user.role in DESK_ROLES
