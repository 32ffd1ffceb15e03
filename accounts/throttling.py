from accounts.models import UserManager


def login_username(request, credentials):
    """The account a login attempt targets, as django-axes counts it: "ANA@x" and "ana@x" are one account."""
    if credentials:
        raw = credentials.get("username")
    else:
        raw = getattr(request, "POST", {}).get("username")
    return UserManager.normalize_email(raw) or None
