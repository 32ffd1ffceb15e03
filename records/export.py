"""A copy of what Medly holds on a patient (ARCO access, LFPDPPP; NOM-024-SSA3-2012 6.6.6).

``patient_copy`` gathers it once, as plain data; ``as_json`` and ``records.fhir.bundle`` write it
out. Two scopes: the patient's own copy holds everything (account, consents, appointments,
waitlist, reminders, the clinical record and who accessed it); a doctor's export of a patient
holds what a record transfer needs (identity, blood type, allergies and the clinical notes).
"""

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from accounts.models import PrivacyConsent
from records import repository
from records.models import AuditEvent, ClinicDetails
from reminders.models import Reminder, ReminderConsent
from scheduling.models import Appointment
from waitlist.models import WaitlistEntry, WaitlistOffer

FORMAT_VERSION = 1


class Scope:
    PATIENT = "patient"
    CLINICAL = "clinical"


@dataclass
class PatientCopy:
    """What an export holds, gathered in a fixed number of queries and one MongoDB read per collection."""

    scope: str
    patient: object
    clinic: object
    record: dict
    encounters: list
    appointments: list
    visit_starts: dict = field(default_factory=dict)
    privacy_consents: list = field(default_factory=list)
    reminder_consent: object = None
    reminders: list = field(default_factory=list)
    waitlist_entries: list = field(default_factory=list)
    waitlist_offers: list = field(default_factory=list)
    accesses: list = field(default_factory=list)
    generated_at: datetime = field(default_factory=timezone.now)
    history: dict | None = None


def patient_copy(patient, *, scope):
    """Everything the export of ``patient`` holds for ``scope``; reading MongoDB may raise RecordsUnavailable."""
    record = repository.get_patient_record(patient_id=patient.pk) or {}
    encounters = repository.all_encounters(patient_id=patient.pk)
    appointments = list(
        Appointment.objects.filter(patient=patient)
        .select_related("doctor", "booked_by", "cancelled_by")
        .order_by("starts_at", "pk")
    )
    copy = PatientCopy(
        scope=scope,
        patient=patient,
        clinic=ClinicDetails.current(),
        record=record,
        encounters=encounters,
        appointments=appointments if scope == Scope.PATIENT else [],
        visit_starts={appointment.pk: appointment.starts_at for appointment in appointments},
        history=repository.get_history(patient_id=patient.pk),
    )
    if scope == Scope.PATIENT:
        copy.privacy_consents = list(PrivacyConsent.objects.filter(user=patient).order_by("accepted_at", "pk"))
        copy.reminder_consent = ReminderConsent.objects.filter(patient=patient).first()
        copy.reminders = list(Reminder.objects.filter(appointment__patient=patient).order_by("due_at", "pk"))
        copy.waitlist_entries = list(
            WaitlistEntry.objects.filter(patient=patient).select_related("doctor").order_by("joined_at", "pk")
        )
        copy.waitlist_offers = list(WaitlistOffer.objects.filter(patient=patient).order_by("offered_at", "pk"))
        copy.accesses = list(
            AuditEvent.objects.filter(patient=patient).select_related("user").order_by("created_at", "pk")
        )
    return copy


def _when(value):
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _addenda(document):
    return [
        {
            "author": addendum.get("author_name", ""),
            "written_at": _when(addendum.get("created_at")),
            "reason": addendum.get("reason", ""),
            "text": addendum.get("text", ""),
        }
        for addendum in document.get("addenda", [])
    ]


def _encounter(document, visit_starts):
    return {
        "id": document["id"],
        "state": document.get("state"),
        "appointment_id": document.get("appointment_id"),
        "visit_started_at": _when(visit_starts.get(document.get("appointment_id"))),
        "written_at": _when(document.get("created_at")),
        "author": (document.get("author") or {}).get("name", ""),
        "diagnosis": document.get("diagnosis", ""),
        "diagnosis_code": document.get("diagnosis_code", ""),
        "note": {
            name: document[name]
            for name in ("evolution", "physical_exam", "results", "prognosis", "treatment", "notes")
            if name in document
        },
        "vitals": {name: value for name, value in (document.get("vitals") or {}).items() if value is not None},
        "prescription": document.get("prescription", []),
        "addenda": _addenda(document),
    }


