"""The patient's copy of their data (ARCO access; NOM-024 6.6.6): JSON and a FHIR R4 Bundle, audited."""

import json

import pytest
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import PrivacyConsent
from accounts.tests.factories import AdminFactory, DoctorFactory, PatientFactory, ReceptionFactory
from records import export, fhir, repository, services
from records.models import AuditEvent, ClinicDetails
from records.tests.helpers import appointment_with_record
from records.tests.view_helpers import closed_encounter
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

MY_JSON, MY_FHIR = "/me/export/", "/me/export/fhir/"


def staff_json(patient_id):
    return f"/patients/{patient_id}/record/export/"


def staff_fhir(patient_id):
    return f"/patients/{patient_id}/record/export/fhir/"


@pytest.fixture
def seen_patient():
    """A patient with a CURP, one closed consultation (with an addendum) and a later booked appointment."""
    appointment, encounter_id = closed_encounter()
    profile = appointment.patient.patient_profile
    profile.curp = "GOCL850315MYNNHC09"
    profile.save()
    PrivacyConsent.objects.create(user=appointment.patient, notice_version="2026-01", ip_address="198.51.100.4")
    services.add_addendum(
        doctor=appointment.doctor,
        patient_id=appointment.patient_id,
        encounter_id=encounter_id,
        addendum_id=repository.new_encounter_id(),
        reason="Dose typo",
        text="Paracetamol every 6 hours.",
    )
    later = AppointmentFactory(patient=appointment.patient, slot__doctor=appointment.doctor, reason="Follow-up")
    return appointment, encounter_id, later


def resources(bundle, resource_type):
    return [entry["resource"] for entry in bundle["entry"] if entry["resource"]["resourceType"] == resource_type]


def test_a_patient_downloads_everything_medly_holds_about_them_as_json(client, seen_patient):
    appointment, encounter_id, later = seen_patient
    patient = appointment.patient
    client.force_login(patient)

    response = client.get(MY_JSON)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith(f'attachment; filename="medly-patient-{patient.pk}-')
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["scope"] == "patient"
    assert data["patient"]["email"] == patient.email
    assert data["patient"]["curp"] == "GOCL850315MYNNHC09"
    assert data["clinical_record"]["blood_type"] == "O+"
    assert data["clinical_record"]["allergies"] == ["penicilina"]
    [encounter] = data["clinical_record"]["encounters"]
    assert encounter["id"] == encounter_id
    assert encounter["diagnosis"] == "Acute pharyngitis"
    assert encounter["vitals"]["temperature_c"] == 38.2
    assert encounter["prescription"][0]["drug"] == "Paracetamol"
    assert [addendum["reason"] for addendum in encounter["addenda"]] == ["Dose typo"]
    assert {row["id"] for row in data["appointments"]} == {appointment.pk, later.pk}
    assert [row["reason"] for row in data["appointments"] if row["id"] == later.pk] == ["Follow-up"]
    assert [(row["notice_version"], row["from_address"]) for row in data["privacy_consents"]] == [
        ("2026-01", "198.51.100.4")
    ]
    assert {"encounter.close", "encounter.addendum"} <= {row["action"] for row in data["record_accesses"]}


def test_a_patient_downloads_their_record_as_a_valid_fhir_bundle_that_round_trips(client, seen_patient):
    appointment, encounter_id, _ = seen_patient
    client.force_login(appointment.patient)

    response = client.get(MY_FHIR)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    parsed = Bundle.model_validate_json(response.content)
    assert json.loads(parsed.model_dump_json(exclude_none=True)) == json.loads(response.content)
    bundle = json.loads(response.content)
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "collection"
    assert {entry["resource"]["resourceType"] for entry in bundle["entry"]} == {
        "Patient",
        "AllergyIntolerance",
        "Encounter",
        "Observation",
        "Condition",
        "MedicationRequest",
    }
    [patient] = resources(bundle, "Patient")
    assert patient["name"][0]["family"] == appointment.patient.last_name
    assert {"value": "GOCL850315MYNNHC09"}.items() <= patient["identifier"][1].items()
    [condition] = resources(bundle, "Condition")
    assert condition["code"]["coding"] == [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "J02.9"}]
    [encounter] = resources(bundle, "Encounter")
    assert encounter["id"] == encounter_id
    assert encounter["period"]["start"].startswith(appointment.starts_at.astimezone().date().isoformat()[:4])
    [allergy] = resources(bundle, "AllergyIntolerance")
    assert allergy["code"]["text"] == "penicilina"
    [medication] = resources(bundle, "MedicationRequest")
    assert medication["medicationCodeableConcept"]["text"] == "Paracetamol"
    assert medication["dosageInstruction"][0]["route"]["text"] == "oral"


