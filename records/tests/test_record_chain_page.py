"""The record page says whether the record's chain verifies, and cheaply."""

import io

import pytest
from bson import ObjectId
from django.core.cache import cache
from django.core.management import call_command
from django.utils import translation

from accounts.tests.factories import PatientFactory
from records import chain, integrity, repository
from records.tests.bulk_helpers import add_final_encounters
from records.tests.chain_helpers import add_addendum, another_appointment, check_consistency, patient_with_history
from records.tests.view_helpers import closed_encounter, record_url

pytestmark = pytest.mark.django_db

# user, patient, the viewer's rights (once), the audit insert, the chain head, the operations in flight,
# the pending consultations, clinic details.
RECORD_PAGE_QUERIES = 8


def page_of(client, user, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def tamper(encounter_id, **changes):
    repository._encounters().update_one({"_id": ObjectId(encounter_id)}, {"$set": changes})


def test_the_doctor_and_the_patient_see_the_record_verified_with_its_entries(client):
    history = patient_with_history()

    assert "Record verified: 3 entries." in page_of(client, history.first.doctor, record_url(history.patient_id))
    assert "Record verified: 3 entries." in page_of(client, history.first.patient, "/me/record/")


def test_it_says_so_in_spanish(client):
    history = patient_with_history()

    with translation.override("es"):
        client.force_login(history.first.patient)
        page = client.get("/me/record/", headers={"accept-language": "es"}).content.decode()

    assert "Expediente verificado: 3 entradas." in page


def test_a_record_without_entries_claims_nothing(client):
    appointment, _ = closed_encounter()
    other = another_appointment(appointment)

    page = page_of(client, other.doctor, record_url(appointment.patient_id))

    assert "Record verified: 1 entry." in page
    patient = PatientFactory()
    repository.create_patient_record(patient_id=patient.pk, blood_type="", allergies=[])
    assert "Record verified" not in page_of(client, patient, "/me/record/")


def test_a_changed_note_is_named_to_the_doctor_and_flagged_to_the_patient(client):
    history = patient_with_history()
    page_of(client, history.first.doctor, record_url(history.patient_id))  # verified once: the mark is set
    tamper(history.second_encounter, diagnosis="Something else")

    staff_page = page_of(client, history.first.doctor, record_url(history.patient_id))
    patient_page = page_of(client, history.first.patient, "/me/record/")

    assert "Integrity warning: this record no longer matches the signed chain Medly keeps of it." in staff_page
    assert f"(entry 2, consultation {history.second_encounter})" in staff_page
    assert "Its content was changed after it was signed." in staff_page
    assert staff_page.count("Changed after it was signed") == 1  # the note itself is marked
    assert staff_page.index("Changed after it was signed") > staff_page.index("Something else") - 400
    assert "Record verified" not in staff_page
    assert "This record did not pass its integrity check." in patient_page
    assert "Integrity warning" not in patient_page
    assert "Record verified" not in patient_page


def test_a_deleted_addendum_is_named_from_the_operation_log(client):
    history = patient_with_history()
    repository._encounters().update_one(
        {"_id": ObjectId(history.first_encounter)}, {"$pull": {"addenda": {"id": history.addendum_id}}}
    )

    page = page_of(client, history.first.doctor, record_url(history.patient_id))

    assert "Entry 3 of the chain is missing: it was deleted." in page
    assert f"(entry 3, addendum {history.addendum_id} to the consultation {history.first_encounter})" in page


def test_the_page_walks_the_whole_chain_once_then_only_from_the_verified_mark(client, monkeypatch):
    history = patient_with_history()
    reads = []
    chain_documents = repository.chain_documents

    def counted(*, patient_id, from_sequence=1):
        reads.append(from_sequence)
        return chain_documents(patient_id=patient_id, from_sequence=from_sequence)

    monkeypatch.setattr(repository, "chain_documents", counted)

    page_of(client, history.first.doctor, record_url(history.patient_id))
    page_of(client, history.first.doctor, record_url(history.patient_id))
    closed_encounter(another_appointment(history.first), diagnosis="Visit 3")
    page = page_of(client, history.first.doctor, record_url(history.patient_id))

    assert reads == [1, 3, 3]
    assert "Record verified: 4 entries." in page
    assert cache.get(integrity._mark_key(history.patient_id))[0] == 4


def test_an_addendum_to_an_old_consultation_is_found_from_the_mark_by_its_tip(client):
    history = patient_with_history()
    page_of(client, history.first.doctor, record_url(history.patient_id))  # the mark: entry 3
    add_addendum(history.first, history.first_encounter, text="And 2 a day, not 3.")

    documents = repository.chain_documents(patient_id=history.patient_id)
    tips = {document["id"]: document[repository.CHAIN_TIP] for document in documents}
    from_mark = repository.chain_documents(patient_id=history.patient_id, from_sequence=4)
    page = page_of(client, history.first.doctor, record_url(history.patient_id))

    assert tips == {history.first_encounter: 4, history.second_encounter: 2}
    assert [document["id"] for document in from_mark] == [history.first_encounter]
    assert "Record verified: 4 entries." in page


def test_an_encounter_without_a_tip_is_still_read_from_the_mark(client):
    """Written before the tip existed, or outside Medly: the check cannot tell where it sits, so it reads it."""
    history = patient_with_history()
    page_of(client, history.first.doctor, record_url(history.patient_id))
    repository._encounters().update_one(
        {"_id": ObjectId(history.second_encounter)}, {"$unset": {repository.CHAIN_TIP: "", "chain": ""}}
    )

    from_mark = repository.chain_documents(patient_id=history.patient_id, from_sequence=3)
    page = page_of(client, history.first.doctor, record_url(history.patient_id))

    assert {document["id"] for document in from_mark} == {history.first_encounter, history.second_encounter}
    assert "Integrity warning" in page
    assert "Record verified" not in page


def test_a_change_to_an_older_entry_not_on_the_page_waits_for_the_full_check(client):
    """The trade-off the mark makes (records/integrity.py): check_consistency sees it at once, the page later."""
    first, oldest = closed_encounter(diagnosis="Visit 0")
    for number in range(1, 11):
        closed_encounter(another_appointment(first), diagnosis=f"Visit {number}")
    page_of(client, first.doctor, record_url(first.patient_id))
    document = repository._encounters().find_one({"_id": ObjectId(oldest)})
    forged = chain.entry_hash(
        kind=chain.ENCOUNTER,
        content=chain.encounter_content({**document, "notes": "x"}),
        sequence=1,
        previous_hash=chain.GENESIS_HASH,
    )
    tamper(oldest, notes="x", **{"chain.hash": forged})

    assert "Record verified: 11 entries." in page_of(client, first.doctor, record_url(first.patient_id))
    assert check_consistency()[0] == 1

    cache.delete(integrity._mark_key(first.patient_id))
    assert "Integrity warning" in page_of(client, first.doctor, record_url(first.patient_id))


def test_an_entry_waiting_for_the_records_store_is_counted_as_such(client, persistent_mongo):
    history = patient_with_history()
    add = repository.add_addendum

    def stop_first(**kwargs):
        persistent_mongo.stop()
        return add(**kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(repository, "add_addendum", stop_first)
        add_addendum(history.first, history.second_encounter)
    persistent_mongo.start()  # back, but reconcile has not written the addendum yet

    page = page_of(client, history.first.doctor, record_url(history.patient_id))

    assert "Record verified: 4 entries. 1 of them is waiting for the records store." in page


@pytest.mark.parametrize("encounters", [1, 4])
def test_the_record_page_costs_the_same_queries_for_1_or_4_encounters(client, django_assert_num_queries, encounters):
    first, _ = closed_encounter()
    for number in range(1, encounters):
        closed_encounter(another_appointment(first), diagnosis=f"Visit {number}")
    client.force_login(first.doctor)
    client.get(record_url(first.patient_id))  # the mark is set: every later view costs the same

    with django_assert_num_queries(RECORD_PAGE_QUERIES):
        response = client.get(record_url(first.patient_id))

    assert f"Record verified: {encounters} entr" in response.content.decode()


@pytest.mark.parametrize("encounters", [10, 200])
def test_the_record_page_costs_the_same_queries_and_store_reads_for_10_or_200_encounters(
    client, django_assert_num_queries, monkeypatch, encounters
):
    first, _ = closed_encounter()
    add_final_encounters(
        patient_id=first.patient_id, doctor=first.doctor, count=encounters - 1, appointment_ids_from=10_000_000
    )
    client.force_login(first.doctor)
    assert f"Record verified: {encounters} entries." in page_of(client, first.doctor, record_url(first.patient_id))
    counted = []
    monkeypatch.setattr(repository, "_encounters", counting(repository._encounters, counted))

    with django_assert_num_queries(RECORD_PAGE_QUERIES):
        response = client.get(record_url(first.patient_id))

    assert response.status_code == 200
    assert len(counted) == 2  # one keyset page, one read of the chain from the verified mark


def counting(collection_of, calls):
    def counted():
        calls.append(1)
        return collection_of()

    return counted


def test_build_record_chains_gives_encounters_written_before_the_tip_their_tip(client):
    """An upgraded clinic's older encounters have links but no tip: after the command the page stops reading them."""
    history = patient_with_history()
    add_addendum(history.first, history.first_encounter, text="And 2 a day, not 3.")
    repository._encounters().update_many({"patient_id": history.patient_id}, {"$unset": {repository.CHAIN_TIP: ""}})
    assert len(repository.chain_documents(patient_id=history.patient_id, from_sequence=5)) == 2

    output = io.StringIO()
    call_command("build_record_chains", stdout=output)

    tips = {
        document["id"]: document[repository.CHAIN_TIP]
        for document in repository.chain_documents(patient_id=history.patient_id)
    }
    assert tips == {history.first_encounter: 4, history.second_encounter: 2}
    assert repository.chain_documents(patient_id=history.patient_id, from_sequence=5) == []
    assert "2 encounter(s) given their chain tip" in output.getvalue()
    assert "Record verified: 4 entries." in page_of(client, history.first.doctor, record_url(history.patient_id))
