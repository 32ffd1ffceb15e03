"""The allergy override on the consultation page: bound to the warnings shown, with a reason, stored and audited."""

import pytest
from django.core import signing

from records import audit, repository
from records.models import AuditEvent, Operation
from records.tests.helpers import appointment_with_record, consultation_payload, encounters_of
from records.tests.view_helpers import allergy_override, consultation_form, consultation_url, starting_today
from scheduling.models import AppointmentStatus

pytestmark = pytest.mark.django_db

AMOXICILLIN = {
    "drug": "Amoxicilina + ácido clavulánico",
    "presentation": "tabletas 875/125 mg",
    "dose": "1 tableta",
    "route": "oral",
    "frequency": "cada 12 horas",
    "duration": "7 días",
}
CEPHALEXIN = {
    "drug": "Cefalexina",
    "presentation": "cápsulas 500 mg",
    "dose": "500 mg",
    "route": "oral",
    "frequency": "cada 6 horas",
    "duration": "7 días",
}
LORATADINE = {
    "drug": "Loratadina",
    "presentation": "",
    "dose": "10 mg",
    "route": "oral",
    "frequency": "cada 24 horas",
    "duration": "5 días",
}


@pytest.fixture
def appointment():
    return appointment_with_record(slot__starts_at=starting_today())


@pytest.fixture
def doctor(client, appointment):
    client.force_login(appointment.doctor)
    return client


def assert_nothing_written(appointment):
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED
    assert not Operation.objects.exists()
    assert encounters_of(appointment) == []


def warned(doctor, appointment, lines):
    response = doctor.post(consultation_url(appointment), consultation_form(lines=lines))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Allergy warning" in page
    return page


def test_the_warning_names_the_class_and_the_reason(doctor, appointment):
    page = warned(doctor, appointment, [AMOXICILLIN, CEPHALEXIN])

    assert (
        "Amoxicilina + ácido clavulánico is a penicillin; the patient is allergic to penicillins "
        "(recorded as &quot;penicilina&quot;)." in page
    )
    assert (
        "Cefalexina is a cephalosporin: cross-reactivity with the recorded allergy to penicillins is possible "
        "(recorded as &quot;penicilina&quot;)." in page
    )
    assert 'name="allergy_override_reason"' in page
    assert_nothing_written(appointment)


def test_the_warning_is_in_spanish_for_a_spanish_speaking_doctor(doctor, appointment):
    doctor.cookies.load({"django_language": "es-mx"})

    page = doctor.post(consultation_url(appointment), consultation_form(lines=[AMOXICILLIN])).content.decode()

    assert "Amoxicilina + ácido clavulánico es una penicilina; el paciente tiene alergia registrada a las " in page
    assert "Motivo para recetar a pesar de las advertencias" in page


def test_an_override_with_a_reason_closes_and_is_stored_on_the_encounter(doctor, appointment):
    page = warned(doctor, appointment, [AMOXICILLIN, LORATADINE])

    response = doctor.post(
        consultation_url(appointment),
        {**consultation_form(lines=[AMOXICILLIN, LORATADINE]), **allergy_override(page, "Rash only, years ago")},
    )

    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED
    encounter = repository.get_encounter(encounter_id=appointment.encounter_id, patient_id=appointment.patient_id)
    override = encounter["allergy_override"]
    assert override["reason"] == "Rash only, years ago"
    assert override["by"] == {"id": appointment.doctor.pk, "name": appointment.doctor.get_full_name()}
    assert override["at"]
    assert override["warnings"] == [
        {
            "drug": "Amoxicilina + ácido clavulánico",
            "allergy": "penicilina",
            "kind": "class",
            "drug_class": "penicillins",
            "allergy_class": "penicillins",
        }
    ]
    assert encounter["prescription"][0]["presentation"] == "tabletas 875/125 mg"


def test_the_override_is_audited_with_its_reason_and_warnings(doctor, appointment):
    page = warned(doctor, appointment, [AMOXICILLIN])

    doctor.post(
        consultation_url(appointment),
        {**consultation_form(lines=[AMOXICILLIN]), **allergy_override(page, "Desensitised in 2024")},
    )

    appointment.refresh_from_db()
    event = AuditEvent.objects.get(action=audit.ENCOUNTER_ALLERGY_OVERRIDE)
    assert (event.user, event.patient_id, event.encounter_id, event.ip_address) == (
        appointment.doctor,
        appointment.patient_id,
        appointment.encounter_id,
        "127.0.0.1",
    )
    assert event.detail["reason"] == "Desensitised in 2024"
    assert [w["drug_class"] for w in event.detail["warnings"]] == ["penicillins"]


