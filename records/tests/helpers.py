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
            "weight_kg": 70.0, "height_cm": 170.0, "temperature_c": 38.2, "systolic": 120.0,
            "diastolic": 80.0, "heart_rate": 88.0, "respiratory_rate": 16.0, "bmi": 24.2,
        },
        "prescription": [
            {"drug": "Paracetamol", "dose": "500 mg", "route": "oral", "frequency": "every 8 hours",
             "duration": "3 days"},
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
