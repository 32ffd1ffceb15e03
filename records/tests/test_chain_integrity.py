"""check_consistency finds every change made to a record behind Medly's back, and names the first broken entry."""

from io import StringIO

import pytest
from django.core.management import call_command

from records import chain, repository
from records.integrity import find_chain_breaks
from records.models import Operation, RecordChainHead
from records.tests.chain_helpers import (
    add_addendum,
    another_appointment,
    assert_chain_valid,
    check_consistency,
    head_of,
    patient_with_history,
)
from records.tests.view_helpers import closed_encounter

pytestmark = pytest.mark.django_db


def encounters():
    """The PyMongo collection itself: these tests play the intruder who bypasses Medly."""
    return repository._encounters()


def oid(encounter_id):
    from bson import ObjectId

    return ObjectId(encounter_id)


def test_closes_and_addenda_build_one_valid_chain_and_check_consistency_agrees():
    history = patient_with_history()

    assert_chain_valid(history.patient_id, 3)
    assert check_consistency() == (0, "check_consistency: MySQL and MongoDB agree\n")
    first = repository.get_encounter(encounter_id=history.first_encounter, patient_id=history.patient_id)
    assert first["chain"]["previous_hash"] == chain.GENESIS_HASH
    assert first["addenda"][0]["chain"]["sequence"] == 3
    assert head_of(history.patient_id)[1] == first["addenda"][0]["chain"]["hash"]


def test_each_patient_has_a_chain_of_their_own():
    history = patient_with_history()
    other, _ = closed_encounter()

    assert head_of(other.patient_id)[0] == 1
    assert head_of(history.patient_id)[0] == 3
    assert find_chain_breaks() == []


def test_a_direct_edit_of_a_final_encounter_is_reported_with_that_entry():
    history = patient_with_history()
    encounters().update_one({"_id": oid(history.first_encounter)}, {"$set": {"diagnosis": "Something else"}})

    code, output = check_consistency()

    assert code == 1
    assert (
        f"patient {history.patient_id}: record chain broken at encounter {history.first_encounter} (entry 1 of 3): "
        "its content no longer matches its hash"
    ) in output


def test_an_edit_of_a_nested_field_or_the_author_is_reported_too():
    history = patient_with_history()
    encounters().update_one({"_id": oid(history.second_encounter)}, {"$set": {"prescription.0.dose": "5000 mg"}})

    assert find_chain_breaks() == [
        f"patient {history.patient_id}: record chain broken at encounter {history.second_encounter} (entry 2 of 3): "
        "its content no longer matches its hash"
    ]


def test_an_edit_whose_hash_was_recomputed_breaks_the_link_of_the_next_entry():
    history = patient_with_history()
    document = encounters().find_one({"_id": oid(history.first_encounter)})
    document["diagnosis"] = "Something else"
    forged = chain.entry_hash(
        kind=chain.ENCOUNTER,
        content=chain.encounter_content(document),
        sequence=1,
        previous_hash=chain.GENESIS_HASH,
    )
    encounters().update_one({"_id": document["_id"]}, {"$set": {"diagnosis": "Something else", "chain.hash": forged}})

    assert find_chain_breaks() == [
        f"patient {history.patient_id}: record chain broken at encounter {history.second_encounter} (entry 2 of 3): "
        "it does not link to the entry before it"
    ]


def test_a_deleted_addendum_is_reported_with_what_the_log_says_it_was():
    history = patient_with_history()
    _, later = closed_encounter(another_appointment(history.first), diagnosis="Visit 3")  # entry 4
    encounters().update_one({"_id": oid(history.first_encounter)}, {"$pull": {"addenda": {"id": history.addendum_id}}})

    code, output = check_consistency()

    assert code == 1
    assert (
        f"patient {history.patient_id}: record chain broken: entry 3 of 4 is missing (addendum {history.addendum_id} "
        f"to encounter {history.first_encounter}, per the operation log); the next entry is encounter {later}"
    ) in output


def test_a_deleted_newest_entry_is_reported():
    history = patient_with_history()
    encounters().update_one({"_id": oid(history.first_encounter)}, {"$pull": {"addenda": {"id": history.addendum_id}}})

    assert find_chain_breaks() == [
        f"patient {history.patient_id}: record chain broken: entry 3 of 3 is missing (addendum {history.addendum_id} "
        f"to encounter {history.first_encounter}, per the operation log)"
    ]


