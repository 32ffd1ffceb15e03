"""Clinical writes to the records store alone (the record document, addenda), each audited.

Writes that span MySQL and MongoDB go through coordinator.py instead. These
write their audit event first, in a durable MySQL transaction of its own, and
only then MongoDB: a MySQL failure can stop the change but never leave it
unaudited. If the MongoDB write then does not happen, a follow-up event says
so (``*_not_written``), naming the first one.
"""

from django.db import transaction
from django.utils import timezone

from medly.text import fold_for_search
from records import audit, permissions, repository
from records.exceptions import HistoryExists, HistoryNotFilled, RecordChanged, RecordNotReady

__all__ = [
    "HistoryExists",
    "HistoryNotFilled",
    "RecordChanged",
    "RecordNotReady",
    "add_addendum",
    "add_history_addendum",
    "allergy_warnings",
    "fill_history",
    "update_blood_type_and_allergies",
]


def allergy_warnings(prescription, allergies):
    """(drug, allergy) pairs where a prescribed drug matches a recorded allergy, accent- and case-insensitive."""
    folded_allergies = [(allergy, fold_for_search(allergy)) for allergy in allergies]
    warnings = []
    for line in prescription:
        drug = fold_for_search(line["drug"])
        for allergy, folded in folded_allergies:
            if folded and (folded in drug or drug in folded):
                warnings.append((line["drug"], allergy))
    return warnings


def _audit_intent(**event):
    with transaction.atomic(durable=True):
        return audit.record(**event)


def _describe(exc):
    return f"{type(exc).__name__}: {exc}"[:500]


def _audit_not_written(intent, action, error):
    with transaction.atomic(durable=True):
        audit.record(
            user=intent.user,
            action=action,
            patient_id=intent.patient_id,
            encounter_id=intent.encounter_id,
            ip_address=intent.ip_address,
            intent=intent.pk,
            error=error,
        )


def update_blood_type_and_allergies(*, doctor, patient_id, blood_type, allergies, version, reason, ip_address=None):
    """Change the record document if it is still at ``version``; the audit event holds the old and new values.

    Raises RecordChanged (with the current values) and writes nothing if the
    record moved on since the editor's page was drawn.
    """
    before = repository.get_patient_record(patient_id=patient_id)
    if before is None:
        raise RecordNotReady()
    if before["version"] != version:
        raise RecordChanged(before)
    intent = _audit_intent(
        user=doctor,
        action=audit.RECORD_UPDATE,
        patient_id=patient_id,
        ip_address=ip_address,
        reason=reason,
        before={"blood_type": before.get("blood_type", ""), "allergies": before.get("allergies", [])},
        after={"blood_type": blood_type, "allergies": allergies},
    )
    try:
        repository.update_record(patient_id=patient_id, blood_type=blood_type, allergies=allergies, version=version)
    except Exception as exc:
        _audit_not_written(intent, audit.RECORD_UPDATE_NOT_WRITTEN, _describe(exc))
        raise


def add_addendum(*, doctor, patient_id, encounter_id, addendum_id, reason, text, ip_address=None, note_author=None):
    """Append an addendum to a closed encounter once; False if this addendum_id was already added.

    ``note_author`` is the encounter's author ({"id", "name"}): the audit event names both.
    """
    encounter = repository.get_encounter(encounter_id=encounter_id, patient_id=patient_id)
    if encounter is not None and any(a.get("id") == addendum_id for a in encounter.get("addenda", [])):
        return False
    intent = _audit_intent(
        user=doctor,
        action=audit.ENCOUNTER_ADDENDUM,
        patient_id=patient_id,
        encounter_id=encounter_id,
        ip_address=ip_address,
        reason=reason,
        **permissions.addendum_authors(addendum_author=doctor, note_author=note_author),
    )
    try:
        added = repository.add_addendum(
            encounter_id=encounter_id,
            patient_id=patient_id,
            addendum_id=addendum_id,
            author_id=doctor.pk,
            author_name=doctor.get_full_name(),
            reason=reason,
            text=text,
        )
    except Exception as exc:
        _audit_not_written(intent, audit.ENCOUNTER_ADDENDUM_NOT_WRITTEN, _describe(exc))
        raise
    if not added:
        _audit_not_written(intent, audit.ENCOUNTER_ADDENDUM_NOT_WRITTEN, "already added, or the encounter is not final")
    return added


def fill_history(*, doctor, patient_id, history_id, history, ip_address=None):
    """Write the patient's first history (NOM-004 6.1) once; False if this same history_id was already written.

    ``history`` is the document's clinical content (records.history_forms.history_content); the
    author and time are added here. Raises HistoryExists, writing nothing, if the patient already
    has a history: it is never filled twice, only amended by addenda.
    """
    existing = repository.get_history(patient_id=patient_id)
    if existing is not None:
        if existing.get("fill_id") == history_id:
            return False
        raise HistoryExists()
    intent = _audit_intent(
        user=doctor, action=audit.HISTORY_FILL, patient_id=patient_id, ip_address=ip_address, history_id=history_id
    )
    document = {
        **history,
        "patient_id": patient_id,
        "author": {"id": doctor.pk, "name": doctor.get_full_name()},
        "created_at": timezone.now(),
    }
    try:
        return repository.insert_history(history_id=history_id, document=document)
    except HistoryExists:
        _audit_not_written(intent, audit.HISTORY_FILL_NOT_WRITTEN, "another history was filled first")
        raise
    except Exception as exc:
        _audit_not_written(intent, audit.HISTORY_FILL_NOT_WRITTEN, _describe(exc))
        raise


def add_history_addendum(*, doctor, patient_id, addendum_id, reason, text, ip_address=None):
    """Append an addendum (author, time, reason, text) to the first history once; False if already added.

    Raises HistoryNotFilled, writing nothing, while the patient has no history.
    """
    history = repository.get_history(patient_id=patient_id)
    if history is None:
        raise HistoryNotFilled()
    if any(addendum.get("id") == addendum_id for addendum in history["addenda"]):
        return False
    intent = _audit_intent(
        user=doctor,
        action=audit.HISTORY_ADDENDUM,
        patient_id=patient_id,
        ip_address=ip_address,
        reason=reason,
        addendum_id=addendum_id,
        **permissions.addendum_authors(addendum_author=doctor, note_author=history.get("author")),
    )
    try:
        added = repository.add_history_addendum(
            patient_id=patient_id,
            addendum_id=addendum_id,
            author_id=doctor.pk,
            author_name=doctor.get_full_name(),
            reason=reason,
            text=text,
        )
    except Exception as exc:
        _audit_not_written(intent, audit.HISTORY_ADDENDUM_NOT_WRITTEN, _describe(exc))
        raise
    if not added:
        _audit_not_written(intent, audit.HISTORY_ADDENDUM_NOT_WRITTEN, "already added")
    return added
