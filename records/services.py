"""Clinical writes to the records store alone (the record document, addenda), each audited.

Writes that span MySQL and MongoDB go through coordinator.py instead.
"""

from medly.text import fold_for_search
from records import audit, permissions, repository


class RecordNotReady(Exception):
    """Registration logged the record document, but the records store does not have it yet."""


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


def update_blood_type_and_allergies(*, doctor, patient_id, blood_type, allergies, reason, ip_address=None):
    """Change the record document and leave an audit event holding both the old and the new values."""
    before = repository.get_patient_record(patient_id=patient_id)
    if before is None:
        raise RecordNotReady()
    repository.update_record(patient_id=patient_id, blood_type=blood_type, allergies=allergies)
    audit.record(
        user=doctor, action=audit.RECORD_UPDATE, patient_id=patient_id, ip_address=ip_address, reason=reason,
        before={"blood_type": before.get("blood_type", ""), "allergies": before.get("allergies", [])},
        after={"blood_type": blood_type, "allergies": allergies},
    )


def add_addendum(*, doctor, patient_id, encounter_id, addendum_id, reason, text, ip_address=None, note_author=None):
    """Append an addendum to a closed encounter once; False if this addendum_id was already added.

    ``note_author`` is the encounter's author ({"id", "name"}): the audit event names both.
    """
    added = repository.add_addendum(
        encounter_id=encounter_id, patient_id=patient_id, addendum_id=addendum_id, author_id=doctor.pk,
        author_name=doctor.get_full_name(), reason=reason, text=text,
    )
    if added:
        audit.record(
            user=doctor, action=audit.ENCOUNTER_ADDENDUM, patient_id=patient_id, encounter_id=encounter_id,
            ip_address=ip_address, reason=reason,
            **permissions.addendum_authors(addendum_author=doctor, note_author=note_author),
        )
    return added
