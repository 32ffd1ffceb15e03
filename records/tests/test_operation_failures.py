"""reconcile never stalls: every failure is kept on its own operation, backed off, and flagged when it persists."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError
from django.utils import timezone

from records import audit, coordinator, repository
from records.consistency import find_disagreements
from records.models import Operation, OperationState
from records.tests.helpers import (
    ProcessDied,
    appointment_with_record,
    consultation_payload,
    encounters_of,
    poisoned_close,
)
from scheduling.models import Appointment, AppointmentStatus

pytestmark = pytest.mark.django_db

POISON_ERROR = "ValueError: Invalid isoformat string: 'not a date'"


def close(appointment, **payload_overrides):
    return coordinator.close_consultation(
        appointment_id=appointment.pk, doctor=appointment.doctor, payload=consultation_payload(**payload_overrides)
    )


def close_and_die_before_the_write(appointment):
    """A close whose worker died right after prepare: the operation waits in the log."""

    def die(**kwargs):
        raise ProcessDied

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(repository, "insert_pending_encounter", die)
        with pytest.raises(ProcessDied):
            close(appointment)


def time_passes():
    """Every claim has run out and every backoff has passed."""
    past = timezone.now() - timedelta(seconds=1)
    Operation.objects.update(claimed_until=past)
    Operation.objects.filter(next_attempt_at__isnull=False).update(next_attempt_at=past)


def reconcile():
    out = StringIO()
    call_command("reconcile", stdout=out)
    return out.getvalue()


def poison_operation():
    appointment = appointment_with_record()
    return appointment, poisoned_close(appointment)


def test_a_poison_operation_first_in_the_log_does_not_stop_the_twenty_after_it():
    poisoned, poison = poison_operation()
    good = [appointment_with_record() for _ in range(20)]
    for appointment in good:
        close_and_die_before_the_write(appointment)
    time_passes()
    assert Operation.objects.order_by("pk").first() == poison

    output = reconcile()

    assert "reconcile: 20 finished, 0 undone, 0 still waiting, 0 held by others, 1 failed" in output
    for appointment in good:
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.COMPLETED
        assert [e["state"] for e in encounters_of(appointment)] == ["final"]
    poison.refresh_from_db()
    assert poison.state == OperationState.PREPARED
    assert poison.attempts == 2  # once before, once now
    assert poison.last_error.startswith(POISON_ERROR)
    assert poison.next_attempt_at > timezone.now()
    assert not poison.needs_attention
    poisoned.refresh_from_db()
    assert poisoned.status == AppointmentStatus.CLOSING
    assert f"operation {poison.pk} (close_consultation): failed (attempt 2)" in output


def test_a_failed_operation_is_left_alone_until_its_backoff_passes_and_the_wait_doubles(settings):
    settings.OPERATION_RETRY_BASE_SECONDS = 30
    settings.OPERATION_RETRY_MAX_SECONDS = 100
    _, poison = poison_operation()
    first_due = poison.next_attempt_at
    assert timedelta(seconds=25) < first_due - timezone.now() <= timedelta(seconds=30)

    output = reconcile()

    assert "0 failed, 1 not due yet" in output
    poison.refresh_from_db()
    assert (poison.attempts, poison.next_attempt_at) == (1, first_due)
    assert coordinator.roll_forward(poison.pk) is None  # not due: nobody may take it

    waits = []
    for _ in range(3):
        time_passes()
        reconcile()
        poison.refresh_from_db()
        waits.append(round((poison.next_attempt_at - timezone.now()).total_seconds()))
    assert poison.attempts == 4
    assert waits == [60, 100, 100]  # 30, 60, 120 capped at 100


def test_an_operation_that_keeps_failing_needs_attention_after_n_failures(settings):
    settings.OPERATION_ATTENTION_AFTER = 3
    _, poison = poison_operation()

    time_passes()
    reconcile()
    poison.refresh_from_db()
    assert (poison.attempts, poison.needs_attention) == (2, False)

    time_passes()
    output = reconcile()

    poison.refresh_from_db()
    assert (poison.attempts, poison.needs_attention) == (3, True)
    assert "needs attention" in output
    assert "1 need attention" in output
    assert any(
        p.startswith(
            f"operation {poison.pk} (close_consultation) needs attention after 3 failed attempt(s): ValueError"
        )
        for p in find_disagreements()
    )


def test_a_mysql_error_in_one_operation_is_kept_on_it_and_the_others_go_on(monkeypatch):
    first, second = appointment_with_record(), appointment_with_record()
    close_and_die_before_the_write(first)
    close_and_die_before_the_write(second)
    time_passes()
    commit = coordinator._commit
    broken = Operation.objects.get(appointment=first)

    def commit_failing_for_the_first(operation):
        if operation.pk == broken.pk:
            raise DatabaseError("(1213, 'Deadlock found when trying to get lock')")
        return commit(operation)

    monkeypatch.setattr(coordinator, "_commit", commit_failing_for_the_first)

    output = reconcile()

    assert "1 finished" in output and "1 failed" in output
    broken.refresh_from_db()
    assert (broken.state, broken.attempts) == (OperationState.PREPARED, 1)
    assert broken.last_error == "DatabaseError: (1213, 'Deadlock found when trying to get lock')"
    second.refresh_from_db()
    assert second.status == AppointmentStatus.COMPLETED

    monkeypatch.setattr(coordinator, "_commit", commit)
    time_passes()
    reconcile()

    assert find_disagreements() == []


def test_a_document_refused_during_reconcile_is_compensated(monkeypatch):
    appointment = appointment_with_record()
    close_and_die_before_the_write(appointment)
    # A payload the records store's validation refuses, as a bad deploy could have logged.
    operation = Operation.objects.get()
    operation.payload["diagnosis"] = "x" * 5000
    operation.save(update_fields=["payload"])
    time_passes()

    assert "1 undone" in reconcile()

    operation.refresh_from_db()
    assert (operation.state, operation.live_appointment_id) == (OperationState.ABORTED, None)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED
    assert encounters_of(appointment) == []
    assert find_disagreements() == []


def test_a_refusal_at_finalize_after_the_commit_keeps_the_note_and_needs_attention(monkeypatch):
    appointment = appointment_with_record()

    def refuse(**kwargs):
        raise repository.InvalidRecord("the store refused the update")

    monkeypatch.setattr(repository, "finalize_encounter", refuse)

    result = close(appointment)

    assert not result.finished
    appointment.refresh_from_db()
    assert (appointment.status, appointment.encounter_id) == (AppointmentStatus.COMPLETED, result.encounter_id)
    assert [e["state"] for e in encounters_of(appointment)] == ["pending"]  # not deleted
    operation = Operation.objects.get()
    assert (operation.state, operation.needs_attention) == (OperationState.COMMITTED, True)
    assert operation.payload["diagnosis"] == "Acute pharyngitis"

    monkeypatch.undo()
    time_passes()
    assert "1 finished" in reconcile()
    operation.refresh_from_db()
    assert (operation.state, operation.needs_attention) == (OperationState.DONE, False)
    assert find_disagreements() == []


def test_a_close_can_be_tried_again_after_the_records_store_refused_it():
    appointment = appointment_with_record()
    with pytest.raises(coordinator.ConsultationRejected):
        close(appointment, diagnosis="x" * 5000)

    result = close(appointment)

    assert result.finished
    appointment.refresh_from_db()
    assert (appointment.status, appointment.encounter_id) == (AppointmentStatus.COMPLETED, result.encounter_id)
    states = list(
        Operation.objects.filter(appointment=appointment).order_by("pk").values_list("state", "live_appointment")
    )
    assert states == [(OperationState.ABORTED, None), (OperationState.DONE, appointment.pk)]
    assert find_disagreements() == []


def test_the_commit_refuses_when_the_appointment_is_no_longer_closing(monkeypatch):
    appointment = appointment_with_record()
    insert = repository.insert_pending_encounter

    def write_then_someone_changes_the_appointment(**kwargs):
        insert(**kwargs)
        Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.NO_SHOW)

    monkeypatch.setattr(repository, "insert_pending_encounter", write_then_someone_changes_the_appointment)

    result = close(appointment)

    assert not result.finished
    appointment.refresh_from_db()
    assert (appointment.status, appointment.encounter_id) == (AppointmentStatus.NO_SHOW, "")
    operation = Operation.objects.get()
    assert (operation.state, operation.needs_attention) == (OperationState.PREPARED, True)
    assert "commit changed 0 appointment row(s) and 1 operation row(s)" in operation.last_error


def test_the_commit_refuses_when_the_operation_row_moved_on(monkeypatch):
    appointment = appointment_with_record()
    insert = repository.insert_pending_encounter

    def write_then_the_operation_moves_on(**kwargs):
        insert(**kwargs)
        Operation.objects.update(state=OperationState.COMMITTED)

    monkeypatch.setattr(repository, "insert_pending_encounter", write_then_the_operation_moves_on)

    result = close(appointment)

    assert not result.finished
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CLOSING  # the appointment UPDATE was rolled back
    operation = Operation.objects.get()
    assert operation.needs_attention
    assert "commit changed 1 appointment row(s) and 0 operation row(s)" in operation.last_error


def test_reconcile_with_mongodb_stopped_says_so_once_instead_of_timing_out_on_each_operation(stoppable_mongo):
    for _ in range(3):
        close_and_die_before_the_write(appointment_with_record())
    time_passes()
    stoppable_mongo.stop()

    output = reconcile()

    assert output.startswith("reconcile: the records store is unreachable, 3 still waiting")
    assert list(Operation.objects.values_list("attempts", "state").distinct()) == [(0, OperationState.PREPARED)]


def test_an_undo_that_fails_in_mysql_is_kept_on_the_operation_and_retried(monkeypatch):
    appointment = appointment_with_record()
    record_audit = audit.record

    def mysql_fails_for_the_undo(**event):
        if event["action"] == audit.ENCOUNTER_CLOSE_UNDONE:
            raise DatabaseError("(1205, 'Lock wait timeout exceeded')")
        return record_audit(**event)

    monkeypatch.setattr(audit, "record", mysql_fails_for_the_undo)

    result = close(appointment, diagnosis="x" * 5000)

    assert not result.finished
    operation = Operation.objects.get()
    assert (operation.state, operation.attempts) == (OperationState.PREPARED, 1)
    assert "undoing it failed: DatabaseError: (1205" in operation.last_error
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CLOSING

    monkeypatch.setattr(audit, "record", record_audit)
    time_passes()
    assert "1 undone" in reconcile()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED
    assert find_disagreements() == []


def test_a_second_live_close_of_one_appointment_is_refused_by_the_database_not_with_a_500():
    appointment = appointment_with_record()
    close(appointment)
    # Something outside the coordinator put the completed appointment back to scheduled.
    Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.SCHEDULED)

    with pytest.raises(coordinator.ConsultationNotOpen):
        close(appointment, diagnosis="A second note")

    assert Operation.objects.count() == 1
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED
