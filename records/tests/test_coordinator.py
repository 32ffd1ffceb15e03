"""Closing a consultation across MySQL and MongoDB: every boundary of the protocol, with real stores."""

import threading
from contextlib import contextmanager
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.utils import timezone

from accounts.models import User
from accounts.services import register_patient
from medly.tests.racing import race
from records import audit, coordinator, repository
from records.consistency import find_disagreements
from records.models import AuditEvent, Operation, OperationState
from records.tests.helpers import appointment_with_record, consultation_payload, encounters_of
from scheduling.models import Appointment, AppointmentStatus


class ProcessDied(BaseException):
    """Raised at a patch point: nothing after it runs, as if the worker had been killed."""


# Each boundary of the protocol, as the step that would run right after it.
BOUNDARIES = {
    "after_prepare": (repository, "insert_pending_encounter"),
    "after_write": (coordinator, "_commit"),
    "after_commit": (repository, "finalize_encounter"),
}


@contextmanager
def patched_step(boundary, replacement):
    """Replace the step right after ``boundary`` for the duration of the block; it gets the original."""
    target, name = BOUNDARIES[boundary]
    original = getattr(target, name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(target, name, lambda *args, **kwargs: replacement(original, *args, **kwargs))
        yield


def dying_at(boundary):
    def die(original, *args, **kwargs):
        raise ProcessDied(boundary)

    return patched_step(boundary, die)


def close(appointment, **payload_overrides):
    return coordinator.close_consultation(
        appointment_id=appointment.pk, doctor=appointment.doctor, payload=consultation_payload(**payload_overrides)
    )


def claims_run_out():
    """What happens when a dead worker's claim expires."""
    Operation.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))


def backoff_runs_out():
    """What happens when a failed operation's next attempt falls due."""
    Operation.objects.filter(next_attempt_at__isnull=False).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def reconcile():
    out = StringIO()
    call_command("reconcile", stdout=out)
    return out.getvalue()


def assert_closed_exactly_once(appointment, diagnosis="Acute pharyngitis"):
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED
    found = encounters_of(appointment)
    assert len(found) == 1
    assert found[0]["state"] == "final"
    assert appointment.encounter_id == found[0]["id"]
    total, encounters = repository.list_encounters(patient_id=appointment.patient_id, offset=0, limit=10)
    assert total == 1
    assert encounters[0]["diagnosis"] == diagnosis
    assert find_disagreements() == []


@pytest.mark.django_db
def test_a_close_writes_both_stores_and_leaves_no_disagreement():
    appointment = appointment_with_record()

    result = close(appointment)

    assert result.finished
    assert_closed_exactly_once(appointment)
    operation = Operation.objects.get(pk=result.operation_id)
    assert operation.state == OperationState.DONE
    encounter = repository.get_encounter(encounter_id=result.encounter_id, patient_id=appointment.patient_id)
    assert encounter["author"] == {"id": appointment.doctor_id, "name": appointment.doctor.get_full_name()}
    assert encounter["created_at"] is not None
    assert AuditEvent.objects.filter(action="encounter.close", encounter_id=result.encounter_id).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("boundary", "appointment_status", "encounter_states"),
    [
        ("after_prepare", AppointmentStatus.CLOSING, []),
        ("after_write", AppointmentStatus.CLOSING, ["pending"]),
        ("after_commit", AppointmentStatus.COMPLETED, ["pending"]),
    ],
)
def test_a_worker_dying_at_each_boundary_is_finished_by_reconcile(boundary, appointment_status, encounter_states):
    appointment = appointment_with_record()

    with dying_at(boundary), pytest.raises(ProcessDied):
        close(appointment)

    appointment.refresh_from_db()
    assert appointment.status == appointment_status
    assert [e["state"] for e in encounters_of(appointment)] == encounter_states
    assert find_disagreements() != []

    assert "held by others" in reconcile()  # the dead worker's claim has not run out yet
    claims_run_out()
    assert "1 finished" in reconcile()

    assert_closed_exactly_once(appointment)
    assert "0 finished" in reconcile()  # repeatable: nothing left to do
    assert_closed_exactly_once(appointment)


@pytest.mark.django_db
def test_mongodb_stopped_before_the_close_loses_nothing(stoppable_mongo):
    appointment = appointment_with_record()
    stoppable_mongo.stop()

    result = close(appointment)

    assert not result.finished
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CLOSING
    assert Operation.objects.get(pk=result.operation_id).payload["diagnosis"] == "Acute pharyngitis"
    assert "still waiting" in reconcile()

    stoppable_mongo.start()
    repository.ensure_indexes()
    repository.create_patient_record(patient_id=appointment.patient_id, blood_type="", allergies=[])
    reconcile()

    assert_closed_exactly_once(appointment)


