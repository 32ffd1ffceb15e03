"""The only code that writes across MySQL and MongoDB.

Each cross-store write is an Operation row in MySQL (the durable log) and
four idempotent steps (docs: design.md, "Closing a consultation across two
stores"):

1. prepare  — MySQL: the operation row with the whole payload; the appointment becomes ``closing``.
2. write    — MongoDB: the encounter as ``pending`` under the id chosen in step 1.
3. commit   — MySQL: the appointment ``completed`` with its encounter id; the operation ``committed``.
4. finalize — MongoDB: the encounter ``final``; the operation ``done``.

An unreachable store leaves the operation where it is; ``roll_forward``
(``manage.py reconcile``) finishes it later. A document MongoDB can never
accept is compensated: the pending encounter is removed, the appointment is
``scheduled`` again and the operation ``aborted``.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Role
from records import audit, repository
from records.models import Operation, OperationKind, OperationState
from scheduling.models import Appointment, AppointmentStatus

logger = logging.getLogger(__name__)

CLAIM_SECONDS = 60


class ConsultationError(Exception):
    pass


class ConsultationNotOpen(ConsultationError):
    """The appointment is not scheduled (already closing or closed, cancelled...)."""

    def __init__(self, status):
        super().__init__(status)
        self.status = status


class NotTheDoctor(ConsultationError):
    pass


class ConsultationRejected(ConsultationError):
    """The records store refused the document for good; nothing was kept."""


@dataclass(frozen=True)
class CloseResult:
    operation_id: int
    encounter_id: str
    finished: bool  # False: safe in the log, waiting for the records store


# Test hooks: a test sets one to a callable to make the process "die" at that boundary.
HOOKS = {"after_prepare": None, "after_write": None, "after_commit": None}


def _hook(name):
    hook = HOOKS.get(name)
    if hook is not None:
        hook()


def _claim(operation_id, *, now=None):
    """Take the operation for CLAIM_SECONDS if nobody holds it; True if this caller got it."""
    now = now or timezone.now()
    claimed = Operation.objects.filter(
        pk=operation_id, state__in=(OperationState.PREPARED, OperationState.COMMITTED),
    ).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    ).update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
    return claimed == 1


def _release(operation_id, error=""):
    Operation.objects.filter(pk=operation_id).update(claimed_until=None, last_error=error[:2000])


def _release_quietly(operation_id, error):
    try:
        _release(operation_id, error)
    except DatabaseError:
        logger.warning("could not release operation %s; its claim runs out by itself", operation_id)


# --- patient records -----------------------------------------------------------


def log_record_creation(*, patient, blood_type, allergies):
    """Inside the caller's MySQL transaction: log the record document to create."""
    return Operation.objects.create(
        kind=OperationKind.CREATE_RECORD,
        patient=patient,
        payload={"blood_type": blood_type, "allergies": list(allergies)},
        claimed_until=timezone.now() + timedelta(seconds=CLAIM_SECONDS),
    )


def create_record_now(operation_id):
    """Try to write the logged record document now; an outage leaves it to reconcile."""
    try:
        _create_record(Operation.objects.get(pk=operation_id))
    except repository.RecordsUnavailable as exc:
        logger.warning("record for operation %s waits for MongoDB: %s", operation_id, exc)
        _release(operation_id, str(exc))
        return False
    return True


def _create_record(operation):
    repository.create_patient_record(
        patient_id=operation.patient_id,
        blood_type=operation.payload.get("blood_type", ""),
        allergies=operation.payload.get("allergies", []),
    )
    Operation.objects.filter(pk=operation.pk).update(
        state=OperationState.DONE, claimed_until=None, last_error=""
    )


# --- consultations ------------------------------------------------------------


def close_consultation(*, appointment_id, doctor, payload, ip_address=None):
    """Close the appointment's consultation into the patient's record. See the module docstring."""
    operation = _prepare(appointment_id=appointment_id, doctor=doctor, payload=payload, ip_address=ip_address)
    _hook("after_prepare")
    try:
        _write(operation)
        _hook("after_write")
        _commit(operation)
        _hook("after_commit")
        _finalize(operation)
    except repository.InvalidRecord as exc:
        _abort(operation, str(exc))
        raise ConsultationRejected(str(exc)) from exc
    except (repository.RecordsUnavailable, DatabaseError) as exc:
        # The payload is safe in the operation log; reconcile finishes the rest.
        logger.warning("consultation %s left for reconcile: %s", operation.pk, exc)
        _release_quietly(operation.pk, str(exc))
        return CloseResult(operation.pk, operation.encounter_id, finished=False)
    return CloseResult(operation.pk, operation.encounter_id, finished=True)


