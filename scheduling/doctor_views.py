"""The doctor's own pages: the agenda as day and week grids, and the availability page with its actions."""

from datetime import timedelta

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role
from accounts.permissions import role_required
from medly.parsing import parse_id
from records import audit
from scheduling import agenda as agenda_queries
from scheduling import availability, permissions, queries
from scheduling.exceptions import SchedulingError
from scheduling.forms import AgendaForm, AvailabilityForm, BlockDayForm, RemoveRangeForm, UnblockDayForm
from scheduling.notifications import absolute_url


def _agenda_url(day, view):
    return f"{reverse('scheduling:appointments')}?{urlencode({'view': view, 'day': day.isoformat()})}"


def agenda(request):
    """GET /appointments/ for a doctor (the role check is the caller's)."""
    form = AgendaForm(request.GET or None)
    first_day, length = form.first_day_and_length()
    view = "week" if length == 7 else "day"
    unreadable = bool(request.GET) and not form.is_valid()
    calendar = agenda_queries.doctor_agenda(request.user, first_day=first_day, days=length)
    if calendar.patients_with_allergies_shown:
        audit.record_views(
            user=request.user,
            patient_ids=calendar.patients_with_allergies_shown,
            ip_address=audit.client_address(request),
            via="agenda",
            fields=["allergies"],
        )
    feed_token = queries.calendar_feed_token(request.user)
    return render(
        request,
        "scheduling/doctor_agenda.html",
        {
            "form": form,
            "agenda": calendar,
            "first_day": first_day,
            "last_day": first_day + timedelta(days=length - 1),
            "is_week": length == 7,
            "unreadable": unreadable,
            "previous_url": _agenda_url(first_day - timedelta(days=length), view),
            "next_url": _agenda_url(first_day + timedelta(days=length), view),
            "today_url": _agenda_url(timezone.localdate(), view),
            "day_url": _agenda_url(first_day, "day"),
            "week_url": _agenda_url(first_day, "week"),
            "may_have_calendar_feed": permissions.may_have_calendar_feed(request.user),
            "calendar_feed_url": feed_token and absolute_url(reverse("scheduling:calendar_feed", args=[feed_token])),
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(Role.DOCTOR)
def manage_availability(request):
    form = AvailabilityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = availability.open_slots(doctor=request.user, **form.cleaned_data)
        except SchedulingError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                ngettext(
                    "%(opened)d slot opened; %(existing)d already existed and were left as they were.",
                    "%(opened)d slots opened; %(existing)d already existed and were left as they were.",
                    result.opened,
                )
                % {"opened": result.opened, "existing": result.already_existed},
            )
            if result.skipped_closed:
                messages.info(
                    request,
                    ngettext(
                        "%(count)d slot was not opened because its day is blocked or the clinic is closed.",
                        "%(count)d slots were not opened because their days are blocked or the clinic is closed.",
                        result.skipped_closed,
                    )
                    % {"count": result.skipped_closed},
                )
            return redirect("scheduling:availability")
    return render(
        request,
        "scheduling/availability.html",
        {
            "form": form,
            "block_form": BlockDayForm(),
            "days": agenda_queries.availability_days(request.user),
        },
    )


@require_POST
@role_required(Role.DOCTOR)
def remove_slots(request):
    """Chosen slots (``slots``, repeatable) or one day's range (``day``, optional ``start_time``, ``end_time``)."""
    if "slots" in request.POST:
        slot_ids = [slot_id for slot_id in map(parse_id, request.POST.getlist("slots")) if slot_id is not None]
        _report_removal(request, availability.remove_open_slots(doctor=request.user, slot_ids=slot_ids))
        return redirect("scheduling:availability")
    form = RemoveRangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Those open slots could not be found; nothing was removed."))
        return redirect("scheduling:availability")
    _report_removal(request, availability.remove_open_range(doctor=request.user, **form.cleaned_data))
    return redirect("scheduling:availability")


@require_POST
@role_required(Role.DOCTOR)
def block_day(request):
    form = BlockDayForm(request.POST)
    if not form.is_valid():
        for error in form.errors.get("day", []):
            messages.error(request, error)
        return redirect("scheduling:availability")
    _report_removal(request, availability.block_day(doctor=request.user, day=form.cleaned_data["day"]))
    return redirect("scheduling:availability")


@require_POST
@role_required(Role.DOCTOR)
def unblock_day(request):
    form = UnblockDayForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That day is not blocked."))
        return redirect("scheduling:availability")
    try:
        reopened = availability.unblock_day(doctor=request.user, day=form.cleaned_data["day"])
    except SchedulingError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            ngettext(
                "The day is unblocked; %(count)d open slot is back.",
                "The day is unblocked; %(count)d open slots are back.",
                reopened,
            )
            % {"count": reopened},
        )
    return redirect("scheduling:availability")


def _report_removal(request, result):
    messages.success(
        request,
        ngettext("%(count)d open slot removed.", "%(count)d open slots removed.", result.removed)
        % {"count": result.removed},
    )
    if result.kept_booked:
        messages.warning(
            request,
            ngettext(
                "%(count)d booked slot was kept: cancel that appointment if you must.",
                "%(count)d booked slots were kept: cancel those appointments one by one if you must.",
                result.kept_booked,
            )
            % {"count": result.kept_booked},
        )