@pytest.mark.django_db
def test_mongodb_stopped_during_the_close_loses_nothing(stoppable_mongo):
    appointment = appointment_with_record()

    def stop_first(finalize, **kwargs):
        stoppable_mongo.stop()
        return finalize(**kwargs)

    with patched_step("after_commit", stop_first):
        result = close(appointment)

    assert not result.finished
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED
    assert Operation.objects.get(pk=result.operation_id).state == OperationState.COMMITTED

    # The memory engine comes back empty, so the pending document is lost as
    # well: reconcile must write it again from the operation log.
    stoppable_mongo.start()
    repository.ensure_indexes()
    repository.create_patient_record(patient_id=appointment.patient_id, blood_type="", allergies=[])
    reconcile()

    assert Operation.objects.get(pk=result.operation_id).state == OperationState.DONE
    assert_closed_exactly_once(appointment)


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_mysql_failing_at_commit_leaves_the_note_safe_for_reconcile():
    appointment = appointment_with_record()
    locked = threading.Event()
    release = threading.Event()

    def hold_the_appointment_row():
        from django.db import transaction

        with transaction.atomic():
            list(Appointment.objects.select_for_update().filter(pk=appointment.pk))
            locked.set()
            release.wait(timeout=30)
        connection.close()  # this thread's own connection

    with connection.cursor() as cursor:
        cursor.execute("SET SESSION innodb_lock_wait_timeout = 1")

    def lock_before_commit(commit, operation):
        holder.start()
        locked.wait(timeout=10)
        return commit(operation)

    holder = threading.Thread(target=hold_the_appointment_row)
    try:
        with patched_step("after_write", lock_before_commit):
            result = close(appointment)
    finally:
        release.set()
        holder.join(timeout=30)

    assert not result.finished
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CLOSING
    assert [e["state"] for e in encounters_of(appointment)] == ["pending"]
    failed = Operation.objects.get(pk=result.operation_id)
    assert (failed.attempts, failed.needs_attention) == (1, False)
    assert "Lock wait timeout" in failed.last_error

    backoff_runs_out()
    reconcile()

    assert_closed_exactly_once(appointment)


@pytest.mark.django_db
def test_a_document_mongodb_refuses_is_compensated_and_nothing_is_kept():
    appointment = appointment_with_record()

    with pytest.raises(coordinator.ConsultationRejected):
        close(appointment, diagnosis="x" * 5000)

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED
    assert encounters_of(appointment) == []
    assert Operation.objects.get().state == OperationState.ABORTED
    assert find_disagreements() == []
    assert list(AuditEvent.objects.order_by("pk").values_list("action", flat=True)) == [
        "encounter.close",
        "encounter.close_undone",
    ]


@pytest.mark.django_db
def test_a_second_submit_closes_nothing_more():
    appointment = appointment_with_record()
    close(appointment)

    with pytest.raises(coordinator.ConsultationNotOpen):
        close(appointment, diagnosis="A second, different note")

    assert_closed_exactly_once(appointment)


@pytest.mark.django_db
def test_only_the_appointments_doctor_can_close_it():
    appointment = appointment_with_record()
    other = appointment_with_record().doctor

    with pytest.raises(coordinator.NotTheDoctor):
        coordinator.close_consultation(appointment_id=appointment.pk, doctor=other, payload=consultation_payload())

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_two_tabs_submitting_at_once_close_it_once():
    appointment = appointment_with_record()

    outcomes = race(lambda: close(appointment), lambda: close(appointment, diagnosis="Other tab"))

    assert sorted(type(o).__name__ for o in outcomes) == ["CloseResult", "ConsultationNotOpen"]
    winner = next(o for o in outcomes if isinstance(o, coordinator.CloseResult))
    diagnosis = Operation.objects.get(pk=winner.operation_id).payload["diagnosis"]
    assert_closed_exactly_once(appointment, diagnosis=diagnosis)


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_two_reconcilers_racing_never_both_act_on_one_operation(monkeypatch):
    appointment = appointment_with_record()
    with dying_at("after_prepare"), pytest.raises(ProcessDied):
        close(appointment)
    claims_run_out()
    operation = Operation.objects.get()
    writes = []
    insert = repository.insert_pending_encounter

    def counted_insert(**kwargs):
        writes.append(kwargs["encounter_id"])
        return insert(**kwargs)

    monkeypatch.setattr(repository, "insert_pending_encounter", counted_insert)

    outcomes = race(*[lambda: coordinator.roll_forward(operation.pk)] * 4)

    assert sorted(map(str, outcomes)) == ["None", "None", "None", "done"]
    assert writes == [operation.encounter_id]
    operation.refresh_from_db()
    assert operation.attempts == 0
    assert_closed_exactly_once(appointment)


@pytest.mark.django_db
def test_the_record_created_at_sign_up_is_audited_with_its_operation():
    user = register(ip_address="10.0.0.9")

    operation = Operation.objects.get(patient=user)
    event = AuditEvent.objects.get(action="record.create")
    assert (event.user, event.patient, event.ip_address) == (user, user, "10.0.0.9")
    assert event.detail == {"operation": operation.pk, "after": {"blood_type": "A+", "allergies": ["látex"]}}
    assert operation.state == OperationState.DONE


@pytest.mark.django_db
def test_a_sign_up_whose_audit_cannot_be_written_logs_no_record_operation(monkeypatch):
    def mysql_fails(**kwargs):
        raise DatabaseError("(2006, 'MySQL server has gone away')")

    monkeypatch.setattr(audit, "record", mysql_fails)

    with pytest.raises(DatabaseError):
        register()

    assert not Operation.objects.exists()
    assert not User.objects.exists()
    assert repository.list_record_patient_ids() == []


def register(**kwargs):
    return register_patient(
        email="ana@example.com",
        password="a-long-password-2026",
        first_name="Ana",
        last_name="Gómez",
        date_of_birth=date(1990, 1, 2),
        sex="F",
        blood_type="A+",
        allergies=["látex"],
        **kwargs,
    )
