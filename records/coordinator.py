"""The only code that writes across MySQL and MongoDB.

Each cross-store write is an Operation row in MySQL (the durable log) and
four idempotent steps (docs: design.md, "Closing a consultation across two
stores"):

1. prepare  — MySQL: the operation row with the whole payload; the appointment becomes ``closing``.
2. write    — MongoDB: the encounter as ``pending`` under the id chosen in step 1.
3. commit   — MySQL: the appointment ``completed`` with its encounter id; the operation ``committed``.
   Both UPDATEs must change exactly one row, or the transaction is rolled back
   (``CommitConflict``): the operation is never silently marked done. In the same
   transaction the encounter takes its place in the patient's record chain
   (records/chain.py): the chain head is locked (after the appointment and the
   operation), the link computed from the payload in the log and kept on the
   operation row, and the head moved to it.
4. finalize — MongoDB: the encounter ``final`` with its chain link; the operation ``done``.

The encounter is linked at the commit, not at the prepare: only a prepared
close can be undone, so an undone close never held a place in the chain and
never leaves the head pointing at an entry that will not exist; and two closes
for one patient, prepared in any order, are linked one after the other under
the head's row lock. The link is still computed before the MongoDB write that
stores it (finalize), from the log alone, so a rewrite after an outage stores
the very same hash.

An addendum (``log_addendum``) is committed at once: its operation row, its
audit event and its place in the chain in one MySQL transaction, then the
MongoDB write (``write_addendum``), which reconcile repeats until it is done.

Every operation is handled on its own, so one bad operation never holds up
the others:

- An unreachable store leaves the operation where it is, with the error kept
  on it; ``roll_forward`` (``manage.py reconcile``) finishes it once the store
  is back. It does not count as a failure of the operation.
- A document MongoDB refuses before the commit is compensated: the pending
  encounter is removed, the appointment is ``scheduled`` again, the operation
  ``aborted`` (its ``live_appointment`` emptied, so the close can be tried
  again) and the doctor is told (at once, or on the agenda when reconcile did it).
- A refusal after the commit (at finalize) is never compensated: MySQL already
  says the consultation is completed and the doctor was told so, and undoing it
  would mean deleting a signed note. The operation stays ``committed`` with the
  whole note in its payload and is flagged "needs attention" at once, for a
  person to fix; reconcile keeps retrying it.
- Any other failure (a MySQL error, a PyMongo error the repository does not
  map, any exception) is recorded on the operation: ``attempts`` counted in the
  UPDATE itself, ``last_error``, and ``next_attempt_at`` with exponential
  backoff (OPERATION_RETRY_BASE_SECONDS doubling up to
  OPERATION_RETRY_MAX_SECONDS). After OPERATION_ATTENTION_AFTER failures the
  operation "needs attention": Django admin, ``check_consistency``,
  ``/healthz`` and the doctor's agenda show it.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Role
from records import audit, chain, repository
from records.exceptions import (
    CommitConflict,
    ConsultationError,
    ConsultationNotOpen,
    ConsultationRejected,
    NotTheDoctor,
)
from records.models import UNFINISHED_STATES, Operation, OperationKind, OperationState
from scheduling.models import Appointment, AppointmentStatus

__all__ = [
    "CloseResult",
    "ConsultationError",
    "ConsultationNotOpen",
    "ConsultationRejected",
    "NotTheDoctor",
    "close_consultation",
    "create_record_now",
    "log_record_creation",
    "roll_forward",
    "unfinished_operations",
]

logger = logging.getLogger(__name__)

CLAIM_SECONDS = 60
ERROR_LIMIT = 2000


@dataclass(frozen=True)
class CloseResult:
    operation_id: int
    encounter_id: str
    finished: bool  # False: safe in the log, waiting for the records store


def _due(now):
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


def _claim(operation_id, *, now=None):
    """Take a due operation for CLAIM_SECONDS if nobody holds it; True if this caller got it."""
    now = now or timezone.now()
    claimed = (
        Operation.objects.filter(pk=operation_id, state__in=UNFINISHED_STATES)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .filter(_due(now))
        .update(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
    )
    return claimed == 1


def _describe(exc):
    return f"{type(exc).__name__}: {exc}"[:ERROR_LIMIT]


def _release(operation_id, error):
    """An outage: keep the error, let the next reconcile try again at once."""
    try:
        Operation.objects.filter(pk=operation_id).update(claimed_until=None, last_error=error[:ERROR_LIMIT])
    except DatabaseError:
        logger.warning("could not release operation %s; its claim runs out by itself", operation_id)


def retry_delay(attempts):
    """How long reconcile leaves an operation alone after its ``attempts``-th failure."""
    base = settings.OPERATION_RETRY_BASE_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), settings.OPERATION_RETRY_MAX_SECONDS))


def _record_failure(operation_id, error, *, attention=False):
    """Count one failed attempt, keep its error and back off; flag the operation once it keeps failing."""
    now = timezone.now()
    try:
        with transaction.atomic(durable=True):
            unfinished = Operation.objects.filter(pk=operation_id, state__in=UNFINISHED_STATES)
            if not unfinished.update(attempts=F("attempts") + 1, last_error=error[:ERROR_LIMIT], claimed_until=None):
                return
            # The row is locked by the UPDATE above until this transaction ends.
            attempts = unfinished.values_list("attempts", flat=True).get()
            changes = {"next_attempt_at": now + retry_delay(attempts)}
            if attention or attempts >= settings.OPERATION_ATTENTION_AFTER:
                changes["needs_attention"] = True
            unfinished.update(**changes)
    except DatabaseError:
        logger.exception("could not record the failure of operation %s; its claim runs out by itself", operation_id)
    logger.warning("operation %s failed: %s", operation_id, error)


def _run(operation):
    """Carry the claimed operation as far as it goes; returns its state afterwards. Never raises Exception."""
    try:
        if operation.kind == OperationKind.CREATE_RECORD:
            _create_record(operation)
        elif operation.kind == OperationKind.ADD_ADDENDUM:
            _write_addendum(operation)
        else:
            if operation.state == OperationState.PREPARED:
                repository.insert_pending_encounter(
                    encounter_id=operation.encounter_id, document=_mongo_document(operation)
                )
                _commit(operation)
            _finalize(operation)
        return OperationState.DONE
    except repository.RecordsUnavailable as exc:
        _release(operation.pk, _describe(exc))
    except repository.InvalidRecord as exc:
        return _refused(operation, exc)
    except CommitConflict as exc:
        _record_failure(operation.pk, _describe(exc), attention=True)
    except Exception as exc:  # a poison operation must not stop the others; the error is kept on it
        logger.exception("operation %s failed", operation.pk)
        _record_failure(operation.pk, _describe(exc))
    return operation.state


def _refused(operation, exc):
    """MongoDB refused the document: undo a close that is not committed yet, otherwise flag it for a person."""
    if operation.kind != OperationKind.CLOSE_CONSULTATION or operation.state != OperationState.PREPARED:
        # After the commit (or for a record document) there is nothing safe to undo: see the module docstring.
        _record_failure(operation.pk, _describe(exc), attention=True)
        return operation.state
    try:
        if _abort(operation, str(exc)):
            return OperationState.ABORTED
    except Exception as abort_failure:  # the undo is retried like any other failed step
        logger.exception("operation %s: undoing the refused close failed", operation.pk)
        _record_failure(operation.pk, f"{_describe(exc)}; undoing it failed: {_describe(abort_failure)}")
    return operation.state


# --- patient records -----------------------------------------------------------


def log_record_creation(*, patient, blood_type, allergies, actor=None, ip_address=None):
    """Inside the caller's MySQL transaction: log the record document to create, and audit it."""
    payload = {"blood_type": blood_type, "allergies": list(allergies)}
    with transaction.atomic():
        operation = Operation.objects.create(
            kind=OperationKind.CREATE_RECORD,
            patient=patient,
            payload=payload,
            claimed_until=timezone.now() + timedelta(seconds=CLAIM_SECONDS),
        )
        audit.record(
            user=actor or patient,
            action=audit.RECORD_CREATE,
            patient_id=patient.pk,
            ip_address=ip_address,
            operation=operation.pk,
            after=payload,
        )
    return operation


