"""Audit events for every read and write of clinical data (NOM-024-SSA3-2012)."""

from medly.client import client_ip
from records.models import AuditEvent

RECORD_VIEW = "record.view"
RECORD_CREATE = "record.create"
# Record edits and addenda are audited before MongoDB is written; this follows when the write then did not happen.
RECORD_UPDATE = "record.update"
RECORD_UPDATE_NOT_WRITTEN = "record.update_not_written"
ENCOUNTER_CLOSE = "encounter.close"
ENCOUNTER_CLOSE_UNDONE = "encounter.close_undone"
ENCOUNTER_ADDENDUM = "encounter.addendum"
# A close that went ahead despite allergy warnings: the doctor's reason and the warnings overridden.
ENCOUNTER_ALLERGY_OVERRIDE = "encounter.allergy_override"
ENCOUNTER_ADDENDUM_NOT_WRITTEN = "encounter.addendum_not_written"
HISTORY_VIEW = "history.view"
HISTORY_FILL = "history.fill"
HISTORY_FILL_NOT_WRITTEN = "history.fill_not_written"
HISTORY_ADDENDUM = "history.addendum"
HISTORY_ADDENDUM_NOT_WRITTEN = "history.addendum_not_written"
ADMIN_VIEW = "admin.view"
PRESCRIPTION_PRINT = "prescription.print"
RECORD_EXPORT = "record.export"
ACCESS_DENIED = "record.access_denied"
APPOINTMENT_NO_SHOW = "appointment.no_show"
APPOINTMENT_NO_SHOW_REVERTED = "appointment.no_show_reverted"
CLINIC_CLOSURE = "clinic.closure"


def record(*, user, action, patient_id=None, encounter_id="", ip_address=None, **detail):
    return AuditEvent.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        role=getattr(user, "role", "") or "",
        action=action,
        patient_id=patient_id,
        encounter_id=encounter_id or "",
        ip_address=ip_address,
        detail=detail,
    )


def client_address(request):
    return client_ip(request)


def record_views(*, user, patient_ids, ip_address=None, **detail):
    """One RECORD_VIEW event per patient, in one insert: a page that shows several patients' clinical facts."""
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                user=user,
                role=user.role,
                action=RECORD_VIEW,
                patient_id=patient_id,
                ip_address=ip_address,
                detail=detail,
            )
            for patient_id in patient_ids
        ]
    )
