"""Clinical writes to the records store alone (the record document, addenda), each audited.

Writes that span MySQL and MongoDB go through coordinator.py instead. These
write their audit event first, in a durable MySQL transaction of its own, and
only then MongoDB: a MySQL failure can stop the change but never leave it
unaudited. If the MongoDB write then does not happen, a follow-up event says
so (``*_not_written``), naming the first one.
"""

from django.db import transaction

from records import audit, permissions, repository
from records.exceptions import RecordChanged, RecordNotReady
from records.pharmacology import allergy_warnings

__all__ = ["RecordChanged", "RecordNotReady", "add_addendum", "allergy_warnings", "update_blood_type_and_allergies"]


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
