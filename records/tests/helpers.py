from records import repository
from scheduling.tests.factories import AppointmentFactory


def consultation_payload(**overrides):
    payload = {
        "evolution": "Two days of sore throat and fever.",
        "physical_exam": "Red pharynx, no exudate.",
        "diagnosis": "Acute pharyngitis",
        "diagnosis_code": "J02.9",
        "prognosis": "Good",
        "treatment": "Rest and fluids.",
        "notes": "Review in one week if not better.",
        "vitals": {
            "weight_kg": 70.0,
            "height_cm": 170.0,
            "temperature_c": 38.2,
            "systolic": 120.0,
            "diastolic": 80.0,
            "heart_rate": 88.0,
            "respiratory_rate": 16.0,
            "bmi": 24.2,
        },
        "prescription": [
            {
                "drug": "Paracetamol",
                "dose": "500 mg",
                "route": "oral",
                "frequency": "every 8 hours",
                "duration": "3 days",
            },
        ],
    }
    payload.update(overrides)
    return payload


def appointment_with_record(**kwargs):
    """A scheduled appointment whose patient has a record document, as after registration."""
    appointment = AppointmentFactory(**kwargs)
    repository.create_patient_record(patient_id=appointment.patient_id, blood_type="O+", allergies=["penicilina"])
    return appointment


def encounters_of(appointment):
    return [e for e in repository.list_encounter_refs() if e["appointment_id"] == appointment.pk]


class ProcessDied(BaseException):
    """A worker killed mid-step: nothing in Medly catches it."""


# A log row damaged behind Medly's back: no step can turn it into a document, and no
# store is to blame, so only the operation itself may be held back.
CORRUPT_CREATED_AT = "not a date"


def poisoned_close(appointment):
    """A close whose operation row is corrupt, after its first failed attempt (reconcile's)."""
    from django.utils import timezone

    from records import coordinator
    from records.models import Operation

    def die(**kwargs):
        raise ProcessDied

    original = repository.insert_pending_encounter
    repository.insert_pending_encounter = die
    try:
        coordinator.close_consultation(
            appointment_id=appointment.pk, doctor=appointment.doctor, payload=consultation_payload()
        )
    except ProcessDied:
        pass
    finally:
        repository.insert_pending_encounter = original
    operation = Operation.objects.get(appointment=appointment)
    operation.payload = {**operation.payload, "created_at": CORRUPT_CREATED_AT}
    operation.claimed_until = timezone.now()
    operation.save(update_fields=["payload", "claimed_until"])
    coordinator.roll_forward(operation.pk)
    operation.refresh_from_db()
    assert operation.attempts == 1, operation.last_error
    return operation
