"""The printable prescription: what Mexican rules ask to be printed, and who may print it."""

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from accounts.tests.factories import PatientFactory
from records import coordinator, repository
from records.models import AuditEvent, ClinicDetails
from records.tests.helpers import appointment_with_record, consultation_payload
from records.tests.view_helpers import TWO_LINES, closed_encounter
from scheduling.tests.factories import SpecialtyFactory

pytestmark = pytest.mark.django_db


def prescription_url(appointment, encounter_id):
    return f"/patients/{appointment.patient_id}/record/encounters/{encounter_id}/prescription/"


@pytest.fixture
def prescribed():
    appointment = appointment_with_record()
    profile = appointment.doctor.doctor_profile
    profile.license_number = "12345678"
    profile.degree_institution = "Universidad Autónoma de Yucatán"
    profile.specialty_certificate = "AE-009876"
    profile.save()
    profile.specialties.add(SpecialtyFactory(name="Medicina General"))
    ClinicDetails(
        name="Clínica Medly Mérida",
        address="Calle 60 #491, Centro, Mérida, Yucatán",
        legal_owner="Medly S.A. de C.V.",
        clues="YNSSA000123",
    ).save()
    return closed_encounter(appointment, prescription=TWO_LINES)


def test_the_prescription_prints_what_the_rules_ask_for(client, prescribed):
    appointment, encounter_id = prescribed
    client.force_login(appointment.patient)

    response = client.get(prescription_url(appointment, encounter_id))

    assert response.status_code == 200
    page = response.content.decode()
    encounter = repository.get_encounter(encounter_id=encounter_id, patient_id=appointment.patient_id)
    patient = appointment.patient
    for text in (
        appointment.doctor.get_full_name(),
        "12345678",
        "Universidad Autónoma de Yucatán",
        "AE-009876",
        "Medicina General",
        "Clínica Medly Mérida",
        "Calle 60 #491, Centro, Mérida, Yucatán",
        date_format(timezone.localtime(encounter["created_at"]), "DATE_FORMAT"),
        patient.get_full_name(),
        f"{patient.patient_profile.age} years",
        'class="signature"',
    ):
        assert text in page
    for line in TWO_LINES:
        cells = "".join(f"<td>{line[name]}</td>" for name in ("drug", "dose", "route", "frequency", "duration"))
        assert cells in page


def test_the_prescription_links_its_print_stylesheet(client, prescribed):
    appointment, encounter_id = prescribed
    client.force_login(appointment.doctor)

    page = client.get(prescription_url(appointment, encounter_id)).content.decode()

    assert '<link rel="stylesheet" href="/static/css/prescription.css">' in page


def test_printing_leaves_an_audit_event(client, prescribed):
    appointment, encounter_id = prescribed
    client.force_login(appointment.doctor)

    client.get(prescription_url(appointment, encounter_id))

    event = AuditEvent.objects.get(action="prescription.print")
    assert (event.user, event.role, event.patient, event.encounter_id, event.ip_address) == (
        appointment.doctor,
        "doctor",
        appointment.patient,
        encounter_id,
        "127.0.0.1",
    )


def test_another_patient_cannot_print_it(client, prescribed):
    appointment, encounter_id = prescribed
    intruder = PatientFactory()
    client.force_login(intruder)

    response = client.get(prescription_url(appointment, encounter_id))

    assert response.status_code == 403
    assert "Paracetamol" not in response.content.decode()
    assert not AuditEvent.objects.filter(action="prescription.print").exists()
    assert AuditEvent.objects.filter(user=intruder, action="record.access_denied", patient=appointment.patient).exists()


def test_an_encounter_still_waiting_for_the_records_store_has_no_printable_prescription(client, monkeypatch):
    appointment = appointment_with_record()

    def store_down():
        raise repository.RecordsUnavailable("stopped")

    monkeypatch.setattr(repository, "finalize_encounter", lambda **kwargs: store_down())
    result = coordinator.close_consultation(
        appointment_id=appointment.pk, doctor=appointment.doctor, payload=consultation_payload()
    )
    assert not result.finished
    client.force_login(appointment.doctor)

    response = client.get(prescription_url(appointment, result.encounter_id))

    assert response.status_code == 404


def test_a_prescription_without_drugs_says_so(client):
    appointment, encounter_id = closed_encounter(prescription=[])
    client.force_login(appointment.doctor)

    page = client.get(prescription_url(appointment, encounter_id)).content.decode()

    assert "No drugs prescribed." in page
