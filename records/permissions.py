"""Who may read and write a patient's clinical record: the one place these rules are written.

Views, services and templates (through context flags computed here) all ask these functions.

A doctor has access to a patient's record while an appointment with that patient grants it:
- ``completed``: they treated the patient, so they keep access to the record;
- ``scheduled`` (checked in or not) or ``closing``, starting at most RECORD_ACCESS_DAYS_AHEAD days
  from now. There is no lower bound: an appointment that started earlier today, or one in the
  past that is still open (its note not yet written, or waiting for the records store), keeps
  granting access until it is closed (then it is completed), cancelled or marked as a no-show;
- ``cancelled`` and ``no_show`` grant nothing.
Access is the same for reading, editing blood type and allergies, and adding an addendum.
Patients read their own record; admins read every record and write none; reception never
reads clinical content.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import Role, User
from scheduling.models import Appointment, AppointmentStatus

OPEN_STATUSES = (AppointmentStatus.SCHEDULED, AppointmentStatus.CLOSING)


def _horizon():
    return timezone.now() + timedelta(days=settings.RECORD_ACCESS_DAYS_AHEAD)


def _granting():
    """The appointments that give their doctor access to their patient's record, as a filter."""
    return Q(status=AppointmentStatus.COMPLETED) | Q(status__in=OPEN_STATUSES, starts_at__lte=_horizon())


def appointment_grants_access(appointment):
    """The same rule as _granting, for one appointment already loaded (the agenda's links)."""
    if appointment.status == AppointmentStatus.COMPLETED:
        return True
    return appointment.status in OPEN_STATUSES and appointment.starts_at <= _horizon()


def _doctor_has_access(doctor, patient_id):
    return Appointment.objects.filter(_granting(), doctor=doctor, patient_id=patient_id).exists()


@dataclass(frozen=True)
class RecordRights:
    """What one user may do with one patient's record, decided once per request (one query at most)."""

    read: bool = False
    edit: bool = False  # blood type and allergies, addenda, the first history
    export: bool = False
    see_integrity_details: bool = False

    @property
    def add_addendum(self):
        return self.edit

    @property
    def write_history(self):
        return self.edit


def record_rights(user, patient_id):
    """The rights of ``user`` over ``patient_id``'s record (see the module docstring); every may_* below asks it.

    Export: the patient themself, or a doctor with access (NOM-024 6.6.6). Admins read every
    record in the clinic but hand copies out only through the patient's own request.
    """
    if not user.is_authenticated:
        return RecordRights()
    if user.role == Role.PATIENT:
        own = user.pk == patient_id
        return RecordRights(read=own, export=own)
    if user.role == Role.DOCTOR:
        access = _doctor_has_access(user, patient_id)
        return RecordRights(read=access, edit=access, export=access, see_integrity_details=True)
    if user.role == Role.ADMIN:
        return RecordRights(read=True, see_integrity_details=True)
    return RecordRights()


def may_read_record(user, patient_id):
    return record_rights(user, patient_id).read


def may_export_record(user, patient_id):
    return record_rights(user, patient_id).export


def may_edit_record(user, patient_id):
    """Blood type and allergies: doctors with current access."""
    return record_rights(user, patient_id).edit


def may_add_addendum(user, patient_id):
    """An addendum to any final note of the patient, their own or another doctor's."""
    return record_rights(user, patient_id).add_addendum


def may_write_history(user, patient_id):
    """Fill the first history (NOM-004 6.1) once, then amend it by addenda: doctors with current access.

    Reading it follows may_read_record: reception never sees it.
    """
    return record_rights(user, patient_id).write_history


def may_open_consultation(user, appointment):
    """The appointment's own doctor, once it starts within RECORD_ACCESS_DAYS_AHEAD days.

    Whatever its status: a consultation page that can no longer close (cancelled, marked as a
    no-show, already closed) is still the doctor's to see, with the reason and their typed note.
    """
    return (
        user.is_authenticated
        and user.role == Role.DOCTOR
        and appointment.doctor_id == user.pk
        and appointment.starts_at <= _horizon()
    )


def readable_patients(user):
    """The patients whose records ``user`` may read, as a queryset: the same rule as may_read_record."""
    patients = User.objects.filter(role=Role.PATIENT)
    if not user.is_authenticated:
        return patients.none()
    if user.role == Role.DOCTOR:
        return patients.filter(Exists(Appointment.objects.filter(_granting(), doctor=user, patient=OuterRef("pk"))))
    if user.role == Role.ADMIN:
        return patients
    if user.role == Role.PATIENT:
        return patients.filter(pk=user.pk)
    return patients.none()


def addendum_authors(*, addendum_author, note_author):
    """Who wrote the addendum and whose note it amends; both are named when they differ.

    ``note_author`` is the encounter's ``author`` ({"id", "name"}); ``addendum_author`` a user.
    """
    authors = {"author": {"id": addendum_author.pk, "name": addendum_author.get_full_name()}}
    if note_author and note_author.get("id") != addendum_author.pk:
        authors["note_author"] = {"id": note_author.get("id"), "name": note_author.get("name", "")}
    return authors


def name_note_authors(encounter):
    """Mark each addendum written by someone other than the note's author with that author's name."""
    note_author = encounter.get("author") or {}
    for addendum in encounter.get("addenda") or []:
        if addendum.get("author_id") != note_author.get("id"):
            addendum["note_author_name"] = note_author.get("name", "")
    return encounter