def create_record_now(operation_id):
    """Try to write the logged record document now; anything in the way leaves it to reconcile."""
    return _run(Operation.objects.get(pk=operation_id)) == OperationState.DONE


def _create_record(operation):
    repository.create_patient_record(
        patient_id=operation.patient_id,
        blood_type=operation.payload.get("blood_type", ""),
        allergies=operation.payload.get("allergies", []),
    )
    _mark_done(operation, UNFINISHED_STATES)


def _mark_done(operation, from_states):
    Operation.objects.filter(pk=operation.pk, state__in=from_states).update(
        state=OperationState.DONE, claimed_until=None, last_error="", next_attempt_at=None, needs_attention=False
    )


# --- consultations ------------------------------------------------------------


def close_consultation(*, appointment_id, doctor, payload, ip_address=None):
    """Close the appointment's consultation into the patient's record. See the module docstring."""
    operation = _prepare(appointment_id=appointment_id, doctor=doctor, payload=payload, ip_address=ip_address)
    state = _run(operation)
    if state == OperationState.ABORTED:
        raise ConsultationRejected(operation.last_error)
    # Anything else: the payload is safe in the operation log and reconcile finishes the rest.
    return CloseResult(operation.pk, operation.encounter_id, finished=state == OperationState.DONE)


def _prepare(*, appointment_id, doctor, payload, ip_address):
    now = timezone.now()
    with transaction.atomic(durable=True):
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
            # The day the patient was seen, which the note is about; created_at stays the time it was signed.
            "visit_at": appointment.starts_at.isoformat(),
            "addenda": [],
        }
        try:
            with transaction.atomic():
                operation = Operation.objects.create(
                    kind=OperationKind.CLOSE_CONSULTATION,
                    patient_id=appointment.patient_id,
                    appointment=appointment,
                    live_appointment=appointment,
                    encounter_id=encounter_id,
                    payload=document,
                    author=doctor,
                    claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
                )
        except IntegrityError:
            # Another close of this appointment is still live although the appointment says scheduled.
            raise ConsultationNotOpen(appointment.status) from None
        appointment.status = AppointmentStatus.CLOSING
        appointment.save(update_fields=["status"])
        audit.record(
            user=doctor,
            action=audit.ENCOUNTER_CLOSE,
            patient_id=appointment.patient_id,
            encounter_id=encounter_id,
            ip_address=ip_address,
        )
        if "allergy_override" in payload:
            override = payload["allergy_override"]
            audit.record(
                user=doctor,
                action=audit.ENCOUNTER_ALLERGY_OVERRIDE,
                patient_id=appointment.patient_id,
                encounter_id=encounter_id,
                ip_address=ip_address,
                reason=override["reason"],
                warnings=override["warnings"],
            )
    return operation


