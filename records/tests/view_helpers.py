"""Helpers shared by the records page tests: the consultation form as a browser posts it, closed encounters."""

from django.contrib.messages import get_messages

from records import coordinator
from records.tests.helpers import appointment_with_record, consultation_payload

NOTE_FIELDS = ("evolution", "physical_exam", "diagnosis", "diagnosis_code", "prognosis", "treatment", "notes")
TWO_LINES = [
    {"drug": "Paracetamol", "dose": "500 mg", "route": "oral", "frequency": "every 8 hours", "duration": "3 days"},
    {"drug": "Loratadina", "dose": "10 mg", "route": "oral", "frequency": "every 24 hours", "duration": "5 days"},
]


def consultation_form(*, lines=TWO_LINES, total_forms=None, **fields):
    """The consultation page's POST body, with the contract's field names."""
    payload = consultation_payload()
    data = {name: payload[name] for name in NOTE_FIELDS}
    data.update({name: f"{value:g}" for name, value in payload["vitals"].items() if name != "bmi"})
    data.update(
        {
            "rx-TOTAL_FORMS": str(total_forms if total_forms is not None else max(len(lines), 2)),
            "rx-INITIAL_FORMS": "0",
        }
    )
    for number, line in enumerate(lines):
        for name, value in line.items():
            data[f"rx-{number}-{name}"] = value
    data.update(fields)
    return data


def consultation_url(appointment):
    return f"/appointments/{appointment.pk}/consultation/"


def record_url(patient_id):
    return f"/patients/{patient_id}/record/"


def shown_messages(response):
    """The texts of the flash messages that the next page would show."""
    return [str(message) for message in get_messages(response.wsgi_request)]


def closed_encounter(appointment=None, **payload_overrides):
    """Close a consultation through the coordinator; returns (appointment, encounter id)."""
    appointment = appointment or appointment_with_record()
    result = coordinator.close_consultation(
        appointment_id=appointment.pk, doctor=appointment.doctor, payload=consultation_payload(**payload_overrides)
    )
    assert result.finished
    return appointment, result.encounter_id