def test_every_reference_in_the_bundle_points_at_an_entry_of_it(client, seen_patient):
    appointment, _, _ = seen_patient
    client.force_login(appointment.patient)
    bundle = json.loads(client.get(MY_FHIR).content)
    full_urls = {entry["fullUrl"] for entry in bundle["entry"]}

    def references(value):
        if isinstance(value, dict):
            if "reference" in value:
                yield value["reference"]
            for item in value.values():
                yield from references(item)
        elif isinstance(value, list):
            for item in value:
                yield from references(item)

    found = list(references(bundle["entry"]))
    assert found
    assert set(found) <= full_urls


@pytest.mark.parametrize(
    ("vital", "loinc", "unit"),
    [
        ("weight_kg", "29463-7", "kg"),
        ("height_cm", "8302-2", "cm"),
        ("temperature_c", "8310-5", "Cel"),
        ("systolic", "8480-6", "mm[Hg]"),
        ("diastolic", "8462-4", "mm[Hg]"),
        ("heart_rate", "8867-4", "/min"),
        ("respiratory_rate", "9279-1", "/min"),
        ("bmi", "39156-5", "kg/m2"),
    ],
)
def test_vital_signs_are_observations_with_loinc_codes_and_ucum_units(client, seen_patient, vital, loinc, unit):
    appointment, encounter_id, _ = seen_patient
    client.force_login(appointment.patient)
    bundle = json.loads(client.get(MY_FHIR).content)

    [observation] = [item for item in resources(bundle, "Observation") if item["code"]["coding"][0]["code"] == loinc]

    assert observation["category"][0]["coding"][0]["code"] == "vital-signs"
    assert observation["valueQuantity"]["system"] == "http://unitsofmeasure.org"
    assert observation["valueQuantity"]["code"] == unit
    assert observation["id"] == f"{encounter_id}-{vital.replace('_', '-')}"


def test_the_same_data_gives_the_same_bundle(client, seen_patient):
    appointment, _, _ = seen_patient
    client.force_login(appointment.patient)
    first = json.loads(client.get(MY_FHIR).content)
    second = json.loads(client.get(MY_FHIR).content)
    first.pop("timestamp"), second.pop("timestamp")
    assert first == second


def test_every_export_is_audited_with_its_format(client, seen_patient):
    appointment, _, _ = seen_patient
    client.force_login(appointment.patient)
    client.get(MY_JSON)
    client.get(MY_FHIR)

    events = AuditEvent.objects.filter(action="record.export").order_by("pk")
    assert [(event.user_id, event.patient_id, event.detail["format"]) for event in events] == [
        (appointment.patient_id, appointment.patient_id, "json"),
        (appointment.patient_id, appointment.patient_id, "fhir"),
    ]


def test_the_address_in_the_audit_is_the_client_behind_the_proxy(client, settings, seen_patient):
    settings.TRUSTED_PROXY_COUNT = 1
    appointment, _, _ = seen_patient
    client.force_login(appointment.patient)
    client.get(MY_JSON, HTTP_X_FORWARDED_FOR="203.0.113.7", REMOTE_ADDR="10.0.0.2")
    assert AuditEvent.objects.get(action="record.export").ip_address == "203.0.113.7"


def test_a_doctor_with_access_exports_the_clinical_record_only(client, seen_patient):
    appointment, _, _ = seen_patient
    client.force_login(appointment.doctor)

    data = json.loads(client.get(staff_json(appointment.patient_id)).content)
    bundle = client.get(staff_fhir(appointment.patient_id))

    assert data["scope"] == "clinical"
    assert data["clinical_record"]["encounters"]
    assert "record_accesses" not in data and "appointments" not in data and "privacy_consents" not in data
    assert bundle["Content-Type"] == "application/fhir+json; charset=utf-8"
    Bundle.model_validate_json(bundle.content)
    assert AuditEvent.objects.filter(action="record.export", user=appointment.doctor).count() == 2