def test_a_changed_prescription_is_checked_and_shown_again(doctor, appointment):
    page = warned(doctor, appointment, [AMOXICILLIN])

    response = doctor.post(
        consultation_url(appointment), {**consultation_form(lines=[CEPHALEXIN]), **allergy_override(page)}
    )

    assert response.status_code == 200
    again = response.content.decode()
    assert "The prescription changed since you confirmed, so the warnings are different." in again
    assert "Cefalexina is a cephalosporin" in again
    assert_nothing_written(appointment)

    closed = doctor.post(
        consultation_url(appointment), {**consultation_form(lines=[CEPHALEXIN]), **allergy_override(again)}
    )

    assert closed.status_code == 302


def test_an_added_drug_that_warns_too_needs_a_new_confirmation(doctor, appointment):
    page = warned(doctor, appointment, [AMOXICILLIN])

    response = doctor.post(
        consultation_url(appointment),
        {**consultation_form(lines=[AMOXICILLIN, CEPHALEXIN]), **allergy_override(page)},
    )

    assert response.status_code == 200
    assert "The prescription changed since you confirmed" in response.content.decode()
    assert_nothing_written(appointment)


def test_a_change_that_leaves_the_warnings_as_they_were_keeps_the_override(doctor, appointment):
    page = warned(doctor, appointment, [AMOXICILLIN])
    new_dose = {**AMOXICILLIN, "dose": "2 tabletas", "drug": "amoxicilina + acido clavulanico"}

    response = doctor.post(
        consultation_url(appointment), {**consultation_form(lines=[new_dose]), **allergy_override(page)}
    )

    assert response.status_code == 302


def test_a_tampered_token_is_refused(doctor, appointment):
    page = warned(doctor, appointment, [AMOXICILLIN])
    fields = allergy_override(page)
    forged = signing.dumps({"appointment": appointment.pk, "warnings": []}, salt="another salt")

    for token in (fields["allergy_override_token"][:-2] + "xx", forged, "not a token"):
        response = doctor.post(
            consultation_url(appointment),
            {**consultation_form(lines=[AMOXICILLIN]), **fields, "allergy_override_token": token},
        )

        assert response.status_code == 200
        assert "The confirmation could not be verified. Check the warnings again." in response.content.decode()
    assert_nothing_written(appointment)


def test_a_token_for_another_appointment_does_not_apply(doctor, appointment):
    other = appointment_with_record(slot__doctor=appointment.doctor, slot__starts_at=starting_today(minutes=30))
    other_page = warned(doctor, other, [AMOXICILLIN])

    response = doctor.post(
        consultation_url(appointment), {**consultation_form(lines=[AMOXICILLIN]), **allergy_override(other_page)}
    )

    assert response.status_code == 200
    assert_nothing_written(appointment)


def test_an_override_needs_a_reason_and_the_tick(doctor, appointment):
    page = warned(doctor, appointment, [AMOXICILLIN])
    fields = allergy_override(page)

    no_reason = doctor.post(
        consultation_url(appointment),
        {**consultation_form(lines=[AMOXICILLIN]), **fields, "allergy_override_reason": "   "},
    )
    no_tick = doctor.post(
        consultation_url(appointment),
        {**consultation_form(lines=[AMOXICILLIN]), **{k: v for k, v in fields.items() if k != "confirm_allergy"}},
    )

    assert "Give the reason for prescribing despite the warnings." in no_reason.content.decode()
    assert "Tick this box to prescribe despite the warnings." in no_tick.content.decode()
    assert_nothing_written(appointment)


def test_the_old_tick_alone_no_longer_overrides(doctor, appointment):
    response = doctor.post(
        consultation_url(appointment), {**consultation_form(lines=[AMOXICILLIN]), "confirm_allergy": "1"}
    )

    assert response.status_code == 200
    assert "Confirm the warnings shown below, with a reason." in response.content.decode()
    assert_nothing_written(appointment)


