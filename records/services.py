"""Clinical writes to the records store (the record document, addenda), each audited.

Writes that span MySQL and MongoDB go through coordinator.py: closes, and
addenda, which take a place in the MySQL-kept record chain. The record edit
writes its audit event first, in a durable MySQL transaction of its own, and
only then MongoDB: a MySQL failure can stop the change but never leave it
unaudited. If the MongoDB write then does not happen, a follow-up event says
so (``*_not_written``), naming the first one.
"""

from enum import StrEnum

from django.db import transaction
from django.utils import timezone

from medly.text import fold_for_search
from records import audit, coordinator, permissions, repository
from records.exceptions import HistoryExists, HistoryNotFilled, RecordChanged, RecordNotReady
from records.models import Cie10Code
from records.pharmacology import allergy_warnings

__all__ = [
    "AddendumOutcome",
    "HistoryExists",
    "HistoryNotFilled",
    "RecordChanged",
    "RecordNotReady",
    "add_addendum",
    "add_history_addendum",
    "allergy_warnings",
    "fill_history",
    "load_cie10_codes",
    "update_blood_type_and_allergies",
]


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


class AddendumOutcome(StrEnum):
    ADDED = "added"
    ALREADY_ADDED = "already_added"
    # Committed in MySQL (audited, in the chain, in the operation log); reconcile writes it to MongoDB.
    WAITING = "waiting"


def add_addendum(*, doctor, patient_id, encounter_id, addendum_id, reason, text, ip_address=None, note_author=None):
    """Append an addendum to a closed encounter once, as the next entry of the patient's record chain.

    MySQL first (coordinator.log_addendum: operation, audit event and chain
    head in one transaction), then MongoDB; if MongoDB cannot take it now, or
    MySQL fails after it did, reconcile finishes it from the log.
    ``note_author`` is the encounter's author ({"id", "name"}): the audit event names both.
    """
    encounter = repository.get_encounter(encounter_id=encounter_id, patient_id=patient_id)
    if encounter is None or encounter["state"] != "final":
        raise repository.InvalidRecord(f"encounter {encounter_id} is not a final encounter of this patient")
    if any(a.get("id") == addendum_id for a in encounter.get("addenda", [])):
        return AddendumOutcome.ALREADY_ADDED
    repository.check_addendum(reason=reason, text=text)
    addendum = {
        "id": addendum_id,
        "author_id": doctor.pk,
        "author_name": doctor.get_full_name(),
        "reason": reason,
        "text": text,
        "created_at": timezone.now(),
    }
    operation = coordinator.log_addendum(
        doctor=doctor,
        patient_id=patient_id,
        encounter_id=encounter_id,
        addendum=addendum,
        ip_address=ip_address,
        audit_detail={
            "reason": reason,
            **permissions.addendum_authors(addendum_author=doctor, note_author=note_author),
        },
    )
    if operation is None:
        return AddendumOutcome.ALREADY_ADDED
    if coordinator.write_addendum_now(operation.pk):
        return AddendumOutcome.ADDED
    return AddendumOutcome.WAITING


CIE10_BATCH = 1000


def load_cie10_codes(*, entries, overwrite):
    """Insert catalogue entries in batches; an existing code is updated only when ``overwrite``.

    The DGIS file overwrites (its descriptions and limits are the official ones);
    the package fills in codes without touching any already there. Either way a
    second run with the same entries changes nothing. Returns how many codes the
    catalogue holds afterwards.
    """
    rows = [
        Cie10Code(
            code=entry.code,
            description=entry.description,
            search_text=fold_for_search(f"{entry.code} {entry.code.replace('.', '')} {entry.description}")[:520],
            sex_limit=entry.sex_limit,
            min_age_days=entry.min_age_days,
            max_age_days=entry.max_age_days,
        )
        for entry in entries
    ]
    conflicts = (
        {
            "update_conflicts": True,
            "update_fields": ["description", "search_text", "sex_limit", "min_age_days", "max_age_days"],
        }
        if overwrite
        else {"ignore_conflicts": True}
    )
    with transaction.atomic(durable=True):
        Cie10Code.objects.bulk_create(rows, batch_size=CIE10_BATCH, **conflicts)
    return Cie10Code.objects.count()


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