def _mongo_document(operation):
    document = dict(operation.payload)
    document["created_at"] = datetime.fromisoformat(document["created_at"])
    if "visit_at" in document:
        document["visit_at"] = datetime.fromisoformat(document["visit_at"])
    return document


def _encounter_content(operation):
    return chain.encounter_content({**_mongo_document(operation), "_id": operation.encounter_id})


def _commit(operation):
    content = _encounter_content(operation)
    chain.ensure_head(operation.patient_id)
    with transaction.atomic(durable=True):
        completed = Appointment.objects.filter(pk=operation.appointment_id, status=AppointmentStatus.CLOSING).update(
            status=AppointmentStatus.COMPLETED, encounter_id=operation.encounter_id
        )
        committed = Operation.objects.filter(pk=operation.pk, state=OperationState.PREPARED).update(
            state=OperationState.COMMITTED
        )
        if (completed, committed) != (1, 1):
            raise CommitConflict(
                f"commit changed {completed} appointment row(s) and {committed} operation row(s), not 1 and 1: "
                f"appointment {operation.appointment_id} is no longer closing or the operation was moved on"
            )
        link = chain.append(chain.lock_head(operation.patient_id), kind=chain.ENCOUNTER, content=content)
        Operation.objects.filter(pk=operation.pk).update(**chain.link_fields(link))
    operation.state = OperationState.COMMITTED
    for field, value in chain.link_fields(link).items():
        setattr(operation, field, value)


def _finalize(operation):
    # None for a close committed before the chain existed: build_record_chains links it later.
    link = chain.operation_link(operation)
    stored_link = link.as_document() if link else None
    if not repository.finalize_encounter(encounter_id=operation.encounter_id, chain=stored_link):
        # The pending document is gone (the store lost it): write it again from the log.
        repository.insert_pending_encounter(encounter_id=operation.encounter_id, document=_mongo_document(operation))
        repository.finalize_encounter(encounter_id=operation.encounter_id, chain=stored_link)
    _mark_done(operation, (OperationState.COMMITTED,))