def test_a_deleted_encounter_is_reported():
    history = patient_with_history()
    encounters().delete_one({"_id": oid(history.second_encounter)})

    code, output = check_consistency()

    assert code == 1
    assert (
        f"patient {history.patient_id}: record chain broken: entry 2 of 3 is missing (encounter "
        f"{history.second_encounter}, per the operation log); the next entry is addendum {history.addendum_id} "
        f"to encounter {history.first_encounter}"
    ) in output


def test_an_entry_removed_together_with_its_log_row_is_still_reported_by_position():
    history = patient_with_history()
    encounters().update_one({"_id": oid(history.first_encounter)}, {"$pull": {"addenda": {"id": history.addendum_id}}})
    Operation.objects.filter(addendum_id=history.addendum_id).delete()

    assert find_chain_breaks() == [f"patient {history.patient_id}: record chain broken: entry 3 of 3 is missing"]


def test_an_entry_appended_behind_medlys_back_is_reported_against_the_head():
    history = patient_with_history()
    document = encounters().find_one({"_id": oid(history.second_encounter)})
    head_sequence, head_hash = head_of(history.patient_id)
    forged = {**document, "_id": oid(repository.new_encounter_id()), "appointment_id": 999_999, "diagnosis": "Fake"}
    link = chain.link_after(
        sequence=head_sequence, previous_hash=head_hash, kind=chain.ENCOUNTER, content=chain.encounter_content(forged)
    )
    encounters().insert_one({**forged, "chain": link.as_document()})

    breaks = find_chain_breaks()

    assert breaks == [
        f"patient {history.patient_id}: record chain broken: the newest entry is entry 4 (encounter {forged['_id']}), "
        f"but the head in MySQL is entry 3 with hash {head_hash}"
    ]


def test_a_final_encounter_with_no_link_is_reported():
    history = patient_with_history()
    encounters().update_one({"_id": oid(history.second_encounter)}, {"$unset": {"chain": ""}})

    breaks = find_chain_breaks()

    assert f"encounter {history.second_encounter}" in breaks[0]
    assert "entry 2 of 3 is missing" in breaks[0]


def test_a_rewritten_head_is_reported():
    history = patient_with_history()
    RecordChainHead.objects.filter(patient_id=history.patient_id).update(last_hash="f" * 64)

    assert "but the head in MySQL is entry 3 with hash " + "f" * 64 in find_chain_breaks()[0]


def make_legacy(patient_id):
    """What a record written before the chain looks like: no links in MongoDB, no head, no links in the log."""
    encounters().update_many({"patient_id": patient_id}, {"$unset": {"chain": "", "addenda.$[].chain": ""}})
    RecordChainHead.objects.filter(patient_id=patient_id).delete()
    Operation.objects.filter(patient_id=patient_id).update(chain_sequence=None, chain_previous_hash="", chain_hash="")


def build_record_chains():
    out = StringIO()
    call_command("build_record_chains", stdout=out)
    return out.getvalue()


def test_records_from_before_the_chain_are_reported_until_build_record_chains_links_them_oldest_first():
    history = patient_with_history()
    make_legacy(history.patient_id)
    assert "run manage.py build_record_chains" in find_chain_breaks()[0]

    output = build_record_chains()

    assert f"patient {history.patient_id}: encounter {history.first_encounter} is now entry 1" in output
    assert f"patient {history.patient_id}: encounter {history.second_encounter} is now entry 2" in output
    assert f"patient {history.patient_id}: addendum {history.addendum_id} is now entry 3" in output
    assert_chain_valid(history.patient_id, 3)
    assert check_consistency()[0] == 0
    assert "0 entries linked" in build_record_chains()  # repeatable
    assert_chain_valid(history.patient_id, 3)


def test_new_entries_after_the_upgrade_and_before_the_backfill_keep_the_chain_valid_once_it_runs():
    history = patient_with_history()
    make_legacy(history.patient_id)
    add_addendum(history.first, history.second_encounter, text="Written after the upgrade")  # entry 1 now

    build_record_chains()

    assert_chain_valid(history.patient_id, 4)


class ProcessDied(BaseException):
    pass


def test_a_backfill_killed_halfway_is_finished_by_the_next_run(monkeypatch):
    history = patient_with_history()
    make_legacy(history.patient_id)
    set_link = repository.set_addendum_link

    def die(**kwargs):
        raise ProcessDied

    monkeypatch.setattr(repository, "set_addendum_link", die)
    with pytest.raises(ProcessDied):
        build_record_chains()
    monkeypatch.setattr(repository, "set_addendum_link", set_link)
    assert find_chain_breaks() != []  # two encounters linked beyond a head that never moved

    build_record_chains()

    assert_chain_valid(history.patient_id, 3)
