"""What each role sees first after signing in: one function per role, each returning the page's context.

The home view picks the function and the template `home/<role>.html` by the user's role. Each
function reads through its app's queries module; none writes.
"""

from medly.clinic import clinic_details, maps_url
from medly.queries import operational_state


def anonymous_home(request):
    return {}


def patient_home(request):
    from scheduling import permissions as scheduling_permissions  # the apps' modules import medly's
    from scheduling import queries as scheduling_queries

    context = scheduling_queries.patient_home(request.user)
    next_appointment = context["next_appointment"]
    return {
        **context,
        "maps_url": maps_url(clinic_details()),
        "change_deadline": next_appointment
        and scheduling_permissions.patient_change_deadline(next_appointment.starts_at),
    }


def doctor_home(request):
    from django.utils import timezone

    from scheduling.agenda import doctor_today  # apps load after this module

    return {"today": doctor_today(request.user), "today_date": timezone.localdate()}


def reception_home(request):
    """Today's desk: the register and book actions, the waiting room and every doctor's column."""
    from desk.forms import DeskDayForm  # the desk's pages import the project's own modules
    from desk.views import desk_context

    return desk_context(DeskDayForm())


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
