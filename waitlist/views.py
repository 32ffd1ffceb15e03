from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Role
from accounts.permissions import role_required
from medly.parsing import parse_id
from scheduling.exceptions import SchedulingError
from scheduling.queries import doctor_or_404
from waitlist import queries, services
from waitlist.forms import JoinWaitlistForm
from waitlist.models import WaitlistOffer


@require_POST
@role_required(Role.PATIENT)
def join(request, doctor_id):
    doctor = doctor_or_404(doctor_id)
    form = JoinWaitlistForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("scheduling:doctor", doctor_id=doctor.pk)
    try:
        services.join_waitlist(patient=request.user, doctor_id=doctor.pk, **form.cleaned_data)
    except SchedulingError as error:
        messages.error(request, error.message)
        return redirect("scheduling:doctor", doctor_id=doctor.pk)
    messages.success(
        request,
        _("You are on the waitlist of %(doctor)s. We will email you when a matching slot frees up.")
        % {"doctor": doctor.get_full_name()},
    )
    return redirect("waitlist:mine")


@require_GET
@role_required(Role.PATIENT)
def mine(request):
    return render(
        request,
        "waitlist/mine.html",
        {
            "entries": queries.patient_entries(request.user),
            "offers": queries.open_offers(request.user),
        },
    )


@require_POST
@role_required(Role.PATIENT)
def accept(request, offer_id):
    try:
        services.accept_offer(patient=request.user, offer_id=offer_id)
    except WaitlistOffer.DoesNotExist as exc:
        raise Http404 from exc
    except SchedulingError as error:
        return render(request, "waitlist/refused.html", {"message": error.message}, status=409)
    messages.success(request, _("The slot is yours: your appointment is booked."))
    return redirect("scheduling:appointments")


@require_POST
@role_required(Role.PATIENT)
def decline(request, offer_id):
    try:
        services.decline_offer(patient=request.user, offer_id=offer_id)
    except WaitlistOffer.DoesNotExist as exc:
        raise Http404 from exc
    except SchedulingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("You declined the slot. You are still on the waitlist."))
    return redirect("waitlist:mine")


@require_POST
@role_required(Role.PATIENT)
def leave(request, entry_id):
    try:
        services.leave_waitlist(patient=request.user, entry_id=entry_id)
    except SchedulingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("You left the waitlist."))
    return redirect("waitlist:mine")


@require_GET
@role_required(Role.RECEPTION, Role.ADMIN)
def desk(request):
    doctors = queries.waitlist_doctors()
    doctor_id = parse_id(request.GET.get("doctor"))
    doctor = doctors.filter(pk=doctor_id).first() if doctor_id is not None else None
    if request.GET.get("doctor") and doctor is None:
        raise Http404
    return render(
        request,
        "waitlist/desk.html",
        {
            "doctors": doctors,
            "doctor": doctor,
            "entries": queries.doctor_queue(doctor) if doctor is not None else [],
        },
    )
