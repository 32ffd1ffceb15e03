"""The first history's pages (historia clínica, NOM-004 6.1): filled once, then amended by addenda.

The record pages show it (records/views.py); these are the doctor's pages that write it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from records import audit, permissions, queries, repository, services
from records.history_forms import (
    HistoryAddendumForm,
    HistoryForm,
    gyneco_obstetric_applies,
    history_content,
    history_display,
    new_history_addendum_form,
)
from records.views import patient_allowed_by

ALREADY_FILLED = gettext_lazy(
    "This patient's clinical history is already filled in, and it is never filled in again. "
    "To correct or update it, add an addendum below."
)


def _history_section(patient):
    return f"{reverse('records:patient_record', args=[patient.pk])}#history"


def _audit_view(request, patient, *, filled):
    audit.record(
        user=request.user,
        action=audit.HISTORY_VIEW,
        patient_id=patient.pk,
        ip_address=audit.client_address(request),
        filled=filled,
    )


def _record_of(patient):
    return repository.get_patient_record(patient_id=patient.pk) or queries.pending_record(patient.pk) or {}


def _filled_page(request, patient, history, *, refused=False):
    """The history as filled, with the addendum form: what a second fill gets instead."""
    _audit_view(request, patient, filled=True)
    if refused:
        messages.error(request, ALREADY_FILLED)
    return render(
        request,
        "records/history_filled.html",
        {
            "patient": patient,
            "record": _record_of(patient),
            "history": permissions.name_note_authors(history),
            "history_sections": history_display(history),
            "rights": permissions.RecordRights(read=True, edit=True),
            "history_addendum_form": new_history_addendum_form(),
        },
        status=409 if refused else 200,
    )


def _form_page(request, patient, form, *, status=200):
    _audit_view(request, patient, filled=False)
    return render(
        request,
        "records/history_form.html",
        {"patient": patient, "record": _record_of(patient), "form": form},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def history(request, patient_id):
    patient = patient_allowed_by(permissions.may_write_history, request, patient_id)
    if request.method == "GET":
        existing = repository.get_history(patient_id=patient.pk)
        if existing is not None:
            return _filled_page(request, patient, existing)
        form = HistoryForm(
            gyneco_obstetric=gyneco_obstetric_applies(patient), initial={"history_id": repository.new_history_id()}
        )
        return _form_page(request, patient, form)
    form = HistoryForm(request.POST, gyneco_obstetric=gyneco_obstetric_applies(patient))
    if not form.is_valid():
        return _form_page(request, patient, form)
    try:
        written = services.fill_history(
            doctor=request.user,
            patient_id=patient.pk,
            history_id=form.cleaned_data["history_id"] or repository.new_history_id(),
            history=history_content(form),
            ip_address=audit.client_address(request),
        )
        if not written:
            messages.info(request, _("This clinical history was already saved."))
            return redirect(_history_section(patient))
    except services.HistoryExists:
        return _filled_page(request, patient, repository.get_history(patient_id=patient.pk), refused=True)
    except repository.RecordsUnavailable:
        # The doctor's typed history stays on the page to send again once the store answers.
        form.add_error(
            None,
            _(
                "The records store is not answering right now, so the clinical history was not saved. "
                "Everything you typed is below: please press Save again in a moment."
            ),
        )
        return render(
            request,
            "records/history_form.html",
            {"patient": patient, "record_unavailable": True, "form": form},
            status=503,
        )
    messages.success(request, _("The clinical history is saved in the patient's record."))
    return redirect(_history_section(patient))


@require_POST
@login_required
def add_history_addendum(request, patient_id):
    patient = patient_allowed_by(permissions.may_write_history, request, patient_id)
    form = HistoryAddendumForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("An addendum needs a reason and a text."))
        return redirect(_history_section(patient))
    try:
        added = services.add_history_addendum(
            doctor=request.user,
            patient_id=patient.pk,
            addendum_id=form.cleaned_data["addendum_id"] or repository.new_history_id(),
            reason=form.cleaned_data["reason"],
            text=form.cleaned_data["text"],
            ip_address=audit.client_address(request),
        )
    except services.HistoryNotFilled:
        messages.error(request, _("This patient's clinical history is not filled in yet: fill it in first."))
        return redirect("records:history", patient_id=patient.pk)
    if added:
        messages.success(request, _("Addendum added to the clinical history."))
    else:
        messages.info(request, _("This addendum was already added."))
    return redirect(_history_section(patient))
