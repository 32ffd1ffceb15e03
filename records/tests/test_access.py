"""Who may open which records page, and the audit event every record view and every refusal leaves."""

from dataclasses import dataclass

import pytest

from accounts.tests.factories import AdminFactory, DoctorFactory, PatientFactory, ReceptionFactory
from records import repository
from records.models import AuditEvent
from records.tests.helpers import appointment_with_record
from records.tests.view_helpers import closed_encounter
from scheduling.models import AppointmentStatus
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

CLINICAL_TEXT = ("Acute pharyngitis", "penicilina", "Paracetamol")


@dataclass
class Clinic:
    patient: object
    encounter_id: str
    open_appointment: object
    people: dict

    def url(self, route):
        patient, encounter = self.patient.pk, self.encounter_id
        return {
            "consultation": f"/appointments/{self.open_appointment.pk}/consultation/",
            "patients": "/patients/",
            "record": f"/patients/{patient}/record/",
            "my record": "/me/record/",
            "update record": f"/patients/{patient}/record/update/",
            "addendum": f"/patients/{patient}/record/encounters/{encounter}/addendum/",
            "prescription": f"/patients/{patient}/record/encounters/{encounter}/prescription/",
        }[route]


POSTS = {
    "update record": {"blood_type": "A+", "allergies": "penicilina, látex", "reason": "Lab result", "version": "1"},
    "addendum": {"reason": "Typo in the dose", "text": "The dose is 500 mg."},
}


@pytest.fixture
def clinic():
    appointment, encounter_id = closed_encounter()
    patient, doctor = appointment.patient, appointment.doctor
    open_appointment = AppointmentFactory(patient=patient, slot__doctor=doctor)
    other_patient = PatientFactory()
    repository.create_patient_record(patient_id=other_patient.pk, blood_type="", allergies=[])
    people = {
        "the patient": patient,
        "another patient": other_patient,
        "the treating doctor": doctor,
        "another doctor": DoctorFactory(),
        "reception": ReceptionFactory(),
        "admin": AdminFactory(),
    }
    AuditEvent.objects.all().delete()
    return Clinic(patient=patient, encounter_id=encounter_id, open_appointment=open_appointment, people=people)


def request(client, clinic, route, who):
    if who != "anonymous":
        client.force_login(clinic.people[who])
    url = clinic.url(route)
    if route in POSTS:
        return client.post(url, POSTS[route])
    return client.get(url)


ALLOWED = {
    # route: {who: (status, audit action of the allowed request, or None)}
    "consultation": {"the treating doctor": (200, "record.view")},
    "patients": {"the treating doctor": (200, None), "another doctor": (200, None), "admin": (200, None)},
    "record": {
        "the patient": (200, "record.view"),
        "the treating doctor": (200, "record.view"),
        "admin": (200, "record.view"),
    },
    "my record": {"the patient": (200, "record.view"), "another patient": (200, "record.view")},
    "update record": {"the treating doctor": (302, "record.update")},
    "addendum": {"the treating doctor": (302, "encounter.addendum")},
    "prescription": {
        "the patient": (200, "prescription.print"),
        "the treating doctor": (200, "prescription.print"),
        "admin": (200, "prescription.print"),
    },
}
PEOPLE = ["the patient", "another patient", "the treating doctor", "another doctor", "reception", "admin"]
MATRIX = [(route, who) for route in ALLOWED for who in PEOPLE]


