from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role, User
from accounts.permissions import role_required
from accounts.services import new_calendar_token, remember_language, revoke_calendar_token
from desk.links import desk_day_url
from medly.clinic import clinic_details, maps_url
from medly.parsing import parse_id
from records import audit
from scheduling import calendar, doctor_views, permissions, public_pages, queries, services
from scheduling.exceptions import AlreadyBookedByYou, SchedulingError
from scheduling.forms import AgendaForm, BookingForm, RescheduleForm
from scheduling.models import Specialty

PAST_APPOINTMENTS_PER_PAGE = 10
# Patients book a few ahead themselves, but reception and admins may book them past that limit.
UPCOMING_APPOINTMENTS_PER_PAGE = 10


@require_GET
def doctor_directory(request):
    query = request.GET.get("q", "").strip()[:100]
    specialty_id = parse_id(request.GET.get("specialty"))
    for_patient = parse_id(request.GET.get("for_patient")) if permissions.may_book_for_others(request.user) else None
    results_html = public_pages.directory_results(
        query=query,
        specialty_id=specialty_id,
        page_number=parse_id(request.GET.get("page")),
        for_patient=for_patient,
    )
    # Search-as-you-type asks for the results alone; going back in history needs the whole page.
    if request.htmx and not request.htmx.history_restore_request:
        response = HttpResponse(results_html)
    else:
        context = {
            "results_html": results_html,
            "for_patient": for_patient,
            "query": query,
            "specialty_id": specialty_id,
            "specialties": Specialty.objects.all(),
        }
        response = render(request, "scheduling/directory.html", context)
    # The same URL answers both: caches must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def doctor_detail(request, doctor_id):
    books_own = request.user.is_authenticated and permissions.may_hold_appointments(request.user)
    booking_for, booking_days = None, []
    if permissions.may_book_for_others(request.user) and request.GET.get("patient"):
        booking_for = get_object_or_404(User, pk=parse_id(request.GET["patient"]), role=Role.PATIENT, is_active=True)
        # Forms with this visitor's CSRF token: built for them, never cached.
        booking_days = public_pages.slot_times_by_day(queries.open_slots_by_day(queries.doctor_or_404(doctor_id)))
    page = public_pages.doctor_page(doctor_id, slot_links=books_own or not request.user.is_authenticated)
    return render(
        request,
        "scheduling/doctor_detail.html",
        {
            "doctor_id": doctor_id,
            "page": page,
            "booking_days": booking_days,
            "booking_for": booking_for,
            "books_own": books_own,
        },
    )


def _refusal(request, error, status):
    return render(request, "scheduling/refused.html", {"message": error.message}, status=status)


@require_http_methods(["GET", "POST"])
@role_required(Role.PATIENT)
def book(request, slot_id):
    """The confirmation page of a chosen time (GET), and the booking itself (POST, with an optional reason)."""
    form = BookingForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        return _book(request, slot_id, reason=form.cleaned_data["reason"])
    slot = queries.slot_to_book(slot_id)
    refusal = queries.booking_refusal(request.user, slot)
    if isinstance(refusal, AlreadyBookedByYou):
        messages.info(request, refusal.message)
        return redirect("scheduling:appointments")
    if refusal is not None:
        return _refusal(request, refusal, 409)
    return render(
        request,
        "scheduling/book.html",
        {
            "slot": slot,
            "doctor": slot.doctor,
            "form": form,
            "minutes": slot.minutes,
            "change_deadline": permissions.patient_change_deadline(slot.starts_at),
            "change_cutoff": permissions.patient_change_cutoff_text(),
            "maps_url": maps_url(clinic_details()),
        },
    )


def _book(request, slot_id, *, reason):
    # Before booking: the confirmation is written in the language of the page they book from.
    remember_language(request.user, translation.get_language())
    try:
        services.book_slot(patient=request.user, slot_id=slot_id, reason=reason)
    except AlreadyBookedByYou as error:
        messages.info(request, error.message)
        return redirect("scheduling:appointments")
    except SchedulingError as error:
        # Taken, busy, in the past, overlapping: the slot is not yours, and the page says why.
        return _refusal(request, error, 409)
    messages.success(request, _("Your appointment is booked. We have sent you a confirmation email."))
    return redirect("scheduling:appointments")


@require_POST
@role_required(Role.RECEPTION, Role.ADMIN)
def book_for_patient(request, slot_id):
    patient = get_object_or_404(User, pk=parse_id(request.POST.get("patient")), role=Role.PATIENT)
    try:
        appointment = services.book_slot(patient=patient, slot_id=slot_id, booked_by=request.user)
    except SchedulingError as error:
        return render(request, "scheduling/refused.html", {"message": error.message_for_staff()}, status=409)
    messages.success(request, _("Booked for %(name)s.") % {"name": patient.get_full_name()})
    return redirect(desk_day_url(timezone.localdate(appointment.starts_at), patient_id=patient.pk))


