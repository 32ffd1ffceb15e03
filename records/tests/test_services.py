import pytest
from django.db import DatabaseError

from accounts.tests.factories import DoctorFactory, PatientFactory
from medly.tests.racing import race
from records import audit, repository, services
from records.models import AuditEvent
from records.tests.view_helpers import closed_encounter


def line(drug):
    return {"drug": drug, "dose": "1", "route": "oral", "frequency": "daily", "duration": "1 day"}


def test_a_drug_matches_an_allergy_whatever_its_accents_and_case():
    warnings = services.allergy_warnings(
        [line("AMOXICILINA con ácido clavulánico"), line("Paracetamol")], ["amoxicilina", "Ácido acetilsalicílico"]
    )

    assert [(warning.drug, warning.allergy) for warning in warnings] == [
        ("AMOXICILINA con ácido clavulánico", "amoxicilina")
    ]


def test_a_drug_named_inside_a_longer_allergy_also_matches():
    warnings = services.allergy_warnings([line("Penicilina")], ["penicilina G benzatínica"])

    assert [(warning.drug, warning.allergy) for warning in warnings] == [("Penicilina", "penicilina G benzatínica")]


@pytest.mark.django_db
def test_updating_a_record_that_is_not_in_the_store_yet_changes_nothing():
    patient = PatientFactory()

    with pytest.raises(services.RecordNotReady):
        services.update_blood_type_and_allergies(
            doctor=DoctorFactory(), patient_id=patient.pk, blood_type="A+", allergies=[], version=1, reason="Lab result"
        )

    assert repository.get_patient_record(patient_id=patient.pk) is None
    assert not AuditEvent.objects.exists()


def record_of(patient_id):
    return repository.get_patient_record(patient_id=patient_id)


@pytest.fixture
def patient_with_record():
    patient = PatientFactory()
    repository.create_patient_record(patient_id=patient.pk, blood_type="O+", allergies=["penicilina"])
    return patient


def edit(patient, *, allergies, version, doctor=None, blood_type="O+"):
    services.update_blood_type_and_allergies(
        doctor=doctor or DoctorFactory(),
        patient_id=patient.pk,
        blood_type=blood_type,
        allergies=allergies,
        version=version,
        reason="Interview",
    )


@pytest.mark.django_db
def test_a_new_record_starts_at_version_1_and_each_edit_moves_it_on(patient_with_record):
    assert record_of(patient_with_record.pk)["version"] == 1

    edit(patient_with_record, allergies=["penicilina", "látex"], version=1)

    assert record_of(patient_with_record.pk)["version"] == 2


@pytest.mark.django_db
def test_an_edit_made_on_an_older_version_is_refused_with_the_current_values_and_writes_nothing(
    patient_with_record,
):
    edit(patient_with_record, allergies=["penicilina", "látex"], version=1)  # the first editor saves
    events = AuditEvent.objects.count()

    with pytest.raises(services.RecordChanged) as refused:
        edit(patient_with_record, allergies=["penicilina", "sulfas"], version=1)  # opened before that save

    assert refused.value.current["allergies"] == ["penicilina", "látex"]
    assert refused.value.current["version"] == 2
    assert record_of(patient_with_record.pk)["allergies"] == ["penicilina", "látex"]
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_a_record_written_before_versioning_reads_as_version_0_and_can_be_edited(patient_with_record):
    repository._records().update_one({"patient_id": patient_with_record.pk}, {"$unset": {"version": ""}})
    assert record_of(patient_with_record.pk)["version"] == 0

    edit(patient_with_record, allergies=["látex"], version=0)

    assert record_of(patient_with_record.pk)["version"] == 1
    with pytest.raises(services.RecordChanged):
        edit(patient_with_record, allergies=["sulfas"], version=0)


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_two_doctors_editing_allergies_at_once_lose_no_allergy(patient_with_record):
    first, second = DoctorFactory(), DoctorFactory()

    outcomes = race(
        lambda: edit(patient_with_record, doctor=first, allergies=["penicilina", "látex"], version=1),
        lambda: edit(patient_with_record, doctor=second, allergies=["penicilina", "sulfas"], version=1),
    )

    refused = [o for o in outcomes if isinstance(o, services.RecordChanged)]
    assert len(refused) == 1 and outcomes.count(None) == 1
    # The refused editor is shown the current values and makes the change again on them.
    current = refused[0].current
    loser = second if outcomes[1] is refused[0] else first
    edit(
        patient_with_record,
        doctor=loser,
        allergies=[*current["allergies"], "sulfas" if loser == second else "látex"],
        version=current["version"],
    )
    assert sorted(record_of(patient_with_record.pk)["allergies"]) == ["látex", "penicilina", "sulfas"]


