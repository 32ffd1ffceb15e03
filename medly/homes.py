"""What each role sees first after signing in: one function per role, each returning the page's context.

The home view picks the function and the template `home/<role>.html` by the user's role. Each
function reads through its app's queries module; none writes.
"""

from medly.queries import operational_state


def anonymous_home(request):
    return {}


def patient_home(request):
    return {}


def doctor_home(request):
    return {}


def reception_home(request):
    return {}


def admin_home(request):
    return {"state": operational_state()}


HOMES = {
    "patient": patient_home,
    "doctor": doctor_home,
    "reception": reception_home,
    "admin": admin_home,
}


def home_page(request):
    """The template name and context of the signed-in (or anonymous) user's home."""
    if not request.user.is_authenticated:
        return "home/anonymous.html", anonymous_home(request)
    role = request.user.role
    return f"home/{role}.html", HOMES[role](request)
