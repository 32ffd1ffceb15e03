from io import StringIO

import pytest
from django.core.management import call_command

from accounts.tests.factories import PatientFactory
from records import coordinator, repository
from records.consistency import find_disagreements
from records.tests.helpers import appointment_with_record, consultation_payload
from scheduling.models import AppointmentStatus


def check_consistency():
    out, err = StringIO(), StringIO()
    try:
        call_command("check_consistency", stdout=out, stderr=err)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


def closed_appointment():
    appointment = appointment_with_record()
    coordinator.close_consultation(
        appointment_id=appointment.pk, doctor=appointment.doctor, payload=consultation_payload()
    )
    appointment.refresh_from_db()
    return appointment


@pytest.mark.django_db
def test_it_exits_0_when_the_stores_agree():
    closed_appointment()

    assert check_consistency() == (0, "check_consistency: MySQL and MongoDB agree\n")


@pytest.mark.django_db
def test_a_completed_appointment_without_its_encounter_is_reported():
    appointment = closed_appointment()
    repository._encounters().delete_many({})

    code, output = check_consistency()

    assert code == 1
    assert f"appointment {appointment.pk} is completed but has 0 final encounters" in output


@pytest.mark.django_db
def test_a_final_encounter_whose_appointment_is_not_completed_is_reported():
    appointment = closed_appointment()
    appointment.status = AppointmentStatus.SCHEDULED
    appointment.save(update_fields=["status"])

    assert any(f"but appointment {appointment.pk} is scheduled" in p for p in find_disagreements())


@pytest.mark.django_db
def test_a_pending_encounter_is_reported():
    appointment = closed_appointment()
    repository._encounters().update_many({}, {"$set": {"state": "pending"}})

    problems = find_disagreements()

    assert any("is still pending" in p for p in problems)
    assert any(f"appointment {appointment.pk} is completed but has 0 final encounters" in p for p in problems)


@pytest.mark.django_db
def test_an_appointment_pointing_at_another_encounter_is_reported():
    appointment = closed_appointment()
    appointment.encounter_id = "0" * 24
    appointment.save(update_fields=["encounter_id"])

    assert any(f"appointment {appointment.pk} points at encounter" in p for p in find_disagreements())


@pytest.mark.django_db
def test_an_encounter_naming_another_patient_is_reported():
    appointment = closed_appointment()
    repository._encounters().update_many({}, {"$set": {"patient_id": appointment.patient_id + 1000}})

    assert any("names another patient or doctor" in p for p in find_disagreements())


@pytest.mark.django_db
def test_a_patient_without_a_record_and_a_record_without_a_patient_are_reported():
    patient = PatientFactory()
    repository.create_patient_record(patient_id=patient.pk + 1000, blood_type="", allergies=[])

    problems = find_disagreements()

    assert f"patient {patient.pk} has no record document" in problems
    assert f"record document for patient {patient.pk + 1000}, who does not exist" in problems


@pytest.mark.django_db
def test_an_unfinished_close_is_reported_until_reconcile_finishes_it(stoppable_mongo):
    appointment = appointment_with_record()
    stoppable_mongo.stop()
    coordinator.close_consultation(
        appointment_id=appointment.pk, doctor=appointment.doctor, payload=consultation_payload()
    )
    stoppable_mongo.start()
    repository.ensure_indexes()
    repository.create_patient_record(patient_id=appointment.patient_id, blood_type="", allergies=[])

    problems = find_disagreements()
    assert f"appointment {appointment.pk} is still closing" in problems
    assert any(p.startswith("operation ") and "unfinished" in p for p in problems)

    call_command("reconcile", stdout=StringIO())

    assert find_disagreements() == []