@pytest.mark.parametrize(("route", "who"), MATRIX, ids=[f"{route} by {who}" for route, who in MATRIX])
def test_each_role_gets_what_the_design_allows_and_leaves_an_audit_event(client, clinic, route, who):
    user = clinic.people[who]
    # The page is about this patient; /me/record/ and the list are about whoever asks, if anyone.
    patient = clinic.patient if route not in ("patients", "my record") else None

    response = request(client, clinic, route, who)

    if who in ALLOWED[route]:
        status, action = ALLOWED[route][who]
        assert response.status_code == status
        if action is None:
            assert not AuditEvent.objects.exists()
        else:
            event = AuditEvent.objects.get()
            expected_patient = user if route == "my record" else clinic.patient
            assert (event.user, event.role, event.action, event.patient, event.ip_address) == (
                user,
                user.role,
                action,
                expected_patient,
                "127.0.0.1",
            )
    else:
        assert response.status_code == 403
        page = response.content.decode()
        assert not any(text in page for text in CLINICAL_TEXT)
        event = AuditEvent.objects.get()
        assert (event.user, event.role, event.action, event.patient, event.ip_address) == (
            user,
            user.role,
            "record.access_denied",
            patient,
            "127.0.0.1",
        )


@pytest.mark.parametrize("route", list(ALLOWED))
def test_anonymous_visitors_are_sent_to_the_login_page_and_nothing_is_audited(client, clinic, route):
    response = request(client, clinic, route, "anonymous")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    assert not AuditEvent.objects.exists()


def test_reception_never_sees_clinical_content_anywhere(client, clinic):
    client.force_login(clinic.people["reception"])
    for route in ALLOWED:
        response = request(client, clinic, route, "reception")
        assert response.status_code == 403
        assert not any(text in response.content.decode() for text in CLINICAL_TEXT)
    assert AuditEvent.objects.filter(action="record.access_denied").count() == len(ALLOWED)


@pytest.mark.parametrize(
    "url",
    [
        "/patients/999999/record/",
        "/patients/999999/record/update/",
        "/patients/999999/record/encounters/0123456789abcdef01234567/prescription/",
        "/appointments/999999/consultation/",
    ],
    ids=["record", "update record", "prescription", "consultation"],
)
def test_a_nonexistent_patient_or_appointment_is_not_found(client, clinic, url):
    client.force_login(clinic.people["the treating doctor"])

    response = client.post(url, POSTS["update record"]) if "update" in url else client.get(url)

    assert response.status_code == 404


@pytest.mark.parametrize("encounter_id", ["0123456789abcdef01234567", "not-an-object-id"])
def test_an_unknown_encounter_is_not_found(client, clinic, encounter_id):
    client.force_login(clinic.people["the treating doctor"])
    base = f"/patients/{clinic.patient.pk}/record/encounters/{encounter_id}"

    assert client.get(f"{base}/prescription/").status_code == 404
    assert client.post(f"{base}/addendum/", POSTS["addendum"]).status_code == 404


def test_an_encounter_of_another_patient_is_not_found_under_this_patients_address(client, clinic):
    doctor = clinic.people["the treating doctor"]
    other, other_encounter = closed_encounter(appointment_with_record(slot__doctor=doctor))
    client.force_login(doctor)

    response = client.get(f"/patients/{clinic.patient.pk}/record/encounters/{other_encounter}/prescription/")

    assert response.status_code == 404
    assert other.patient_id != clinic.patient.pk


def test_a_doctor_whose_only_appointment_was_cancelled_neither_reads_nor_lists_the_patient(client):
    cancelled = appointment_with_record(status=AppointmentStatus.CANCELLED, live_slot=None)
    client.force_login(cancelled.doctor)

    record = client.get(f"/patients/{cancelled.patient_id}/record/")
    listed = client.get("/patients/")

    assert record.status_code == 403
    assert cancelled.patient.get_full_name() not in listed.content.decode()


def test_a_doctor_may_not_open_the_consultation_of_another_doctors_appointment(client, clinic):
    intruder = clinic.people["another doctor"]
    AppointmentFactory(patient=clinic.patient, slot__doctor=intruder)  # now also this patient's doctor
    client.force_login(intruder)

    response = client.get(clinic.url("consultation"))

    assert response.status_code == 403
    assert AuditEvent.objects.filter(user=intruder, action="record.access_denied", patient=clinic.patient).exists()
