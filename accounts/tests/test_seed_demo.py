from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import PatientProfile, PrivacyConsent, Role, User
from records import repository


@pytest.mark.django_db
def test_the_demo_patient_is_registered_like_any_patient_and_a_second_run_changes_nothing():
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())

    patient = User.objects.get(email="patient@medly.test")
    assert patient.role == Role.PATIENT
    assert PatientProfile.objects.filter(user=patient).count() == 1
    assert PrivacyConsent.objects.filter(user=patient).count() == 1
    assert repository.get_patient_record(patient_id=patient.pk)["allergies"] == ["penicilina"]
    assert User.objects.get(email="admin@medly.test").is_staff