def _history(document):
    """The first history (NOM-004 6.1) as stored, with its author and addenda; None while not filled in."""
    if document is None:
        return None
    return {
        "id": document["id"],
        "written_at": _when(document.get("created_at")),
        "author": (document.get("author") or {}).get("name", ""),
        **{name: document.get(name) for name in repository.HISTORY_TEXTS},
        **{section: dict(document.get(section) or {}) for section in repository.HISTORY_SECTIONS},
        "gyneco_obstetric": document.get("gyneco_obstetric"),
        "vitals": {name: value for name, value in (document.get("vitals") or {}).items() if value is not None},
        "addenda": _addenda(document),
    }


def as_data(copy):
    """The export as JSON-ready data: times in the clinic's time zone with their offset."""
    patient, profile = copy.patient, getattr(copy.patient, "patient_profile", None)
    data = {
        "format": "medly-patient-export",
        "format_version": FORMAT_VERSION,
        "scope": copy.scope,
        "generated_at": _when(copy.generated_at),
        "clinic": {
            "name": copy.clinic.name,
            "address": copy.clinic.address,
            "legal_owner": copy.clinic.legal_owner,
            "clues": copy.clinic.clues,
            "phone": copy.clinic.phone,
        },
        "patient": {
            "id": patient.pk,
            "first_name": patient.first_name,
            "last_name": patient.last_name,
            "email": patient.email or "",
            "phone": patient.phone,
            "preferred_language": patient.language,
            "date_of_birth": _when(profile.date_of_birth) if profile else None,
            "sex": profile.sex if profile else "",
            "curp": (profile.curp or "") if profile else "",
        },
        "clinical_record": {
            "blood_type": copy.record.get("blood_type") or "",
            "allergies": list(copy.record.get("allergies", [])),
            "history": _history(copy.history),
            "encounters": [_encounter(document, copy.visit_starts) for document in copy.encounters],
        },
    }
    if copy.scope != Scope.PATIENT:
        return data
    data["patient"]["account_created_at"] = _when(patient.date_joined)
    data["privacy_consents"] = [
        {
            "notice_version": consent.notice_version,
            "accepted_at": _when(consent.accepted_at),
            "channel": consent.channel,
            "from_address": consent.ip_address,
        }
        for consent in copy.privacy_consents
    ]
    consent = copy.reminder_consent
    data["reminder_consent"] = {
        "sms_accepted_at": _when(consent.sms_reminders_opt_in_at) if consent else None,
        "whatsapp_accepted_at": _when(consent.whatsapp_reminders_opt_in_at) if consent else None,
    }
    data["appointments"] = [
        {
            "id": appointment.pk,
            "doctor": appointment.doctor.get_full_name(),
            "starts_at": _when(appointment.starts_at),
            "ends_at": _when(appointment.ends_at),
            "status": appointment.status,
            "reason": appointment.reason,
            "booked_at": _when(appointment.created_at),
            "booked_by": appointment.booked_by.get_full_name(),
            "checked_in_at": _when(appointment.checked_in_at),
            "cancelled_at": _when(appointment.cancelled_at),
            "cancelled_by": appointment.cancelled_by.get_full_name() if appointment.cancelled_by else "",
        }
        for appointment in copy.appointments
    ]
    data["reminders"] = [
        {
            "appointment_id": reminder.appointment_id,
            "channel": reminder.channel,
            "due_at": _when(reminder.due_at),
            "state": reminder.state,
            "sent_at": _when(reminder.sent_at),
            "recipient": reminder.recipient,
        }
        for reminder in copy.reminders
    ]
    data["waitlist"] = {
        "entries": [
            {
                "id": entry.pk,
                "doctor": entry.doctor.get_full_name(),
                "from_date": _when(entry.from_date),
                "to_date": _when(entry.to_date),
                "part_of_day": entry.part_of_day,
                "status": entry.status,
                "joined_at": _when(entry.joined_at),
                "ended_at": _when(entry.ended_at),
            }
            for entry in copy.waitlist_entries
        ],
        "offers": [
            {
                "entry_id": offer.entry_id,
                "status": offer.status,
                "offered_at": _when(offer.offered_at),
                "held_until": _when(offer.held_until),
                "ended_at": _when(offer.ended_at),
            }
            for offer in copy.waitlist_offers
        ],
    }
    data["record_accesses"] = [
        {
            "at": _when(event.created_at),
            "action": event.action,
            "by": event.user.get_full_name() if event.user else "",
            "role": event.role,
            "encounter_id": event.encounter_id,
        }
        for event in copy.accesses
    ]
    return data


def as_json(copy):
    return json.dumps(as_data(copy), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
