"""The consultation page: what the doctor sees, what a close writes, and what it refuses."""

from datetime import timedelta

import pytest
from django.utils import timezone

from records import repository
from records.models import Operation, OperationKind
from records.tests.helpers import appointment_with_record, encounters_of
from records.tests.view_helpers import (
    TWO_LINES,
    consultation_form,
    consultation_url,
    record_url,
    shown_messages,
)
from scheduling.models import AppointmentStatus
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def appointment():
    return appointment_with_record()


@pytest.fixture
def doctor_client(client, appointment):
    client.force_login(appointment.doctor)
    return client


def assert_nothing_written(appointment):
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED
    assert not Operation.objects.exists()
    assert encounters_of(appointment) == []


def test_the_doctor_sees_the_patients_name_age_sex_allergies_and_blood_type_on_top(doctor_client, appointment):
    response = doctor_client.get(consultation_url(appointment))

    assert response.status_code == 200
    page = response.content.decode()
    patient = appointment.patient
    start = page.index('class="patient-header"')
    header = page[start : page.index("</section>", start)]
    assert patient.get_full_name() in header
    assert f"{patient.patient_profile.age} years" in header
    assert "Female" in header
    assert "O+" in header
    assert "penicilina" in header


def test_posting_the_contracts_fields_closes_the_consultation_into_the_record(doctor_client, appointment):
    before = timezone.now()

    response = doctor_client.post(consultation_url(appointment), consultation_form())

    assert response.status_code == 302
    assert response["Location"] == record_url(appointment.patient_id)
    assert "The consultation is closed and in the patient's record." in shown_messages(response)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED
    encounter = repository.get_encounter(encounter_id=appointment.encounter_id, patient_id=appointment.patient_id)
    assert encounter["state"] == "final"
    assert encounter["diagnosis"] == "Acute pharyngitis"
    assert encounter["diagnosis_code"] == "J02.9"
    assert encounter["evolution"] == "Two days of sore throat and fever."
    assert encounter["physical_exam"] == "Red pharynx, no exudate."
    assert encounter["prognosis"] == "Good"
    assert encounter["treatment"] == "Rest and fluids."
    assert encounter["notes"] == "Review in one week if not better."
    assert encounter["vitals"] == {
        "weight_kg": 70.0,
        "height_cm": 170.0,
        "temperature_c": 38.2,
        "systolic": 120.0,
        "diastolic": 80.0,
        "heart_rate": 88.0,
        "respiratory_rate": 16.0,
        "bmi": 24.2,
    }
    assert encounter["prescription"] == TWO_LINES
    assert encounter["author"] == {"id": appointment.doctor_id, "name": appointment.doctor.get_full_name()}
    assert before <= encounter["created_at"] <= timezone.now() + timedelta(seconds=1)


def test_every_field_but_the_diagnosis_may_be_empty(doctor_client, appointment):
    empty = {name: "" for name in consultation_form(lines=[]) if not name.startswith("rx-")}
    empty["diagnosis"] = "Common cold"
    form = consultation_form(lines=[], **empty)
    form.update({f"rx-0-{name}": "" for name in TWO_LINES[0]})

    response = doctor_client.post(consultation_url(appointment), form)

    assert response.status_code == 302
    appointment.refresh_from_db()
    encounter = repository.get_encounter(encounter_id=appointment.encounter_id, patient_id=appointment.patient_id)
    assert encounter["diagnosis"] == "Common cold"
    assert encounter["prescription"] == []
    assert encounter["evolution"] == ""
    assert set(encounter["vitals"].values()) == {None}