@require_GET
@role_required(Role.PATIENT, Role.DOCTOR, Role.RECEPTION, Role.ADMIN)
def appointments(request):
    if request.user.role == Role.PATIENT:
        past = Paginator(queries.past_appointments(request.user), PAST_APPOINTMENTS_PER_PAGE).get_page(
            request.GET.get("page")
        )
        return render(
            request,
            "scheduling/patient_appointments.html",
            {
                "upcoming": Paginator(
                    queries.upcoming_appointments(request.user), UPCOMING_APPOINTMENTS_PER_PAGE
                ).get_page(request.GET.get("upcoming")),
                "past": past,
            },
        )
    if request.user.role == Role.DOCTOR:
        return doctor_views.agenda(request)
    form = AgendaForm(request.GET or None)
    form.first_day_and_length()
    # Reception and admins run the day from the desk.
    return redirect(desk_day_url(form.cleaned_data.get("day") if form.is_valid() else None))


def _appointment_action(request, appointment_id, action, done_message, **audit_context):
    appointment = queries.appointment_for(request.user, appointment_id)
    try:
        action(appointment_id=appointment.pk, actor=request.user, **audit_context)
    except SchedulingError as error:
        messages.error(request, permissions.refusal_text(request.user, error))
    else:
        messages.success(request, done_message % {"patient": appointment.patient.get_full_name()})
    return redirect(_safe_next(request))


def _safe_next(request):
    target = request.POST.get("next", "")
    # Only a path on this site: redirect() would read anything else ("home", "²") as a view name.
    is_local = target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if is_local:
        return target
    return reverse("scheduling:appointments")


@require_POST
@role_required(Role.PATIENT, Role.DOCTOR, Role.RECEPTION, Role.ADMIN)
def cancel(request, appointment_id):
    if permissions.may_book_for_others(request.user):
        done = _("The appointment of %(patient)s was cancelled.")
    else:
        done = _("The appointment was cancelled.")
    return _appointment_action(request, appointment_id, services.cancel_appointment, done)


@require_POST
@role_required(Role.DOCTOR, Role.RECEPTION, Role.ADMIN)
def no_show(request, appointment_id):
    return _appointment_action(
        request,
        appointment_id,
        services.mark_no_show,
        _("%(patient)s is recorded as a no-show."),
        ip_address=audit.client_address(request),
    )


@require_POST
@role_required(Role.DOCTOR, Role.RECEPTION, Role.ADMIN)
def revert_no_show(request, appointment_id):
    return _appointment_action(
        request,
        appointment_id,
        services.revert_no_show,
        _("The no-show was undone: the appointment is scheduled again."),
        ip_address=audit.client_address(request),
    )


@require_POST
@role_required(Role.RECEPTION, Role.ADMIN)
def check_in(request, appointment_id):
    return _appointment_action(request, appointment_id, services.check_in, _("%(patient)s is checked in."))


@require_http_methods(["GET", "POST"])
@role_required(Role.PATIENT, Role.RECEPTION, Role.ADMIN)
def reschedule(request, appointment_id):
    appointment = queries.appointment_for(request.user, appointment_id)
    refusal = permissions.move_refusal(request.user, appointment)
    if request.method == "GET" and refusal is not None:
        # Cancelled, under way, past the cut-off: say so rather than offer slots it cannot move to.
        messages.error(request, refusal.message)
        return redirect("scheduling:appointments")
    form = RescheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reschedule_appointment(
                appointment_id=appointment.pk, new_slot_id=form.cleaned_data["slot"], actor=request.user
            )
        except SchedulingError as error:
            messages.error(request, permissions.refusal_text(request.user, error))
        else:
            messages.success(request, _("The appointment was moved."))
            return redirect("scheduling:appointments")
    return render(
        request,
        "scheduling/reschedule.html",
        {
            "appointment": appointment,
            "days": queries.open_slots_by_day(appointment.doctor, exclude_slot_id=appointment.slot_id),
        },
    )


def _calendar_response(content, *, filename):
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@role_required(Role.PATIENT, Role.DOCTOR, Role.RECEPTION, Role.ADMIN)
def appointment_calendar(request, appointment_id):
    appointment = queries.appointment_for(request.user, appointment_id)
    if not permissions.may_download_calendar(request.user, appointment):
        raise PermissionDenied
    if request.user.pk == appointment.doctor_id:
        name = _("Appointment with %(patient)s") % {"patient": appointment.patient.get_full_name()}
        content = calendar.agenda_calendar([appointment], name=name)
    else:
        content = calendar.appointment_calendar(appointment)
    return _calendar_response(content, filename=f"appointment-{appointment.pk}.ics")


@require_GET
def calendar_feed(request, token):
    """A doctor's agenda for calendar apps: no login, the unguessable token is the key."""
    doctor = queries.feed_doctor(token)
    if doctor is None:
        raise Http404
    with translation.override(doctor.language):
        content = calendar.agenda_calendar(
            queries.feed_appointments(doctor), name=_("Medly: %(doctor)s") % {"doctor": doctor.get_full_name()}
        )
    return _calendar_response(content, filename="medly-agenda.ics")


def _refuse_unless_feed_allowed(user):
    if not permissions.may_have_calendar_feed(user):
        raise PermissionDenied


@require_POST
@role_required(Role.DOCTOR)
def new_calendar_feed(request):
    _refuse_unless_feed_allowed(request.user)
    new_calendar_token(request.user)
    messages.success(request, _("Your calendar has a new private address; the old one no longer works."))
    return redirect("scheduling:appointments")


@require_POST
@role_required(Role.DOCTOR)
def revoke_calendar_feed(request):
    _refuse_unless_feed_allowed(request.user)
    revoke_calendar_token(request.user)
    messages.success(request, _("Your calendar's private address no longer works."))
    return redirect("scheduling:appointments")
