"""Many final encounters at once, with valid chain links, straight into the records store (tests and bench/)."""

from datetime import UTC, datetime, timedelta

from bson import ObjectId

from records import chain, repository
from records.models import RecordChainHead

FIRST_VISIT = datetime(2020, 1, 6, 15, 0, tzinfo=UTC)
BATCH = 100


def add_final_encounters(*, patient_id, doctor, count, appointment_ids_from):
    """Append ``count`` signed final encounters to the patient's chain (one a day from FIRST_VISIT); the head too.

    The appointment ids are made up (``appointment_ids_from`` on): nothing in MySQL backs these
    notes, so check_consistency would list them; the record page does not look.
    """
    head = RecordChainHead.objects.filter(patient_id=patient_id).first()
    sequence, previous = (head.sequence, head.last_hash) if head else (0, chain.GENESIS_HASH)
    documents = []
    for number in range(count):
        document = {
            "_id": ObjectId(),
            "appointment_id": appointment_ids_from + number,
            "patient_id": patient_id,
            "doctor_id": doctor.pk,
            "author": {"id": doctor.pk, "name": doctor.get_full_name()},
            "state": "final",
            "created_at": FIRST_VISIT + timedelta(days=number),
            "diagnosis": f"Bulk visit {number + 1}",
            "diagnosis_code": "",
            "evolution": "",
            "physical_exam": "",
            "prognosis": "",
            "treatment": "",
            "notes": "",
            "vitals": {},
            "prescription": [],
            "addenda": [],
        }
        link = chain.link_after(
            sequence=sequence, previous_hash=previous, kind=chain.ENCOUNTER, content=chain.encounter_content(document)
        )
        document["chain"] = link.as_document()
        document[repository.CHAIN_TIP] = link.sequence
        sequence, previous = link.sequence, link.hash
        documents.append(document)
    for start in range(0, len(documents), BATCH):
        repository._encounters().insert_many(documents[start : start + BATCH])
    RecordChainHead.objects.update_or_create(
        patient_id=patient_id, defaults={"sequence": sequence, "last_hash": previous}
    )
    return documents


def remove_encounters(*, patient_id):
    """Every encounter of the patient and its chain head: a clean start for add_final_encounters."""
    repository._encounters().delete_many({"patient_id": patient_id})
    RecordChainHead.objects.filter(patient_id=patient_id).delete()
