import pytest

from accounts.tests.factories import DoctorFactory, PatientFactory
from records import repository, services
from records.models import AuditEvent


def line(drug):
    return {"drug": drug, "dose": "1", "route": "oral", "frequency": "daily", "duration": "1 day"}


def test_a_drug_matches_an_allergy_whatever_its_accents_and_case():
    warnings = services.allergy_warnings(
        [line("AMOXICILINA con ácido clavulánico"), line("Paracetamol")], ["amoxicilina", "Ácido acetilsalicílico"]
    )

    assert warnings == [("AMOXICILINA con ácido clavulánico", "amoxicilina")]


def test_a_drug_named_inside_a_longer_allergy_also_matches():
    assert services.allergy_warnings([line("Penicilina")], ["penicilina G benzatínica"]) == [
        ("Penicilina", "penicilina G benzatínica")
    ]


@pytest.mark.django_db
def test_updating_a_record_that_is_not_in_the_store_yet_changes_nothing():
    patient = PatientFactory()

    with pytest.raises(services.RecordNotReady):
        services.update_blood_type_and_allergies(
            doctor=DoctorFactory(), patient_id=patient.pk, blood_type="A+", allergies=[], version=1, reason="Lab result"
        )

    assert repository.get_patient_record(patient_id=patient.pk) is None
    assert not AuditEvent.objects.exists()
