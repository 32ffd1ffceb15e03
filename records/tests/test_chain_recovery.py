"""The record chain stays valid through every crash and outage the coordinator already survives."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError

from records import chain, coordinator, repository, services
from records.models import Operation, OperationState
from records.tests.chain_helpers import add_addendum, another_appointment, assert_chain_valid, patient_with_history
from records.tests.helpers import consultation_payload
from records.tests.test_coordinator import ProcessDied, claims_run_out, dying_at, patched_step

pytestmark = pytest.mark.django_db


def reconcile():
    out = StringIO()
    call_command("reconcile", stdout=out)
    return out.getvalue()


def close(appointment):
    return coordinator.close_consultation(
        appointment_id=appointment.pk, doctor=appointment.doctor, payload=consultation_payload(diagnosis="Visit 3")
    )


@pytest.mark.parametrize("boundary", ["after_prepare", "after_write", "after_commit"])
def test_a_worker_killed_at_each_boundary_leaves_a_valid_chain_after_reconcile(boundary):
    history = patient_with_history()

    with dying_at(boundary), pytest.raises(ProcessDied):
        close(another_appointment(history.first))
    claims_run_out()
    reconcile()

    assert_chain_valid(history.patient_id, 4)


def test_a_worker_killed_inside_the_commit_after_linking_leaves_the_head_where_it_was():
    history = patient_with_history()
    append = chain.append

    def link_then_die(*args, **kwargs):
        append(*args, **kwargs)
        raise ProcessDied

    with pytest.MonkeyPatch.context() as patch, pytest.raises(ProcessDied):
        patch.setattr(chain, "append", link_then_die)
        close(another_appointment(history.first))
    assert_chain_valid(history.patient_id, 3)  # the transaction that moved the head never committed

    claims_run_out()
    reconcile()

    assert_chain_valid(history.patient_id, 4)


def test_a_close_mongodb_refuses_takes_no_place_in_the_chain():
    history = patient_with_history()

    with pytest.raises(coordinator.ConsultationRejected):
        coordinator.close_consultation(
            appointment_id=another_appointment(history.first).pk,
            doctor=history.first.doctor,
            payload=consultation_payload(diagnosis="x" * 5000),
        )

    assert_chain_valid(history.patient_id, 3)
    _, outcome = add_addendum(history.first, history.second_encounter)
    assert outcome == services.AddendumOutcome.ADDED
    assert_chain_valid(history.patient_id, 4)


def test_mongodb_stopped_during_the_write_then_restarted_leaves_a_valid_chain(persistent_mongo):
    history = patient_with_history()

    def stop_first(insert, **kwargs):
        persistent_mongo.stop()
        return insert(**kwargs)

    with patched_step("after_prepare", stop_first):
        result = close(another_appointment(history.first))

    assert not result.finished
    persistent_mongo.start()
    reconcile()

    assert_chain_valid(history.patient_id, 4)


def test_mongodb_stopped_during_the_finalize_then_restarted_leaves_a_valid_chain(persistent_mongo):
    history = patient_with_history()

    def stop_first(finalize, **kwargs):
        persistent_mongo.stop()
        return finalize(**kwargs)

    with patched_step("after_commit", stop_first):
        result = close(another_appointment(history.first))

    assert not result.finished
    assert Operation.objects.get(pk=result.operation_id).state == OperationState.COMMITTED
    persistent_mongo.start()
    reconcile()

    assert_chain_valid(history.patient_id, 4)


def test_a_store_that_lost_the_pending_document_gets_it_again_with_the_same_link(stoppable_mongo):
    # The memory engine comes back empty: only the log can write the note again, with the hash it was given.
    appointment = patient_with_history().first

    def stop_first(finalize, **kwargs):
        stoppable_mongo.stop()
        return finalize(**kwargs)

    fresh = another_appointment(appointment)
    with patched_step("after_commit", stop_first):
        result = close(fresh)
    stoppable_mongo.start()
    repository.ensure_indexes()
    reconcile()

    operation = Operation.objects.get(pk=result.operation_id)
    encounter = repository.get_encounter(encounter_id=result.encounter_id, patient_id=appointment.patient_id)
    assert encounter["chain"] == chain.operation_link(operation).as_document()
    assert operation.chain_sequence == 4


def test_an_addendum_during_a_mongodb_outage_waits_in_the_log_and_keeps_the_chain_valid(persistent_mongo):
    history = patient_with_history()
    add = repository.add_addendum

    def stop_first(**kwargs):
        persistent_mongo.stop()
        return add(**kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(repository, "add_addendum", stop_first)
        addendum_id, outcome = add_addendum(history.first, history.second_encounter)

    assert outcome == services.AddendumOutcome.WAITING
    persistent_mongo.start()
    reconcile()

    assert_chain_valid(history.patient_id, 4)
    encounter = repository.get_encounter(encounter_id=history.second_encounter, patient_id=history.patient_id)
    assert [a["id"] for a in encounter["addenda"]] == [addendum_id]


def test_mysql_failing_right_after_the_addendum_is_written_leaves_a_valid_chain_after_reconcile(monkeypatch):
    history = patient_with_history()
    mark_done = coordinator._mark_done

    def mysql_is_gone(operation, from_states):
        if operation.kind == "add_addendum":
            raise DatabaseError("(2006, 'MySQL server has gone away')")
        return mark_done(operation, from_states)

    monkeypatch.setattr(coordinator, "_mark_done", mysql_is_gone)
    addendum_id, outcome = add_addendum(history.first, history.second_encounter)
    monkeypatch.setattr(coordinator, "_mark_done", mark_done)

    assert outcome == services.AddendumOutcome.WAITING
    operation = Operation.objects.get(addendum_id=addendum_id)
    assert operation.state == OperationState.COMMITTED
    Operation.objects.filter(pk=operation.pk).update(next_attempt_at=None)
    claims_run_out()
    assert "1 finished" in reconcile()

    assert_chain_valid(history.patient_id, 4)
    encounter = repository.get_encounter(encounter_id=history.second_encounter, patient_id=history.patient_id)
    assert [a["id"] for a in encounter["addenda"]] == [addendum_id]  # written once


def test_a_worker_killed_between_the_addendums_commit_and_its_write_is_finished_by_reconcile(monkeypatch):
    history = patient_with_history()

    def die(**kwargs):
        raise ProcessDied

    monkeypatch.setattr(repository, "add_addendum", die)
    with pytest.raises(ProcessDied):
        add_addendum(history.first, history.second_encounter)
    monkeypatch.undo()
    claims_run_out()
    reconcile()

    assert_chain_valid(history.patient_id, 4)


def test_a_repeated_addendum_submit_takes_one_place_in_the_chain():
    history = patient_with_history()
    addendum_id = repository.new_encounter_id()

    def submit():
        return services.add_addendum(
            doctor=history.first.doctor,
            patient_id=history.patient_id,
            encounter_id=history.second_encounter,
            addendum_id=addendum_id,
            reason="Wrong dose",
            text="500 mg.",
        )

    assert [submit(), submit()] == [services.AddendumOutcome.ADDED, services.AddendumOutcome.ALREADY_ADDED]
    assert_chain_valid(history.patient_id, 4)