def test_an_expired_token_is_refused(doctor, appointment, monkeypatch):
    page = warned(doctor, appointment, [AMOXICILLIN])
    fields = allergy_override(page)
    original_loads = signing.loads
    monkeypatch.setattr(signing, "loads", lambda *args, **kwargs: original_loads(*args, **{**kwargs, "max_age": -1}))

    response = doctor.post(consultation_url(appointment), {**consultation_form(lines=[AMOXICILLIN]), **fields})

    assert response.status_code == 200
    assert "could not be verified" in response.content.decode()
    assert_nothing_written(appointment)


def test_no_warning_no_override(doctor, appointment):
    response = doctor.post(consultation_url(appointment), consultation_form(lines=[LORATADINE]))

    assert response.status_code == 302
    appointment.refresh_from_db()
    encounter = repository.get_encounter(encounter_id=appointment.encounter_id, patient_id=appointment.patient_id)
    assert "allergy_override" not in encounter
    assert not AuditEvent.objects.filter(action=audit.ENCOUNTER_ALLERGY_OVERRIDE).exists()


def test_the_record_page_shows_the_override_reason(doctor, appointment):
    page = warned(doctor, appointment, [AMOXICILLIN])
    doctor.post(
        consultation_url(appointment),
        {**consultation_form(lines=[AMOXICILLIN]), **allergy_override(page, "Tolerated amoxicillin in 2023")},
    )

    record = doctor.get(f"/patients/{appointment.patient_id}/record/").content.decode()

    assert "Allergy warnings overridden" in record
    assert "Tolerated amoxicillin in 2023" in record
    assert "Amoxicilina + ácido clavulánico (tabletas 875/125 mg)" in record


# --- the records store keeps only what it expects -----------------------------------------------------------

OVERRIDE = {
    "reason": "Tolerated it before",
    "warnings": [
        {
            "drug": "Amoxicilina",
            "allergy": "penicilina",
            "kind": "class",
            "drug_class": "penicillins",
            "allergy_class": "penicillins",
        }
    ],
    "by": {"id": 7, "name": "Dra. Ana Pech"},
    "at": "2026-12-06T20:00:00+00:00",
}


def encounter_document(**overrides):
    return {
        **consultation_payload(),
        "appointment_id": 1,
        "patient_id": 2,
        "doctor_id": 3,
        "state": "pending",
        "addenda": [],
        **overrides,
    }


@pytest.mark.parametrize(
    "override",
    [
        {**OVERRIDE, "reason": ""},
        {**OVERRIDE, "reason": "x" * 501},
        {**OVERRIDE, "warnings": []},
        {**OVERRIDE, "by": "someone"},
        {key: value for key, value in OVERRIDE.items() if key != "at"},
        {**OVERRIDE, "extra": 1},
        "overridden",
    ],
)
def test_the_store_refuses_a_malformed_override(override):
    with pytest.raises(repository.InvalidRecord):
        repository.validate_encounter(encounter_document(allergy_override=override))


def test_the_store_takes_a_well_formed_override_and_lines_with_or_without_a_presentation():
    lines = [
        {
            "drug": "Amoxicilina",
            "presentation": "cápsulas 500 mg",
            "dose": "500 mg",
            "route": "oral",
            "frequency": "cada 8 horas",
            "duration": "7 días",
        },
        {"drug": "Paracetamol", "dose": "500 mg", "route": "oral", "frequency": "cada 8 horas", "duration": "3 días"},
    ]

    repository.validate_encounter(encounter_document(allergy_override=OVERRIDE, prescription=lines))


@pytest.mark.parametrize(
    "line",
    [
        {
            "drug": "Amoxicilina",
            "presentation": "x" * 201,
            "dose": "1",
            "route": "oral",
            "frequency": "f",
            "duration": "d",
        },
        {"drug": "Amoxicilina", "presentation": 5, "dose": "1", "route": "oral", "frequency": "f", "duration": "d"},
        {"drug": "Amoxicilina", "brand": "X", "dose": "1", "route": "oral", "frequency": "f", "duration": "d"},
    ],
)
def test_the_store_refuses_a_bad_presentation_or_an_unknown_field(line):
    with pytest.raises(repository.InvalidRecord):
        repository.validate_encounter(encounter_document(prescription=[line]))