def _prepare(*, appointment_id, doctor, payload, ip_address):
    now = timezone.now()
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=appointment_id)
        if doctor.role != Role.DOCTOR or appointment.doctor_id != doctor.pk:
            raise NotTheDoctor()
        if appointment.status != AppointmentStatus.SCHEDULED:
            raise ConsultationNotOpen(appointment.status)
        encounter_id = repository.new_encounter_id()
        document = {
            **payload,
            "appointment_id": appointment.pk,
            "patient_id": appointment.patient_id,
            "doctor_id": doctor.pk,
            "author": {"id": doctor.pk, "name": doctor.get_full_name()},
            "created_at": now.isoformat(),
            "addenda": [],
        }
        operation = Operation.objects.create(
            kind=OperationKind.CLOSE_CONSULTATION,
            patient_id=appointment.patient_id,
            appointment=appointment,
            encounter_id=encounter_id,
            payload=document,
            author=doctor,
            claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
        )
        appointment.status = AppointmentStatus.CLOSING
        appointment.save(update_fields=["status"])
        audit.record(
            user=doctor, action=audit.ENCOUNTER_CLOSE, patient_id=appointment.patient_id,
            encounter_id=encounter_id, ip_address=ip_address,
        )
    return operation


def _mongo_document(operation):
    document = dict(operation.payload)
    document["created_at"] = datetime.fromisoformat(document["created_at"])
    return document


def _write(operation):
    Operation.objects.filter(pk=operation.pk).update(attempts=operation.attempts + 1)
    repository.insert_pending_encounter(encounter_id=operation.encounter_id, document=_mongo_document(operation))


def _commit(operation):
    with transaction.atomic():
        Appointment.objects.filter(pk=operation.appointment_id, status=AppointmentStatus.CLOSING).update(
            status=AppointmentStatus.COMPLETED, encounter_id=operation.encounter_id
        )
        Operation.objects.filter(pk=operation.pk, state=OperationState.PREPARED).update(
            state=OperationState.COMMITTED
        )


def _finalize(operation):
    if not repository.finalize_encounter(encounter_id=operation.encounter_id):
        # The pending document is gone (the store lost it): write it again from the log.
        _write(operation)
        repository.finalize_encounter(encounter_id=operation.encounter_id)
    Operation.objects.filter(pk=operation.pk, state=OperationState.COMMITTED).update(
        state=OperationState.DONE, claimed_until=None, last_error=""
    )


def _abort(operation, reason):
    try:
        repository.delete_pending_encounter(encounter_id=operation.encounter_id)
    except repository.RecordsUnavailable:
        # Nothing can have been written if the store is down; reconcile checks again.
        _release(operation.pk, reason)
        return
    with transaction.atomic():
        Appointment.objects.filter(pk=operation.appointment_id, status=AppointmentStatus.CLOSING).update(
            status=AppointmentStatus.SCHEDULED
        )
        aborted = Operation.objects.filter(pk=operation.pk, state=OperationState.PREPARED).update(
            state=OperationState.ABORTED, claimed_until=None, last_error=reason[:2000]
        )
        if aborted:
            # The close was audited when it was prepared; the audit trail must show it was undone.
            audit.record(
                user=operation.author, action=audit.ENCOUNTER_CLOSE_UNDONE, patient_id=operation.patient_id,
                encounter_id=operation.encounter_id, reason=reason[:500],
            )


# --- reconcile -----------------------------------------------------------------


def unfinished_operations():
    return Operation.objects.filter(state__in=(OperationState.PREPARED, OperationState.COMMITTED)).order_by("pk")


def roll_forward(operation_id):
    """Finish (or compensate) one unfinished operation if nobody else holds it.

    Returns the operation's state afterwards, or None if another worker holds it.
    """
    if not _claim(operation_id):
        return None
    operation = Operation.objects.get(pk=operation_id)
    try:
        if operation.kind == OperationKind.CREATE_RECORD:
            _create_record(operation)
        elif operation.state == OperationState.PREPARED:
            try:
                _write(operation)
            except repository.InvalidRecord as exc:
                _abort(operation, str(exc))
                return Operation.objects.get(pk=operation_id).state
            _commit(operation)
            _finalize(operation)
        else:
            _finalize(operation)
    except repository.RecordsUnavailable as exc:
        _release(operation_id, str(exc))
    return Operation.objects.get(pk=operation_id).state