def test_a_note_without_a_diagnosis_is_refused(doctor_client, appointment):
    response = doctor_client.post(consultation_url(appointment), consultation_form(diagnosis="  "))

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert_nothing_written(appointment)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"temperature_c": "80"}, "Ensure this value is less than or equal to 45."),
        ({"systolic": "70", "diastolic": "90"}, "The systolic pressure must be higher than the diastolic."),
        ({"diagnosis_code": "J2.9"}, "Enter a CIE-10 code such as J06.9, or leave it empty."),
        (
            {"rx-1-dose": "", "rx-1-frequency": ""},
            "Each prescription line needs the generic drug name, dose, route, frequency and duration.",
        ),
    ],
    ids=["80 degrees", "systolic below diastolic", "bad CIE-10 code", "half-filled line"],
)
def test_implausible_input_is_refused_with_a_clear_message_and_nothing_written(
    doctor_client, appointment, change, message
):
    response = doctor_client.post(consultation_url(appointment), consultation_form(**change))

    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert 'value="Acute pharyngitis"' in page  # the doctor's text is still there
    assert_nothing_written(appointment)


def test_a_cie10_code_is_stored_in_capitals(doctor_client, appointment):
    doctor_client.post(consultation_url(appointment), consultation_form(diagnosis_code="j06.9"))

    appointment.refresh_from_db()
    encounter = repository.get_encounter(encounter_id=appointment.encounter_id, patient_id=appointment.patient_id)
    assert encounter["diagnosis_code"] == "J06.9"


def test_adding_a_prescription_line_redraws_the_form_without_closing_or_complaining(doctor_client, appointment):
    form = consultation_form(diagnosis="", add_line="1")

    response = doctor_client.post(consultation_url(appointment), form)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="rx-TOTAL_FORMS" value="3"' in page
    assert 'name="rx-2-drug"' in page
    assert "This field is required." not in page
    assert_nothing_written(appointment)


PENICILLIN = {
    "drug": "Penicilina G benzatínica",
    "dose": "1 200 000 UI",
    "route": "intramuscular",
    "frequency": "single dose",
    "duration": "1 day",
}


def test_prescribing_a_drug_the_patient_is_allergic_to_warns_and_waits_for_confirmation(doctor_client, appointment):
    form = consultation_form(lines=[PENICILLIN])

    response = doctor_client.post(consultation_url(appointment), form)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Allergy warning" in page
    assert 'Penicilina G benzatínica matches the recorded allergy "penicilina".' in page
    assert 'name="confirm_allergy"' in page
    assert_nothing_written(appointment)

    response = doctor_client.post(consultation_url(appointment), {**form, "confirm_allergy": "1"})

    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED
    encounter = repository.get_encounter(encounter_id=appointment.encounter_id, patient_id=appointment.patient_id)
    assert encounter["prescription"] == [PENICILLIN]


def test_submitting_twice_closes_the_consultation_once(doctor_client, appointment):
    first = doctor_client.post(consultation_url(appointment), consultation_form())
    second = doctor_client.post(consultation_url(appointment), consultation_form(diagnosis="Second attempt"))

    assert first.status_code == 302
    assert second.status_code == 200
    page = second.content.decode()
    assert "This consultation is already closed, from another tab or window." in page
    assert 'value="Second attempt"' in page, "the second tab's note is still on its page"
    assert len(encounters_of(appointment)) == 1
    assert Operation.objects.count() == 1
    total, encounters = repository.list_encounters(patient_id=appointment.patient_id, offset=0, limit=10)
    assert total == 1
    assert encounters[0]["diagnosis"] == "Acute pharyngitis"


def test_a_consultation_that_is_no_longer_scheduled_cannot_be_opened(doctor_client, appointment):
    appointment.status = AppointmentStatus.CANCELLED
    appointment.save(update_fields=["status"])

    response = doctor_client.get(consultation_url(appointment))

    assert response.status_code == 302
    assert not Operation.objects.exists()


def test_allergies_given_at_sign_up_are_checked_while_the_record_document_still_waits(client):
    appointment = AppointmentFactory()
    Operation.objects.create(
        kind=OperationKind.CREATE_RECORD,
        patient=appointment.patient,
        payload={"blood_type": "A-", "allergies": ["Penicilina"]},
    )
    client.force_login(appointment.doctor)

    page = client.get(consultation_url(appointment)).content.decode()
    response = client.post(consultation_url(appointment), consultation_form(**{"rx-0-drug": "Penicilina G"}))

    assert "A-" in page and "Penicilina" in page
    assert response.status_code == 200
    assert "Allergy warning" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED
