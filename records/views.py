from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import OperationalError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role
from accounts.permissions import role_required
from medly.parsing import parse_int
from records import (
    audit,
    coordinator,
    export,
    fhir,
    integrity,
    paging,
    permissions,
    prescription_rules,
    queries,
    repository,
    services,
)
from records.allergy_override import AllergyOverrideForm
from records.forms import (
    OPTIONAL_LINE_FIELDS,
    AddendumForm,
    ConsultationForm,
    PrescriptionFormSet,
    RecordForm,
    consultation_payload,
)
from records.history_forms import history_display, new_history_addendum_form
from records.models import ClinicDetails
from scheduling import services as scheduling_services
from scheduling.exceptions import SchedulingError
from scheduling.models import Appointment, AppointmentStatus

ENCOUNTERS_PER_PAGE = 10
PATIENTS_PER_PAGE = 20


def _deny(request, patient_id):
    audit.record(
        user=request.user,
        action=audit.ACCESS_DENIED,
        patient_id=patient_id,
        ip_address=audit.client_address(request),
        path=request.path,
    )
    raise PermissionDenied


def _audit_refusal(request, url_kwargs):
    """role_required's refusal on the routes that name no patient (the list, one's own record)."""
    audit.record(
        user=request.user,
        action=audit.ACCESS_DENIED,
        ip_address=audit.client_address(request),
        path=request.path,
    )


def patient_allowed_by(rule, request, patient_id):
    """The patient named by the URL (404 if none), if ``rule(user, patient_id)`` allows it; else an audited 403."""
    patient = queries.patient_or_404(patient_id)
    if not rule(request.user, patient.pk):
        _deny(request, patient.pk)
    return patient


@require_http_methods(["GET", "POST"])
@login_required
def consultation(request, appointment_id):
    appointment = Appointment.objects.select_related("patient__patient_profile").filter(pk=appointment_id).first()
    if appointment is None:
        raise Http404
    if not permissions.may_open_consultation(request.user, appointment):
        _deny(request, appointment.patient_id)
    if request.method == "GET":
        if appointment.status == AppointmentStatus.SCHEDULED and appointment.consultation_opened_at is None:
            appointment = _record_opening(request, appointment)
        if appointment.status != AppointmentStatus.SCHEDULED:
            return _not_open(request, appointment)
    record = _record_or_none(appointment.patient_id)
    data = request.POST or None
    redraw = _redraw_action(data)
    if redraw == "add_line":
        data = data.copy()
        data["rx-TOTAL_FORMS"] = str(min(parse_int(data.get("rx-TOTAL_FORMS"), default=0) + 1, 30))
    elif redraw == "choose_cie10":
        data = _with_chosen_code(data)
    visit_day = timezone.localtime(appointment.starts_at).date()
    form = ConsultationForm(data, visit_day=visit_day, today=timezone.localdate())
    prescription = PrescriptionFormSet(data, prefix="rx")
    page = _ConsultationPage(request, appointment, record, form, prescription)
    # Whatever stops the close, the doctor's note is drawn again with the reason: never lost to a redirect.
    page.refusal = _Refusal.for_status(appointment.status) if request.method == "POST" else None
    if redraw:
        # Only a redraw (one more line, a catalogue search, back from the review): no complaints yet.
        form.is_valid()
        form.errors.clear()
        for line in prescription:
            line.errors.clear()
        if redraw == "search_cie10":
            page.cie10_results = queries.search_cie10(form.cleaned_data.get("cie10_query", ""))
            page.cie10_searched = True
        return page.render()
    if data and form.is_valid() and prescription.is_valid() and page.refusal is None:
        payload = consultation_payload(form, prescription)
        allergies = None if record is None else record.get("allergies", [])
        warnings = services.allergy_warnings(payload["prescription"], allergies)
        page.override = AllergyOverrideForm(request.POST, appointment_id=appointment.pk, warnings=warnings)
        if warnings and not page.override.is_valid():
            page.warnings = warnings
            return page.render()
        if warnings:
            payload["allergy_override"] = page.override.stored(by=request.user)
        if request.POST.get("review"):
            page.review = payload
            return page.render()
        return _close(page, payload)
    return page.render()


REDRAW_ACTIONS = ("add_line", "search_cie10", "choose_cie10", "edit")


def _redraw_action(data):
    """Which button asked only to draw the form again (not to close it), if any."""
    if not data:
        return None
    return next((action for action in REDRAW_ACTIONS if data.get(action)), None)


def _with_chosen_code(data):
    """The form with the catalogue code the doctor chose; an empty diagnosis takes the code's description."""
    data = data.copy()
    entry = queries.cie10_code(data.get("choose_cie10", ""))
    if entry is not None:
        data["diagnosis_code"] = entry.code
        if not data.get("diagnosis", "").strip():
            data["diagnosis"] = entry.description
    return data


def _record_or_none(patient_id):
    try:
        return repository.get_patient_record(patient_id=patient_id) or queries.pending_record(patient_id) or {}
    except repository.RecordsUnavailable:
        # The note can still be closed into the operation log; only the allergy check is blind.
        return None


def _record_opening(request, appointment):
    try:
        opened = scheduling_services.open_consultation(appointment_id=appointment.pk, doctor=request.user)
    except SchedulingError:
        # Busy for a moment: the page still opens; the next visit records the opening.
        return appointment
    opened.patient = appointment.patient
    return opened


@dataclass(frozen=True)
class _Refusal:
    """Why the consultation page could not close the note; ``closed`` when another submit already did."""

    message: str
    closed: bool = False

    @classmethod
    def for_status(cls, status):
        """None while the appointment is scheduled; otherwise why a close cannot happen now."""
        if status == AppointmentStatus.SCHEDULED:
            return None
        return cls(_why_not_open(status), closed=status in (AppointmentStatus.CLOSING, AppointmentStatus.COMPLETED))


def _why_not_open(status):
    if status in (AppointmentStatus.CLOSING, AppointmentStatus.COMPLETED):
        return _(
            "This consultation is already closed, from another tab or window. The note below was not saved "
            "again: the record keeps the one closed first. Copy anything you still need into an addendum."
        )
    if status == AppointmentStatus.NO_SHOW:
        return _(
            "This appointment has been marked as a no-show, so the note below was not saved. If the patient "
            "did come, undo the no-show from your agenda (in another tab) and press Close again."
        )
    if status == AppointmentStatus.CANCELLED:
        return _(
            "This appointment has been cancelled, so the note below was not saved. Copy anything you need "
            "before leaving this page."
        )
    return _("This consultation can no longer be closed, so the note below was not saved.")


def _not_open(request, appointment):
    """A GET of a consultation that is not open: nothing was typed yet, so say why and go where it can be seen."""
    if appointment.status == AppointmentStatus.COMPLETED:
        messages.info(request, _("This consultation is already closed."))
        return redirect("records:patient_record", patient_id=appointment.patient_id)
    reasons = {
        AppointmentStatus.CLOSING: _("This consultation is already closed."),
        AppointmentStatus.NO_SHOW: _(
            "This appointment is marked as a no-show. If the patient did come, undo the no-show first."
        ),
        AppointmentStatus.CANCELLED: _("This appointment was cancelled."),
    }
    messages.info(request, reasons.get(appointment.status, _("This consultation can no longer be opened.")))
    day = timezone.localtime(appointment.starts_at).date().isoformat()
    return redirect(f"{reverse('scheduling:appointments')}?{urlencode({'day': day})}")


LAST_VISITS = 3


class _ConsultationPage:
    """The consultation page as drawn: the form, and whatever the doctor must see beside it."""

    def __init__(self, request, appointment, record, form, prescription):
        self.request, self.appointment, self.record = request, appointment, record
        self.form, self.prescription = form, prescription
        self.warnings, self.refusal, self.review, self.override = [], None, None, None
        self.cie10_results, self.cie10_searched = [], False

    def render(self):
        request, appointment, form = self.request, self.appointment, self.form
        audit.record(
            user=request.user,
            action=audit.RECORD_VIEW,
            patient_id=appointment.patient_id,
            ip_address=audit.client_address(request),
            page="consultation",
        )
        return render(
            request,
            "records/consultation.html",
            {
                "appointment": appointment,
                "patient": appointment.patient,
                "record": self.record or {},
                "record_unavailable": self.record is None,
                "form": form,
                "prescription": self.prescription,
                "allergy_warnings": self.warnings,
                "allergy_override": self.override,
                "special_form_drugs": prescription_rules.needs_special_form(
                    line["drug"].value() or "" for line in self.prescription
                ),
                "refusal": self.refusal,
                "review": self.review,
                "error_summary": error_summary(form, self.prescription),
                "last_visits": _last_visits(appointment.patient_id) if self.record is not None else None,
                "cie10_results": self.cie10_results,
                "cie10_searched": self.cie10_searched,
                "diagnosis_warnings": _diagnosis_warnings(form, appointment),
                "other_day": form.other_day,
                "visit_day": form.visit_day,
            },
        )


def _last_visits(patient_id):
    try:
        return repository.last_encounters(patient_id=patient_id, limit=LAST_VISITS)
    except repository.RecordsUnavailable:
        return None


def _diagnosis_warnings(form, appointment):
    """The catalogue's sex and age limits against this patient: a warning to read, never a refusal."""
    entry = form.cie10_entry
    if entry is None:
        return []
    return queries.diagnosis_fit_warnings(
        entry, getattr(appointment.patient, "patient_profile", None), on_day=form.visit_day
    )


def error_summary(form, prescription):
    """(anchor id or None, message) for every error on the page, in the order the fields appear."""
    if not form.is_bound:
        return []
    entries = [(None, error) for error in form.non_field_errors()]
    for field in form:
        entries += [(field.auto_id, f"{field.label}: {error}") for error in field.errors]
    entries += [("prescription", error) for error in prescription.non_form_errors()]
    for number, line in enumerate(prescription, start=1):
        empty = [
            field for field in line if field.name not in OPTIONAL_LINE_FIELDS and not str(field.value() or "").strip()
        ]
        first = (empty or list(line))[0]
        prefix = _("Prescription line %(number)s") % {"number": number}
        entries += [(first.auto_id, f"{prefix}: {error}") for error in line.non_field_errors()]
        for field in line:
            entries += [(field.auto_id, f"{prefix}, {field.label}: {error}") for error in field.errors]
    return entries


def _close(page, payload):
    request, appointment = page.request, page.appointment
    try:
        result = coordinator.close_consultation(
            appointment_id=appointment.pk,
            doctor=request.user,
            payload=payload,
            ip_address=audit.client_address(request),
        )
    except coordinator.ConsultationNotOpen as refused:
        # Changed under the doctor (a second tab, a no-show, a cancel): the page keeps what was typed.
        page.refusal = _Refusal.for_status(refused.status)
        return page.render()
    except coordinator.ConsultationRejected:
        page.refusal = _Refusal(_("The records store refused this note. Nothing was saved; please check it."))
        return page.render()
    except OperationalError:
        # A lock wait ran out or the database went away: the note stays on the page to send again.
        page.refusal = _Refusal(
            _(
                "The database did not answer in time. Your note is below: press Close again (if it was saved "
                "meanwhile, this page will say so)."
            )
        )
        return page.render()
    special_form_drugs = prescription_rules.needs_special_form(line["drug"] for line in payload["prescription"])
    if special_form_drugs:
        messages.warning(
            request,
            _(
                "%(drugs)s will not be on the printed prescription: Fracción I controlled drugs need the special "
                "prescription form with a barcode (recetario especial con código de barras)."
            )
            % {"drugs": ", ".join(special_form_drugs)},
        )
    if result.finished:
        messages.success(request, _("The consultation is closed and in the patient's record."))
        return redirect("records:patient_record", patient_id=appointment.patient_id)
    messages.warning(
        request,
        _(
            "Your note is saved safely. The records store is not answering right now, so it will appear "
            "in the record as soon as the store is back; the appointment shows as closing until then."
        ),
    )
    # The record page needs the records store; the agenda shows the appointment as closing.
    day = timezone.localtime(appointment.starts_at).date().isoformat()
    return redirect(f"{reverse('scheduling:appointments')}?{urlencode({'day': day})}")


@require_GET
@role_required(Role.DOCTOR)
def cie10_search(request):
    """The catalogue's matches for ``?q=`` as an HTML fragment, for the consultation page's script."""
    query = request.GET.get("q", "")[:100]
    return render(
        request,
        "records/_cie10_results.html",
        {
            "cie10_results": queries.search_cie10(query),
            "cie10_searched": bool(query.strip()),
        },
    )


@require_GET
@role_required(Role.DOCTOR, Role.ADMIN, on_refusal=_audit_refusal)
def patient_list(request):
    query = request.GET.get("q", "").strip()[:100]
    page = Paginator(queries.patients_for(request.user, query=query), PATIENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "records/patient_list.html", {"page": page, "query": query})


