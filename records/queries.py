"""The data the record pages share. Who may see it is decided in records/permissions.py."""

from datetime import datetime

from django.http import Http404

from accounts.models import Role, User
from medly.text import fold_for_search
from records import permissions
from records.models import UNFINISHED_STATES, Operation, OperationKind


def patient_or_404(patient_id):
    patient = User.objects.filter(pk=patient_id, role=Role.PATIENT).select_related("patient_profile").first()
    if patient is None:
        raise Http404
    return patient


def patients_for(user, *, query=""):
    """The patients whose records ``user`` may read (permissions.readable_patients), searched by name or email."""
    patients = permissions.readable_patients(user).select_related("patient_profile")
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
