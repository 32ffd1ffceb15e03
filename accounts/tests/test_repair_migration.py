"""accounts.0004_repair_patients: patients made outside register_patient get a profile and a logged record."""

from importlib import import_module
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import PatientProfile, PrivacyConsent, Role
from accounts.services import register_patient
from accounts.tests.factories import AdminFactory, PatientFactory, UserFactory
from records import repository
from records.models import Operation, OperationKind, OperationState

pytestmark = pytest.mark.django_db

MIGRATION = ("accounts", "0004_repair_patients")


def run_repair():
    """The migration's function on the historical models of the state it runs in."""
    apps = MigrationExecutor(connection).loader.project_state(MIGRATION).apps
    import_module("accounts.migrations.0004_repair_patients").repair_patients(apps, None)


def test_a_bare_patient_gets_a_profile_marked_not_recorded_a_logged_record_and_no_invented_consent(client):
    bare = UserFactory(role=Role.PATIENT)

    run_repair()

    profile = PatientProfile.objects.get(user=bare)
    assert (profile.date_of_birth, profile.sex, profile.curp, profile.age) == (None, "", None, None)
    assert not PrivacyConsent.objects.filter(user=bare).exists()
    operation = Operation.objects.get(patient=bare)
    assert (operation.kind, operation.state) == (OperationKind.CREATE_RECORD, OperationState.PREPARED)
    assert repository.get_patient_record(patient_id=bare.pk) is None

    call_command("reconcile", stdout=StringIO())

    assert repository.get_patient_record(patient_id=bare.pk)["allergies"] == []
    client.force_login(AdminFactory())
    page = client.get(f"/patients/{bare.pk}/record/")
    assert page.status_code == 200
    assert page.content.decode().count("Not recorded") == 2  # age and sex


def test_a_patient_with_a_profile_but_no_logged_record_only_gets_the_record_and_keeps_an_existing_document():
    patient = PatientFactory()
    repository.create_patient_record(patient_id=patient.pk, blood_type="AB+", allergies=["látex"])

    run_repair()
    call_command("reconcile", stdout=StringIO())

    assert PatientProfile.objects.filter(user=patient).count() == 1
    assert Operation.objects.get(patient=patient).state == OperationState.DONE
    record = repository.get_patient_record(patient_id=patient.pk)
    assert (record["blood_type"], record["allergies"]) == ("AB+", ["látex"])


def test_registered_patients_and_staff_are_left_alone():
    registered = register_patient(
        email="ok@example.test",
        first_name="Ok",
        last_name="Paciente",
        date_of_birth="1990-01-01",
        sex="F",
    )
    AdminFactory()

    run_repair()

    assert list(Operation.objects.values_list("patient", flat=True)) == [registered.pk]
    assert PatientProfile.objects.count() == 1