@require_GET
@login_required
def patient_record(request, patient_id):
    patient = queries.patient_or_404(patient_id)
    rights = permissions.record_rights(request.user, patient.pk)
    if not rights.read:
        _deny(request, patient.pk)
    return _record_page(request, patient, rights)


@require_GET
@role_required(Role.PATIENT, on_refusal=_audit_refusal)
def my_record(request):
    patient = queries.patient_or_404(request.user.pk)
    return _record_page(request, patient, permissions.record_rights(request.user, patient.pk))


def _record_page(request, patient, rights):
    record = repository.get_patient_record(patient_id=patient.pk) or queries.pending_record(patient.pk) or {}
    page = _EncounterPage.read(request, patient.pk)
    history = repository.get_history(patient_id=patient.pk)
    audit.record(
        user=request.user,
        action=audit.RECORD_VIEW,
        patient_id=patient.pk,
        ip_address=audit.client_address(request),
        page=page.audit_label,
        history=history is not None,
    )
    encounters = page.encounters
    # Before the loop below adds display-only fields to the encounters it checks.
    chain_status = integrity.verify_record(patient.pk, shown=encounters)
    for encounter in encounters:
        permissions.name_note_authors(encounter)
        if rights.add_addendum:
            # One form per encounter, with ids of its own so each label points at its own field.
            encounter["addendum_form"] = AddendumForm(
                auto_id=f"id_{encounter['id']}_%s", initial={"addendum_id": repository.new_encounter_id()}
            )
    return render(
        request,
        "records/record.html",
        {
            "patient": patient,
            "record": record,
            "encounters": encounters,
            "pending": queries.pending_encounters(patient.pk) if page.newest else [],
            "newer_cursor": page.newer_cursor,
            "older_cursor": page.older_cursor,
            "clinic": ClinicDetails.current(),
            "history": permissions.name_note_authors(history) if history else None,
            "history_sections": history_display(history) if history else None,
            "rights": rights,
            "history_addendum_form": new_history_addendum_form() if history and rights.write_history else None,
            "export_links": _export_links(request.user, patient, rights),
            "chain_status": chain_status,
            "record_form": RecordForm(
                initial={
                    "blood_type": record.get("blood_type", ""),
                    "allergies": ", ".join(record.get("allergies", [])),
                    # A record still waiting in the log will be created as version 1 with these values.
                    "version": record.get("version", 1),
                }
            ),
        },
    )


@dataclass
class _EncounterPage:
    """One keyset page of the record's encounters (records/paging.py), and the cursors to the pages beside it."""

    encounters: list
    newest: bool
    older_cursor: str | None
    newer_cursor: str | None
    audit_label: str

    @classmethod
    def read(cls, request, patient_id):
        """The page ``?older=`` or ``?newer=`` names; the newest page for no cursor, a bad one, or one past the end."""
        older = paging.parse_cursor(request.GET.get("older"))
        newer = None if older else paging.parse_cursor(request.GET.get("newer"))
        if older or newer:
            encounters, more = repository.encounter_page(
                patient_id=patient_id, limit=ENCOUNTERS_PER_PAGE, older_than=older, newer_than=newer
            )
            # A page newer than the newest one is the newest page, with the consultations still waiting.
            if encounters and (older or more):
                has_older, has_newer = (more, True) if older else (True, more)
                label = request.GET["older"] if older else request.GET["newer"]
                return cls._around(encounters, has_older=has_older, has_newer=has_newer, newest=False, label=label)
        encounters, more = repository.encounter_page(patient_id=patient_id, limit=ENCOUNTERS_PER_PAGE)
        return cls._around(encounters, has_older=more, has_newer=False, newest=True, label="newest")

    @classmethod
    def _around(cls, encounters, *, has_older, has_newer, newest, label):
        return cls(
            encounters=encounters,
            newest=newest,
            older_cursor=paging.cursor_of(encounters[-1]) if has_older else None,
            newer_cursor=paging.cursor_of(encounters[0]) if has_newer else None,
            audit_label=label,
        )


def _export_links(user, patient, rights):
    """(JSON, FHIR) download addresses of the record for ``user``, or None when they may not export it."""
    if not rights.export:
        return None
    if user.pk == patient.pk:
        return reverse("records:my_export"), reverse("records:my_export_fhir")
    return (
        reverse("records:patient_export", args=[patient.pk]),
        reverse("records:patient_export_fhir", args=[patient.pk]),
    )


