"""The reception desk: the day per doctor, the waiting room, walk-in registration, booking for a patient."""

from datetime import timedelta

from django.contrib import messages
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.exceptions import NotAllowed
from accounts.permissions import role_required
from accounts.services import register_patient as register_patient_service
from accounts.services import supported_language
from desk import queries
from desk.forms import BookingSearchForm, DeskBookingForm, DeskDayForm, WalkInForm
from desk.links import desk_booking_url, desk_day_url
from desk.permissions import DESK_ROLES
from medly.client import client_ip
from scheduling import permissions as scheduling_permissions
from scheduling import services as scheduling_services
from scheduling.exceptions import SchedulingError
from scheduling.queries import appointment_for


def desk_context(day_form, *, now=None):
    """What the desk shows (also the reception home): the day's columns and waiting room."""
    day = day_form.day()
    return {
        "day_form": day_form,
        "desk": queries.desk_day(day, now=now),
        "picked_patient_id": day_form.patient_id(),
        "previous_day": desk_day_url(day - timedelta(days=1)),
        "next_day": desk_day_url(day + timedelta(days=1)),
        "today_url": desk_day_url(),
    }


@require_GET
@role_required(*DESK_ROLES)
def day(request):
    form = DeskDayForm(request.GET or None)
    return render(request, "desk/day.html", desk_context(form))


@require_http_methods(["GET", "POST"])
@role_required(*DESK_ROLES)
def register_patient(request):
    form = WalkInForm(request.POST or None, initial={"language": supported_language(translation.get_language())})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            patient = register_patient_service(
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                date_of_birth=data["date_of_birth"],
                sex=data["sex"],
                curp=data["curp"],
                phone=data["phone"],
                blood_type=data["blood_type"],
                allergies=data["allergies"],
                ip_address=client_ip(request),
                registered_by=request.user,
                privacy_notice_given=data["privacy_notice_given"],
                language=data["language"] or translation.get_language(),
            )
        except IntegrityError:
            # Someone registered the same email or CURP between the form's check and the insert.
            form.add_error(None, _("A patient with this email or CURP was registered meanwhile. Search for them."))
        except NotAllowed as error:
            form.add_error(None, str(error))
        else:
            name = patient.get_full_name()
            if patient.email:
                done = _("%(name)s is registered. We have emailed them a link to choose a password.")
            else:
                done = _("%(name)s is registered (without email, so they cannot sign in online).")
            messages.success(request, done % {"name": name})
            return redirect(desk_booking_url(patient_id=patient.pk))
    return render(request, "desk/register_patient.html", {"form": form})


@require_http_methods(["GET", "POST"])
@role_required(*DESK_ROLES)
def book(request):
    search = BookingSearchForm(request.GET)
    booking = DeskBookingForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if booking.is_valid():
            patient = _patient_or_404(booking.cleaned_data["patient"])
            try:
                appointment = scheduling_services.book_slot(
                    patient=patient,
                    slot_id=booking.cleaned_data["slot"],
                    booked_by=request.user,
                    reason=booking.cleaned_data["reason"],
                )
            except SchedulingError as error:
                booking.add_error(None, error.message_for_staff())
                status = 409
            else:
                starts_at = timezone.localtime(appointment.starts_at)
                messages.success(
                    request,
                    _("Booked for %(patient)s: %(date)s at %(time)s with %(doctor)s.")
                    % {
                        "patient": patient.get_full_name(),
                        "date": date_format(starts_at, "l j F"),
                        "time": date_format(starts_at, "H:i"),
                        "doctor": appointment.doctor.get_full_name(),
                    },
                )
                return redirect(desk_day_url(starts_at.date(), patient_id=patient.pk))
        else:
            status = 400
    context = _booking_context(search, booking)
    return render(request, "desk/book.html", context, status=status)


def _patient_or_404(patient_id):
    patient = queries.patient_for_desk(patient_id)
    if patient is None:
        raise Http404
    return patient


def _booking_context(search, booking):
    patient_id = search.value("patient") or (booking.cleaned_data.get("patient") if booking.is_bound else None)
    patient = _patient_or_404(patient_id) if patient_id else None
    query = search.value("q") or ""
    doctors = queries.bookable_doctors() if patient is not None else []
    doctor_id = search.value("doctor")
    doctor = next((doctor for doctor in doctors if doctor.pk == doctor_id), None)
    day = search.value("date") or timezone.localdate()
    slots, next_day = [], None
    if patient is not None and doctor is not None:
        slots = queries.free_slots(doctor.pk, day)
        if not slots:
            next_day = queries.next_free_day(doctor.pk, day)
    return {
        "search": search,
        "booking": booking,
        "query": query,
        "found": queries.search_patients(query) if query and patient is None else [],
        "patient": patient,
        "doctors": doctors,
        "doctor": doctor,
        "doctor_id": doctor_id,
        "day": day,
        "slots": slots,
        "next_day": next_day,
        "next_day_url": next_day and desk_booking_url(patient_id=patient.pk, doctor_id=doctor.pk, day=next_day),
    }


CONFIRMATIONS = {
    "check_in": {
        "rule": scheduling_permissions.check_in_refusal,
        "action": "scheduling:check_in",
        "template": "desk/confirm_check_in.html",
    },
    "no_show": {
        "rule": scheduling_permissions.no_show_refusal,
        "action": "scheduling:no_show",
        "template": "desk/confirm_no_show.html",
    },
    "cancel": {
        "rule": scheduling_permissions.cancel_refusal,
        "action": "scheduling:cancel",
        "template": "desk/confirm_cancel.html",
    },
}


def _confirm(request, appointment_id, name):
    """The confirmation step of a desk action: the page names patient, doctor and time, its form posts the action.

    Works without JavaScript; the POST route and its service decide again, so a second
    receptionist who got there first is reported, not overwritten.
    """
    appointment = appointment_for(request.user, appointment_id)
    confirmation = CONFIRMATIONS[name]
    refusal = confirmation["rule"](request.user, appointment)
    back = desk_day_url(timezone.localdate(appointment.starts_at), patient_id=appointment.patient_id)
    return render(
        request,
        confirmation["template"],
        {
            "appointment": appointment,
            "refusal": refusal and refusal.message_for_staff(),
            "action": confirmation["action"],
            "back": back,
        },
    )


@require_GET
@role_required(*DESK_ROLES)
def confirm_check_in(request, appointment_id):
    return _confirm(request, appointment_id, "check_in")


@require_GET
@role_required(*DESK_ROLES)
def confirm_no_show(request, appointment_id):
    return _confirm(request, appointment_id, "no_show")


@require_GET
@role_required(*DESK_ROLES)
def confirm_cancel(request, appointment_id):
    return _confirm(request, appointment_id, "cancel")
