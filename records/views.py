from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role, User
from accounts.permissions import role_required
from medly.parsing import parse_int
from records import audit, coordinator, queries, repository, services
from records.forms import AddendumForm, ConsultationForm, PrescriptionFormSet, RecordForm, consultation_payload
from records.models import ClinicDetails
from scheduling.models import Appointment

ENCOUNTERS_PER_PAGE = 10
PATIENTS_PER_PAGE = 20


def _deny(request, patient_id):
    audit.record(
        user=request.user, action=audit.ACCESS_DENIED, patient_id=patient_id,
        ip_address=audit.client_address(request), path=request.path,
    )
    raise PermissionDenied


def _roles(*roles):
    """role_required, but a logged-in user with another role is refused with an audit event."""

    def decorator(view):
        checked = role_required(*roles)(view)

        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.user.is_authenticated and request.user.role not in roles:
                _deny(request, _patient_named_by(kwargs))
            return checked(request, *args, **kwargs)

        return wrapper

    return decorator


def _patient_named_by(url_kwargs):
    if "patient_id" in url_kwargs:
        return User.objects.filter(pk=url_kwargs["patient_id"], role=Role.PATIENT).values_list("pk", flat=True).first()
    if "appointment_id" in url_kwargs:
        return Appointment.objects.filter(pk=url_kwargs["appointment_id"]).values_list("patient_id", flat=True).first()
    return None


def _readable_patient(request, patient_id):
    patient = queries.patient_or_404(patient_id)
    if not queries.may_read_record(request.user, patient.pk):
        _deny(request, patient.pk)
    return patient


@require_http_methods(["GET", "POST"])
@_roles(Role.DOCTOR)
def consultation(request, appointment_id):
    appointment = (
        Appointment.objects.select_related("patient__patient_profile").filter(pk=appointment_id).first()
    )
    if appointment is None:
        raise Http404
    if appointment.doctor_id != request.user.pk:
        _deny(request, appointment.patient_id)
    if appointment.status != "scheduled":
        messages.info(request, _("This consultation is already closed."))
        return redirect("records:patient_record", patient_id=appointment.patient_id)
    try:
        record = (
            repository.get_patient_record(patient_id=appointment.patient_id)
            or queries.pending_record(appointment.patient_id)
            or {}
        )
    except repository.RecordsUnavailable:
        # The note can still be closed into the operation log; only the allergy check is blind.
        record = None
    data = request.POST or None
    adding_line = bool(data and data.get("add_line"))
    if adding_line:
        data = data.copy()
        data["rx-TOTAL_FORMS"] = str(min(parse_int(data.get("rx-TOTAL_FORMS"), default=0) + 1, 30))
    form = ConsultationForm(data)
    prescription = PrescriptionFormSet(data, prefix="rx")
    warnings = []
    if adding_line:
        # Only a redraw with one more line: no complaints about fields not filled in yet.
        form.errors.clear()
        for line in prescription:
            line.errors.clear()
    elif data and form.is_valid() and prescription.is_valid():
        payload = consultation_payload(form, prescription)
        if record is None:
            unchecked = [(line["drug"], None) for line in payload["prescription"]]
        else:
            unchecked = services.allergy_warnings(payload["prescription"], record.get("allergies", []))
        if not unchecked or request.POST.get("confirm_allergy"):
            return _close(request, appointment, payload, form, prescription, record)
        warnings = unchecked
    return _consultation_page(request, appointment, record, form, prescription, warnings)


def _consultation_page(request, appointment, record, form, prescription, warnings):
    audit.record(
        user=request.user, action=audit.RECORD_VIEW, patient_id=appointment.patient_id,
        ip_address=audit.client_address(request), page="consultation",
    )
    return render(request, "records/consultation.html", {
        "appointment": appointment, "patient": appointment.patient, "record": record or {},
        "record_unavailable": record is None, "form": form, "prescription": prescription,
        "allergy_warnings": warnings,
    })


def _close(request, appointment, payload, form, prescription, record):
    try:
        result = coordinator.close_consultation(
            appointment_id=appointment.pk, doctor=request.user, payload=payload,
            ip_address=audit.client_address(request),
        )
    except coordinator.ConsultationNotOpen:
        messages.info(request, _("This consultation is already closed."))
    except coordinator.ConsultationRejected:
        messages.error(request, _("The records store refused this note. Nothing was saved; please check it."))
        return _consultation_page(request, appointment, record, form, prescription, [])
    else:
        if result.finished:
            messages.success(request, _("The consultation is closed and in the patient's record."))
        else:
            messages.warning(request, _(
                "Your note is saved safely. The records store is not answering right now, so it will appear "
                "in the record as soon as the store is back; the appointment shows as closing until then."
            ))
            # The record page needs the records store; the agenda shows the appointment as closing.
            day = timezone.localtime(appointment.starts_at).date().isoformat()
            return redirect(f"{reverse('scheduling:appointments')}?{urlencode({'day': day})}")
    return redirect("records:patient_record", patient_id=appointment.patient_id)