def _fail_every_later_audit_write(monkeypatch):
    def mysql_is_gone(**kwargs):
        raise DatabaseError("(2006, 'MySQL server has gone away')")

    monkeypatch.setattr(audit, "record", mysql_is_gone)


@pytest.mark.django_db
def test_mysql_failing_right_after_the_record_edit_still_leaves_it_audited(monkeypatch, patient_with_record):
    doctor = DoctorFactory()
    update = repository.update_record

    def write_then_lose_mysql(**kwargs):
        update(**kwargs)
        _fail_every_later_audit_write(monkeypatch)

    monkeypatch.setattr(repository, "update_record", write_then_lose_mysql)

    edit(patient_with_record, doctor=doctor, allergies=["penicilina", "látex"], version=1)

    assert record_of(patient_with_record.pk)["allergies"] == ["penicilina", "látex"]
    event = AuditEvent.objects.get(action="record.update")
    assert (event.user, event.patient_id) == (doctor, patient_with_record.pk)
    assert event.detail["after"]["allergies"] == ["penicilina", "látex"]


@pytest.mark.django_db
def test_mysql_failing_before_the_record_edit_changes_nothing_in_mongodb(monkeypatch, patient_with_record):
    _fail_every_later_audit_write(monkeypatch)

    with pytest.raises(DatabaseError):
        edit(patient_with_record, allergies=["látex"], version=1)

    assert record_of(patient_with_record.pk)["allergies"] == ["penicilina"]
    assert record_of(patient_with_record.pk)["version"] == 1


@pytest.mark.django_db
def test_a_record_edit_mongodb_does_not_take_is_followed_by_a_not_written_event(monkeypatch, patient_with_record):
    def refuse(**kwargs):
        raise repository.InvalidRecord("an allergy is at most 100 characters")

    monkeypatch.setattr(repository, "update_record", refuse)

    with pytest.raises(repository.InvalidRecord):
        edit(patient_with_record, allergies=["látex"], version=1)

    intent, outcome = AuditEvent.objects.order_by("pk")
    assert (intent.action, outcome.action) == ("record.update", "record.update_not_written")
    assert outcome.detail == {"intent": intent.pk, "error": "InvalidRecord: an allergy is at most 100 characters"}


@pytest.mark.django_db
def test_mysql_failing_right_after_an_addendum_still_leaves_it_audited(monkeypatch):
    appointment, encounter_id = closed_encounter()
    add = repository.add_addendum

    def write_then_lose_mysql(**kwargs):
        added = add(**kwargs)
        _fail_every_later_audit_write(monkeypatch)
        return added

    monkeypatch.setattr(repository, "add_addendum", write_then_lose_mysql)

    services.add_addendum(
        doctor=appointment.doctor,
        patient_id=appointment.patient_id,
        encounter_id=encounter_id,
        addendum_id=repository.new_encounter_id(),
        reason="Wrong dose",
        text="500 mg, not 50 mg.",
    )

    encounter = repository.get_encounter(encounter_id=encounter_id, patient_id=appointment.patient_id)
    assert [a["reason"] for a in encounter["addenda"]] == ["Wrong dose"]
    event = AuditEvent.objects.get(action="encounter.addendum")
    assert (event.user, event.encounter_id, event.detail) == (
        appointment.doctor,
        encounter_id,
        {"reason": "Wrong dose", "author": {"id": appointment.doctor.pk, "name": appointment.doctor.get_full_name()}},
    )


@pytest.mark.django_db
def test_mysql_failing_before_an_addendum_adds_nothing(monkeypatch):
    appointment, encounter_id = closed_encounter()
    _fail_every_later_audit_write(monkeypatch)

    with pytest.raises(DatabaseError):
        services.add_addendum(
            doctor=appointment.doctor,
            patient_id=appointment.patient_id,
            encounter_id=encounter_id,
            addendum_id=repository.new_encounter_id(),
            reason="Wrong dose",
            text="500 mg, not 50 mg.",
        )

    assert repository.get_encounter(encounter_id=encounter_id, patient_id=appointment.patient_id)["addenda"] == []