@require_POST
@login_required
def update_record(request, patient_id):
    patient = patient_allowed_by(permissions.may_edit_record, request, patient_id)
    form = RecordForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("records:patient_record", patient_id=patient.pk)
    try:
        services.update_blood_type_and_allergies(
            doctor=request.user,
            patient_id=patient.pk,
            blood_type=form.cleaned_data["blood_type"],
            allergies=form.cleaned_data["allergies"],
            version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
            ip_address=audit.client_address(request),
        )
    except services.RecordChanged as changed:
        messages.error(
            request,
            _(
                "Someone changed this record after you opened the page, so nothing was saved. It now reads: "
                "blood type %(blood_type)s; allergies: %(allergies)s. Please make your change again on these values."
            )
            % {
                "blood_type": changed.current.get("blood_type") or _("unknown"),
                "allergies": ", ".join(changed.current.get("allergies", [])) or _("none recorded"),
            },
        )
        return redirect("records:patient_record", patient_id=patient.pk)
    except services.RecordNotReady:
        messages.error(request, _("This patient's record is not in the records store yet. Please try again shortly."))
        return redirect("records:patient_record", patient_id=patient.pk)
    messages.success(request, _("Blood type and allergies updated."))
    return redirect("records:patient_record", patient_id=patient.pk)


@require_POST
@login_required
def add_addendum(request, patient_id, encounter_id):
    patient = patient_allowed_by(permissions.may_add_addendum, request, patient_id)
    encounter = repository.get_encounter(encounter_id=encounter_id, patient_id=patient.pk)
    if encounter is None or encounter["state"] != "final":
        raise Http404
    form = AddendumForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("An addendum needs a reason and a text."))
        return redirect("records:patient_record", patient_id=patient.pk)
    addendum_id = form.cleaned_data["addendum_id"] or repository.new_encounter_id()
    outcome = services.add_addendum(
        doctor=request.user,
        patient_id=patient.pk,
        encounter_id=encounter_id,
        addendum_id=addendum_id,
        reason=form.cleaned_data["reason"],
        text=form.cleaned_data["text"],
        ip_address=audit.client_address(request),
        note_author=encounter.get("author"),
    )
    if outcome == services.AddendumOutcome.ADDED:
        messages.success(request, _("Addendum added."))
    elif outcome == services.AddendumOutcome.WAITING:
        messages.warning(
            request,
            _(
                "Your addendum is saved safely. The records store is not answering right now, so it will appear "
                "under the note as soon as the store is back."
            ),
        )
    else:
        messages.info(request, _("This addendum was already added."))
    return redirect("records:patient_record", patient_id=patient.pk)


@require_GET
@login_required
def prescription(request, patient_id, encounter_id):
    patient = patient_allowed_by(permissions.may_read_record, request, patient_id)
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
        user=request.user,
        action=audit.PRESCRIPTION_PRINT,
        patient_id=patient.pk,
        encounter_id=encounter_id,
        ip_address=audit.client_address(request),
    )
    return render(
        request,
        "records/prescription.html",
        {
            "patient": patient,
            "encounter": encounter,
            "doctor": doctor,
            "clinic": ClinicDetails.current(),
            "printed": prescription_rules.printable(encounter["prescription"]),
        },
    )


EXPORT_FORMATS = {
    "json": ("application/json", "json"),
    "fhir": (fhir.CONTENT_TYPE, "fhir.json"),
}


def _export(request, patient, *, export_format, scope):
    """The download of ``patient``'s data, audited before it leaves (the audit row is part of the answer)."""
    copy = export.patient_copy(patient, scope=scope)
    body = export.as_json(copy) if export_format == "json" else fhir.as_json(copy)
    audit.record(
        user=request.user,
        action=audit.RECORD_EXPORT,
        patient_id=patient.pk,
        ip_address=audit.client_address(request),
        format=export_format,
        scope=scope,
    )
    content_type, extension = EXPORT_FORMATS[export_format]
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    filename = f"medly-patient-{patient.pk}-{timezone.localdate().isoformat()}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@role_required(Role.PATIENT, on_refusal=_audit_refusal)
def my_export(request, export_format):
    return _export(
        request, queries.patient_or_404(request.user.pk), export_format=export_format, scope=export.Scope.PATIENT
    )


@require_GET
@login_required
def patient_export(request, patient_id, export_format):
    patient = patient_allowed_by(permissions.may_export_record, request, patient_id)
    return _export(request, patient, export_format=export_format, scope=export.Scope.CLINICAL)