@require_GET
@_roles(Role.DOCTOR, Role.ADMIN)
def patient_list(request):
    query = request.GET.get("q", "").strip()[:100]
    page = Paginator(queries.patients_for(request.user, query=query), PATIENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "records/patient_list.html", {"page": page, "query": query})


@require_GET
@role_required(Role.DOCTOR, Role.ADMIN, Role.PATIENT, Role.RECEPTION)
def patient_record(request, patient_id):
    return _record_page(request, _readable_patient(request, patient_id))


@require_GET
@_roles(Role.PATIENT)
def my_record(request):
    return _record_page(request, queries.patient_or_404(request.user.pk))


def _record_page(request, patient):
    record = repository.get_patient_record(patient_id=patient.pk) or queries.pending_record(patient.pk) or {}
    page_number = _page_number(request)
    total, encounters = repository.list_encounters(
        patient_id=patient.pk, offset=(page_number - 1) * ENCOUNTERS_PER_PAGE, limit=ENCOUNTERS_PER_PAGE
    )
    audit.record(
        user=request.user, action=audit.RECORD_VIEW, patient_id=patient.pk,
        ip_address=audit.client_address(request), page=page_number,
    )
    pages = max(1, -(-total // ENCOUNTERS_PER_PAGE))
    can_write = queries.may_write_record(request.user, patient.pk)
    for encounter in encounters if can_write else []:
        # One form per encounter, with ids of its own so each label points at its own field.
        encounter["addendum_form"] = AddendumForm(
            auto_id=f"id_{encounter['id']}_%s", initial={"addendum_id": repository.new_encounter_id()}
        )
    return render(request, "records/record.html", {
        "patient": patient,
        "record": record,
        "encounters": encounters,
        "pending": queries.pending_encounters(patient.pk) if page_number == 1 else [],
        "page_number": page_number,
        "pages": pages,
        "clinic": ClinicDetails.current(),
        "can_write": can_write,
        "record_form": RecordForm(initial={
            "blood_type": record.get("blood_type", ""), "allergies": ", ".join(record.get("allergies", [])),
        }),
    })


def _page_number(request):
    return parse_int(request.GET.get("page"), default=1, minimum=1, maximum=9_999)


@require_POST
@_roles(Role.DOCTOR)
def update_record(request, patient_id):
    patient = _readable_patient(request, patient_id)
    form = RecordForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("records:patient_record", patient_id=patient.pk)
    try:
        services.update_blood_type_and_allergies(
            doctor=request.user, patient_id=patient.pk, blood_type=form.cleaned_data["blood_type"],
            allergies=form.cleaned_data["allergies"], reason=form.cleaned_data["reason"],
            ip_address=audit.client_address(request),
        )
    except services.RecordNotReady:
        messages.error(request, _("This patient's record is not in the records store yet. Please try again shortly."))
        return redirect("records:patient_record", patient_id=patient.pk)
    messages.success(request, _("Blood type and allergies updated."))
    return redirect("records:patient_record", patient_id=patient.pk)


@require_POST
@_roles(Role.DOCTOR)
def add_addendum(request, patient_id, encounter_id):
    patient = _readable_patient(request, patient_id)
    encounter = repository.get_encounter(encounter_id=encounter_id, patient_id=patient.pk)
    if encounter is None or encounter["state"] != "final":
        raise Http404
    form = AddendumForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("An addendum needs a reason and a text."))
        return redirect("records:patient_record", patient_id=patient.pk)
    addendum_id = form.cleaned_data["addendum_id"] or repository.new_encounter_id()
    added = services.add_addendum(
        doctor=request.user, patient_id=patient.pk, encounter_id=encounter_id, addendum_id=addendum_id,
        reason=form.cleaned_data["reason"], text=form.cleaned_data["text"], ip_address=audit.client_address(request),
    )
    if added:
        messages.success(request, _("Addendum added."))
    else:
        messages.info(request, _("This addendum was already added."))
    return redirect("records:patient_record", patient_id=patient.pk)


@require_GET
@role_required(Role.DOCTOR, Role.ADMIN, Role.PATIENT, Role.RECEPTION)
def prescription(request, patient_id, encounter_id):
    patient = _readable_patient(request, patient_id)
    encounter = repository.get_encounter(encounter_id=encounter_id, patient_id=patient.pk)
    if encounter is None or encounter["state"] != "final":
        raise Http404
    doctor = (
        Appointment.objects.select_related("doctor__doctor_profile")
        .prefetch_related("doctor__doctor_profile__specialties")
        .get(pk=encounter["appointment_id"])
        .doctor
    )
    audit.record(
        user=request.user, action=audit.PRESCRIPTION_PRINT, patient_id=patient.pk, encounter_id=encounter_id,
        ip_address=audit.client_address(request),
    )
    return render(request, "records/prescription.html", {
        "patient": patient, "encounter": encounter, "doctor": doctor, "clinic": ClinicDetails.current(),
    })
