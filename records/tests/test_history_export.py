"""The first history in the patient's data export: all of it in the JSON, its vital signs in the FHIR Bundle."""

import json

import pytest
from django.test import Client
from fhir.resources.R4B.bundle import Bundle

from records import repository, services
from records.tests.helpers import appointment_with_record
from records.tests.history_helpers import filled_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient_with_history():
    appointment = filled_history()
    services.add_history_addendum(
        doctor=appointment.doctor,
        patient_id=appointment.patient_id,
        addendum_id=repository.new_history_id(),
        reason="Family history completed",
        text="Maternal grandmother with breast cancer.",
    )
    return appointment


def test_the_json_export_holds_the_history_with_its_author_and_addenda(patient_with_history):
    appointment = patient_with_history
    client = Client()
    client.force_login(appointment.patient)

    data = json.loads(client.get("/me/export/").content)

    history = data["clinical_record"]["history"]
    assert history["author"] == appointment.doctor.get_full_name()
    assert history["written_at"]
    assert history["current_illness"] == "Headache."
    assert set(history["pathological"]) == {
        "chronic_illnesses",
        "surgeries",
        "hospitalisations",
        "transfusions",
        "trauma",
    }
    assert history["gyneco_obstetric"] is None
    assert history["vitals"]["systolic"] == 120.0
    assert [(a["reason"], a["text"]) for a in history["addenda"]] == [
        ("Family history completed", "Maternal grandmother with breast cancer.")
    ]


def test_a_doctors_export_holds_the_history_too(patient_with_history):
    appointment = patient_with_history
    client = Client()
    client.force_login(appointment.doctor)

    data = json.loads(client.get(f"/patients/{appointment.patient_id}/record/export/").content)

    assert data["clinical_record"]["history"]["current_illness"] == "Headache."


def test_without_a_history_the_export_says_none():
    bare = appointment_with_record()
    client = Client()
    client.force_login(bare.patient)

    data = json.loads(client.get("/me/export/").content)

    assert data["clinical_record"]["history"] is None


def test_the_fhir_bundle_carries_the_historys_vital_signs_as_observations(patient_with_history):
    appointment = patient_with_history
    client = Client()
    client.force_login(appointment.patient)
    history_id = repository.get_history(patient_id=appointment.patient_id)["id"]

    body = client.get("/me/export/fhir/").content
    bundle = json.loads(body)

    Bundle.model_validate_json(body)
    observations = {
        entry["resource"]["id"]: entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "Observation"
    }
    systolic = observations[f"history-{history_id}-systolic"]
    assert systolic["valueQuantity"]["value"] == 120.0
    assert systolic["code"]["coding"][0]["code"] == "8480-6"
    assert "encounter" not in systolic
    assert {
        f"history-{history_id}-{name}" for name in ("temperature-c", "heart-rate", "respiratory-rate", "bmi")
    } <= set(observations)
