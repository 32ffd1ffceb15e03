"""Who may read which record, and the data the record pages share."""

from datetime import datetime

from django.db.models import Exists, OuterRef
from django.http import Http404

from accounts.models import Role, User
from medly.text import fold_for_search
from records.models import UNFINISHED_STATES, Operation, OperationKind
from scheduling.models import Appointment


def may_read_record(user, patient_id):
    """Patients their own; doctors those they have or had an appointment with; admins all; reception never."""
    if not user.is_authenticated:
        return False
    if user.role == Role.PATIENT:
        return user.pk == patient_id
    if user.role == Role.DOCTOR:
        return Appointment.objects.filter(doctor=user, patient_id=patient_id).exists()
    return user.role == Role.ADMIN


def may_write_record(user, patient_id):
    return user.is_authenticated and user.role == Role.DOCTOR and may_read_record(user, patient_id)


def patient_or_404(patient_id):
    patient = User.objects.filter(pk=patient_id, role=Role.PATIENT).select_related("patient_profile").first()
    if patient is None:
        raise Http404
    return patient


def patients_for(user, *, query=""):
    """The patients ``user`` may list: a doctor's own patients, everyone for admins."""
    patients = User.objects.filter(role=Role.PATIENT).select_related("patient_profile")
    if user.role == Role.DOCTOR:
        patients = patients.filter(
            Exists(Appointment.objects.filter(doctor=user, patient=OuterRef("pk")))
        )
    elif user.role != Role.ADMIN:
        return User.objects.none()
    for word in fold_for_search(query).split():
        patients = patients.filter(search_text__contains=word)
    return patients.order_by("last_name", "first_name", "pk")


def pending_encounters(patient_id):
    """Consultations closed but still waiting for the records store, from the operation log."""
    operations = Operation.objects.filter(
        patient_id=patient_id, kind=OperationKind.CLOSE_CONSULTATION, state__in=UNFINISHED_STATES
    ).order_by("-created_at")
    return [
        {**operation.payload, "created_at": datetime.fromisoformat(operation.payload["created_at"])}
        for operation in operations
    ]


def pending_record(patient_id):
    """The blood type and allergies given at sign-up while the record document still waits in the log."""
    operation = (
        Operation.objects.filter(patient_id=patient_id, kind=OperationKind.CREATE_RECORD, state__in=UNFINISHED_STATES)
        .order_by("-pk")
        .first()
    )
    return operation.payload if operation else None