def _abort(operation, reason):
    """Undo a close MongoDB refused before the commit; False if that has to wait for the store."""
    try:
        repository.delete_pending_encounter(encounter_id=operation.encounter_id)
    except repository.RecordsUnavailable as exc:
        _release(operation.pk, _describe(exc))
        return False
    with transaction.atomic(durable=True):
        Appointment.objects.filter(pk=operation.appointment_id, status=AppointmentStatus.CLOSING).update(
            status=AppointmentStatus.SCHEDULED
        )
        aborted = Operation.objects.filter(pk=operation.pk, state=OperationState.PREPARED).update(
            state=OperationState.ABORTED,
            live_appointment=None,
            claimed_until=None,
            last_error=reason[:ERROR_LIMIT],
            next_attempt_at=None,
            needs_attention=False,
        )
        if not aborted:
            transaction.set_rollback(True)
            return False
        # The close was audited when it was prepared; the audit trail must show it was undone.
        audit.record(
            user=operation.author,
            action=audit.ENCOUNTER_CLOSE_UNDONE,
            patient_id=operation.patient_id,
            encounter_id=operation.encounter_id,
            reason=reason[:500],
        )
    operation.state = OperationState.ABORTED
    operation.last_error = reason[:ERROR_LIMIT]
    return True


# --- addenda -------------------------------------------------------------------


def log_addendum(*, doctor, patient_id, encounter_id, addendum, audit_detail, ip_address=None):
    """MySQL, one transaction: the addendum's operation (committed), its audit event and its place in the chain.

    ``addendum`` is the element to push into the encounter's ``addenda`` (id,
    author, reason, text, created_at). Returns the operation, or None if this
    addendum id was logged before (a repeated submit): then nothing is written.
    """
    now = timezone.now()
    content = chain.addendum_content(addendum, encounter_id=encounter_id, patient_id=patient_id)
    chain.ensure_head(patient_id)
    try:
        with transaction.atomic(durable=True):
            head = chain.lock_head(patient_id)
            if Operation.objects.filter(addendum_id=addendum["id"]).exists():
                return None
            link = chain.append(head, kind=chain.ADDENDUM, content=content)
            operation = Operation.objects.create(
                kind=OperationKind.ADD_ADDENDUM,
                state=OperationState.COMMITTED,
                patient_id=patient_id,
                encounter_id=encounter_id,
                addendum_id=addendum["id"],
                payload={**addendum, "created_at": addendum["created_at"].isoformat()},
                author=doctor,
                claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
                **chain.link_fields(link),
            )
            audit.record(
                user=doctor,
                action=audit.ENCOUNTER_ADDENDUM,
                patient_id=patient_id,
                encounter_id=encounter_id,
                ip_address=ip_address,
                **audit_detail,
            )
    except IntegrityError:
        # The same addendum id under another patient's lock: it is taken, so this one is a repeat too.
        return None
    return operation


def write_addendum_now(operation_id):
    """Try to write the logged addendum now; True if it is in MongoDB, False if it waits for reconcile."""
    return _run(Operation.objects.get(pk=operation_id)) == OperationState.DONE


def _write_addendum(operation):
    addendum = {**operation.payload, "created_at": datetime.fromisoformat(operation.payload["created_at"])}
    link = chain.operation_link(operation)
    added = repository.add_addendum(
        encounter_id=operation.encounter_id,
        patient_id=operation.patient_id,
        addendum={**addendum, "chain": link.as_document()},
    )
    if not added and not repository.has_addendum(encounter_id=operation.encounter_id, addendum_id=addendum["id"]):
        raise repository.InvalidRecord(f"encounter {operation.encounter_id} is not a final encounter of this patient")
    _mark_done(operation, (OperationState.COMMITTED,))


# --- reconcile -----------------------------------------------------------------


def unfinished_operations(*, now=None):
    """Unfinished operations whose next attempt is due, oldest first."""
    now = now or timezone.now()
    return Operation.objects.filter(state__in=UNFINISHED_STATES).filter(_due(now)).order_by("pk")


def roll_forward(operation_id):
    """Finish (or compensate) one unfinished operation if it is due and nobody else holds it.

    Returns the operation's state afterwards, or None if it is held elsewhere or not due.
    """
    if not _claim(operation_id):
        return None
    return _run(Operation.objects.get(pk=operation_id))