@pytest.mark.parametrize("stranger", [DoctorFactory, ReceptionFactory, AdminFactory])
def test_nobody_else_exports_a_record_and_the_refusal_is_audited(client, seen_patient, stranger):
    appointment, _, _ = seen_patient
    client.force_login(stranger())

    for url in (staff_json(appointment.patient_id), staff_fhir(appointment.patient_id)):
        response = client.get(url)
        assert response.status_code == 403
        assert b"Acute pharyngitis" not in response.content
    assert not AuditEvent.objects.filter(action="record.export").exists()
    assert AuditEvent.objects.filter(action="record.access_denied", patient_id=appointment.patient_id).count() == 2


def test_a_patient_cannot_export_another_patients_record(client, seen_patient):
    appointment, _, _ = seen_patient
    other = appointment_with_record().patient
    client.force_login(other)
    assert client.get(staff_json(appointment.patient_id)).status_code == 403
    data = json.loads(client.get(MY_JSON).content)
    assert data["patient"]["id"] == other.pk
    assert data["clinical_record"]["encounters"] == []


@pytest.mark.parametrize("url", [MY_JSON, MY_FHIR])
def test_staff_and_anonymous_visitors_have_no_export_of_their_own(client, url):
    assert client.get(url).status_code == 302
    client.force_login(DoctorFactory())
    assert client.get(url).status_code == 403


def test_an_unknown_patient_is_a_404(client):
    client.force_login(DoctorFactory())
    assert client.get(staff_json(999_999)).status_code == 404


def test_the_record_page_offers_the_downloads_to_whoever_may_export(client, seen_patient):
    appointment, _, _ = seen_patient
    client.force_login(appointment.patient)
    assert MY_FHIR in client.get("/me/record/").content.decode()
    client.force_login(appointment.doctor)
    assert (
        staff_fhir(appointment.patient_id) in client.get(f"/patients/{appointment.patient_id}/record/").content.decode()
    )
    client.force_login(AdminFactory())
    assert "/record/export/" not in client.get(f"/patients/{appointment.patient_id}/record/").content.decode()


def test_the_export_reads_in_a_fixed_number_of_queries(client, seen_patient, django_assert_num_queries):
    appointment, _, _ = seen_patient
    for _ in range(3):
        closed_encounter(AppointmentFactory(patient=appointment.patient, slot__doctor=appointment.doctor))
    client.force_login(appointment.patient)
    client.get(MY_JSON)
    # user (the session is in the cache), patient, clinic, appointments, consents, reminder consent,
    # reminders, waitlist entries and offers, audit events, the audit insert
    with django_assert_num_queries(11):
        client.get(MY_JSON)


def test_with_the_records_store_down_the_export_is_a_503_and_nothing_is_audited(
    seen_patient, stoppable_mongo, settings
):
    settings.MONGO_TIMEOUT_MS = 500
    appointment, _, _ = seen_patient
    client = Client(raise_request_exception=False)
    client.force_login(appointment.patient)
    stoppable_mongo.stop()
    response = client.get(MY_JSON)
    assert response.status_code == 503
    assert not AuditEvent.objects.filter(action="record.export").exists()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    diagnosis=st.text(min_size=1, max_size=60).filter(str.strip),
    allergy=st.text(min_size=1, max_size=40).filter(str.strip),
    drug=st.text(min_size=1, max_size=40).filter(str.strip),
    author=st.text(max_size=20),
)
def test_any_text_a_note_may_hold_still_gives_a_valid_bundle(diagnosis, allergy, drug, author):
    patient = PatientFactory.build(pk=7, first_name="Ana", last_name="Pech")
    document = {
        "id": "5f0c0c0c0c0c0c0c0c0c0c0c",
        "state": "final",
        "appointment_id": 3,
        "diagnosis": diagnosis,
        "diagnosis_code": "",
        "author": {"name": author},
        "created_at": timezone.now(),
        "vitals": {"weight_kg": 61.5, "spo2": 97.0, "glucose_mg_dl": None},
        "prescription": [{"drug": drug, "dose": "1", "route": "oral", "frequency": "daily", "duration": "2 days"}],
    }
    copy = export.PatientCopy(
        scope=export.Scope.CLINICAL,
        patient=patient,
        clinic=ClinicDetails(name="Clínica"),
        record={"allergies": [allergy]},
        encounters=[document],
        appointments=[],
    )
    bundle = json.loads(fhir.as_json(copy))
    Bundle.model_validate(bundle)
    [condition] = resources(bundle, "Condition")
    assert condition["code"]["text"] == diagnosis
    assert [item["code"]["coding"][0]["code"] for item in resources(bundle, "Observation")] == ["29463-7", "59408-5"]
