"""The record page: encounters newest first, blood type and allergies, addenda."""

import re

import pytest
from django.core.cache import cache
from django.utils import timezone
from django.utils.formats import date_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tests.factories import ReceptionFactory
from records import coordinator, repository
from records.models import AuditEvent, ClinicDetails
from records.tests.helpers import appointment_with_record, consultation_payload
from records.tests.view_helpers import closed_encounter, record_url, shown_messages
from scheduling.models import AppointmentStatus
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed():
    """A closed consultation: (appointment, encounter id)."""
    return closed_encounter()


def addendum_url(appointment, encounter_id):
    return f"{record_url(appointment.patient_id)}encounters/{encounter_id}/addendum/"


def diagnoses_on(page):
    return re.findall(r"Diagnosis:</strong> (Visit \d+)", page)


def older_link(page):
    return re.search(r'href="\?older=([^"]+)" rel="next"', page)


def newer_link(page):
    return re.search(r'href="\?newer=([^"]+)" rel="prev"', page)


def test_encounters_are_shown_newest_first_ten_to_a_page_with_older_and_newer_links(client):
    first = appointment_with_record()
    closed_encounter(first, diagnosis="Visit 1")
    for number in range(2, 12):
        closed_encounter(
            AppointmentFactory(patient=first.patient, slot__doctor=first.doctor), diagnosis=f"Visit {number}"
        )
    client.force_login(first.doctor)

    page_one = client.get(record_url(first.patient_id)).content.decode()
    page_two = client.get(record_url(first.patient_id), {"older": older_link(page_one)[1]}).content.decode()
    back = client.get(record_url(first.patient_id), {"newer": newer_link(page_two)[1]}).content.decode()

    assert diagnoses_on(page_one) == [f"Visit {number}" for number in range(11, 1, -1)]
    assert diagnoses_on(page_two) == ["Visit 1"]
    assert diagnoses_on(back) == diagnoses_on(page_one)
    assert newer_link(page_one) is None and older_link(page_two) is None
    assert "Page 1" not in page_one  # no page numbers: nothing counts the encounters


def test_encounters_created_in_the_same_millisecond_are_each_shown_once_across_pages(client):
    first = appointment_with_record()
    closed_encounter(first, diagnosis="Visit 1")
    for number in range(2, 26):
        closed_encounter(
            AppointmentFactory(patient=first.patient, slot__doctor=first.doctor), diagnosis=f"Visit {number}"
        )
    same_instant = timezone.now().replace(microsecond=0)
    repository._encounters().update_many({"patient_id": first.patient_id}, {"$set": {"created_at": same_instant}})
    cache.clear()  # the chain no longer verifies (created_at is signed): the pages still list every note once
    client.force_login(first.doctor)

    seen, params = [], {}
    for _ in range(5):
        page = client.get(record_url(first.patient_id), params).content.decode()
        seen += diagnoses_on(page)
        link = older_link(page)
        if link is None:
            break
        params = {"older": link[1]}

    assert sorted(seen) == sorted(f"Visit {number}" for number in range(1, 26))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(older=st.text(max_size=60), newer=st.text(max_size=60))
def test_any_cursor_in_the_address_shows_a_page_never_an_error(client, closed, older, newer):
    appointment, _ = closed
    client.force_login(appointment.patient)

    response = client.get("/me/record/", {"older": older, "newer": newer})

    assert response.status_code == 200
    assert "Acute pharyngitis" in response.content.decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "99999999999999.ffffffffffffffffffffffff",
        "0.000000000000000000000000",
        "253402300799999.0123456789abcdef01234567",
    ],
)
def test_a_well_formed_cursor_past_either_end_shows_the_newest_page(client, closed, cursor):
    appointment, _ = closed
    client.force_login(appointment.patient)

    for name in ("older", "newer"):
        page = client.get("/me/record/", {name: cursor}).content.decode()
        assert "Acute pharyngitis" in page


def test_each_encounter_shows_its_vitals_diagnosis_prescription_and_notes(client, closed):
    appointment, _ = closed
    client.force_login(appointment.patient)

    page = client.get("/me/record/").content.decode()

    for text in (
        "Acute pharyngitis",
        "(CIE-10 J02.9)",
        "Two days of sore throat and fever.",
        "Red pharynx, no exudate.",
        "Weight 70 kg",
        "Height 170 cm",
        "BMI 24.2",
        "Temperature 38.2 °C",
        "Blood pressure 120/80 mmHg",
        "Heart rate 88 beats/min",
        "Respiratory rate 16 breaths/min",
        "Paracetamol — 500 mg, oral, every 8 hours, 3 days",
        "Review in one week if not better.",
        "Rest and fluids.",
        appointment.doctor.get_full_name(),
    ):
        assert text in page


def test_the_record_is_headed_by_the_clinic_details_and_the_patients_identity(client, closed):
    appointment, _ = closed
    ClinicDetails(
        name="Clínica Medly Mérida",
        address="Calle 60 #491, Centro, Mérida, Yucatán",
        legal_owner="Medly S.A. de C.V.",
        clues="YNSSA000123",
    ).save()
    client.force_login(appointment.doctor)

    page = client.get(record_url(appointment.patient_id)).content.decode()

    for text in (
        "Clínica Medly Mérida",
        "Calle 60 #491",
        "Medly S.A. de C.V.",
        "CLUES YNSSA000123",
        appointment.patient.get_full_name(),
        "Female",
        "O+",
        "penicilina",
    ):
        assert text in page


def test_the_treating_doctor_updates_blood_type_and_allergies_with_an_audited_before_and_after(client, closed):
    appointment, _ = closed
    client.force_login(appointment.doctor)

    response = client.post(
        f"{record_url(appointment.patient_id)}update/",
        {
            "blood_type": "A-",
            "allergies": "penicilina,  látex , ",
            "reason": "Blood bank card",
            "version": "1",
        },
    )

    assert response.status_code == 302
    assert "Blood type and allergies updated." in shown_messages(response)
    record = repository.get_patient_record(patient_id=appointment.patient_id)
    assert (record["blood_type"], record["allergies"]) == ("A-", ["penicilina", "látex"])
    event = AuditEvent.objects.get(action="record.update")
    assert (event.user, event.patient, event.ip_address) == (appointment.doctor, appointment.patient, "127.0.0.1")
    assert event.detail == {
        "reason": "Blood bank card",
        "before": {"blood_type": "O+", "allergies": ["penicilina"]},
        "after": {"blood_type": "A-", "allergies": ["penicilina", "látex"]},
    }
    assert "látex" in client.get(record_url(appointment.patient_id)).content.decode()


def test_repeated_allergies_are_kept_once_and_audited_as_kept(client, closed):
    appointment, _ = closed
    client.force_login(appointment.doctor)

    client.post(
        f"{record_url(appointment.patient_id)}update/",
        {
            "blood_type": "O+",
            "allergies": "Látex, látex, penicilina, PENICILINA",
            "reason": "Interview",
            "version": "1",
        },
    )

    record = repository.get_patient_record(patient_id=appointment.patient_id)
    assert record["allergies"] == ["Látex", "penicilina"]
    assert AuditEvent.objects.get(action="record.update").detail["after"]["allergies"] == ["Látex", "penicilina"]


def test_updating_a_record_the_records_store_has_not_received_yet_explains_and_changes_nothing(client):
    appointment = AppointmentFactory()  # its patient's record document is still waiting in the log
    client.force_login(appointment.doctor)

    response = client.post(
        f"{record_url(appointment.patient_id)}update/",
        {
            "blood_type": "A+",
            "allergies": "",
            "reason": "Card",
            "version": "1",
        },
    )

    assert response.status_code == 302
    assert "This patient's record is not in the records store yet. Please try again shortly." in shown_messages(
        response
    )
    assert repository.get_patient_record(patient_id=appointment.patient_id) is None
    assert not AuditEvent.objects.filter(action="record.update").exists()


@pytest.mark.parametrize(
    "change",
    [
        {"blood_type": "Z+", "allergies": "", "reason": "Typo", "version": "1"},
        {"blood_type": "A+", "allergies": "", "reason": "", "version": "1"},
        {"blood_type": "A+", "allergies": "x" * 101, "reason": "Long", "version": "1"},
        {"blood_type": "A+", "allergies": "", "reason": "No version"},
        {"blood_type": "A+", "allergies": "", "reason": "Bad version", "version": "-1"},
    ],
    ids=["unknown blood type", "no reason", "allergy too long", "no version", "negative version"],
)
def test_an_invalid_record_update_changes_nothing(client, closed, change):
    appointment, _ = closed
    client.force_login(appointment.doctor)

    response = client.post(f"{record_url(appointment.patient_id)}update/", change)

    assert response.status_code == 302
    assert shown_messages(response)
    record = repository.get_patient_record(patient_id=appointment.patient_id)
    assert (record["blood_type"], record["allergies"]) == ("O+", ["penicilina"])
    assert not AuditEvent.objects.filter(action="record.update").exists()


def test_an_addendum_keeps_the_original_visible_and_shows_its_author_time_and_reason(client, closed):
    appointment, encounter_id = closed
    client.force_login(appointment.doctor)

    response = client.post(
        addendum_url(appointment, encounter_id),
        {
            "reason": "Wrong duration",
            "text": "Paracetamol for 5 days, not 3.",
        },
    )

    assert response.status_code == 302
    assert "Addendum added." in shown_messages(response)
    encounter = repository.get_encounter(encounter_id=encounter_id, patient_id=appointment.patient_id)
    assert encounter["prescription"][0]["duration"] == "3 days"  # the signed note is never edited
    [addendum] = encounter["addenda"]
    page = client.get(record_url(appointment.patient_id)).content.decode()
    assert "Paracetamol — 500 mg, oral, every 8 hours, 3 days" in page
    assert "Paracetamol for 5 days, not 3." in page
    assert "Wrong duration" in page
    assert appointment.doctor.get_full_name() in page
    assert date_format(timezone.localtime(addendum["created_at"]), "DATETIME_FORMAT") in page
    event = AuditEvent.objects.get(action="encounter.addendum")
    assert (event.user, event.patient, event.encounter_id, event.ip_address) == (
        appointment.doctor,
        appointment.patient,
        encounter_id,
        "127.0.0.1",
    )
    doctor = appointment.doctor
    assert event.detail == {"reason": "Wrong duration", "author": {"id": doctor.pk, "name": doctor.get_full_name()}}


def test_an_addendum_to_another_doctors_note_names_both_doctors_on_the_page_and_in_the_audit(client, closed):
    appointment, encounter_id = closed
    colleague = AppointmentFactory(patient=appointment.patient, status=AppointmentStatus.COMPLETED).doctor
    client.force_login(colleague)

    response = client.post(
        addendum_url(appointment, encounter_id),
        {
            "reason": "Allergy found later",
            "text": "The patient reacted to the prescribed drug.",
        },
    )

    assert response.status_code == 302
    page = client.get(record_url(appointment.patient_id)).content.decode()
    note_author = appointment.doctor.get_full_name()
    assert f"{colleague.get_full_name()}, to the note by {note_author}" in page
    event = AuditEvent.objects.get(action="encounter.addendum")
    assert event.user == colleague
    assert event.detail == {
        "reason": "Allergy found later",
        "author": {"id": colleague.pk, "name": colleague.get_full_name()},
        "note_author": {"id": appointment.doctor.pk, "name": note_author},
    }


def test_submitting_the_same_addendum_form_twice_adds_it_once(client, closed):
    appointment, encounter_id = closed
    client.force_login(appointment.doctor)
    page = client.get(record_url(appointment.patient_id)).content.decode()
    addendum_id = re.search(r'name="addendum_id" value="([0-9a-f]{24})"', page).group(1)
    form = {"addendum_id": addendum_id, "reason": "Allergy", "text": "Patient also reports latex allergy."}

    client.post(addendum_url(appointment, encounter_id), form)
    second = client.post(addendum_url(appointment, encounter_id), form)

    assert "This addendum was already added." in shown_messages(second)
    encounter = repository.get_encounter(encounter_id=encounter_id, patient_id=appointment.patient_id)
    assert len(encounter["addenda"]) == 1
    assert AuditEvent.objects.filter(action="encounter.addendum").count() == 1


def test_an_addendum_without_a_reason_is_refused(client, closed):
    appointment, encounter_id = closed
    client.force_login(appointment.doctor)

    response = client.post(addendum_url(appointment, encounter_id), {"reason": "", "text": "Something"})

    assert "An addendum needs a reason and a text." in shown_messages(response)
    assert repository.get_encounter(encounter_id=encounter_id, patient_id=appointment.patient_id)["addenda"] == []


@pytest.mark.parametrize("who", ["patient", "reception"])
def test_patients_and_reception_cannot_add_addenda(client, closed, who):
    appointment, encounter_id = closed
    client.force_login(appointment.patient if who == "patient" else ReceptionFactory())

    response = client.post(addendum_url(appointment, encounter_id), {"reason": "Mine", "text": "I disagree."})

    assert response.status_code == 403
    assert repository.get_encounter(encounter_id=encounter_id, patient_id=appointment.patient_id)["addenda"] == []


def test_the_patient_reads_their_record_without_the_doctors_forms(client, closed):
    appointment, _ = closed
    client.force_login(appointment.patient)

    page = client.get("/me/record/").content.decode()

    assert "Acute pharyngitis" in page
    assert "Add an addendum" not in page
    assert "Update blood type and allergies" not in page


def test_the_treating_doctor_sees_the_forms_to_update_and_to_add_an_addendum(client, closed):
    appointment, _ = closed
    client.force_login(appointment.doctor)

    page = client.get(record_url(appointment.patient_id)).content.decode()

    assert "Add an addendum" in page
    assert "Update blood type and allergies" in page


def test_each_encounters_addendum_form_has_field_ids_of_its_own(client, closed):
    appointment, _ = closed
    second = appointment_with_record(patient=appointment.patient, slot__doctor=appointment.doctor)
    coordinator.close_consultation(appointment_id=second.pk, doctor=second.doctor, payload=consultation_payload())
    client.force_login(appointment.doctor)

    page = client.get(record_url(appointment.patient_id)).content.decode()

    ids = re.findall(r'<textarea[^>]* id="([^"]+)"', page)
    assert len(ids) == 2
    assert len(set(ids)) == 2


def test_the_record_form_carries_the_version_the_page_was_drawn_on(client, closed):
    appointment, _ = closed
    client.force_login(appointment.doctor)

    page = client.get(record_url(appointment.patient_id)).content.decode()

    assert '<input type="hidden" name="version" value="1"' in page


def test_an_edit_from_a_page_opened_before_another_doctors_edit_is_refused_and_shows_the_current_values(client, closed):
    appointment, _ = closed
    client.force_login(appointment.doctor)
    first = client.post(
        f"{record_url(appointment.patient_id)}update/",
        {
            "blood_type": "O+",
            "allergies": "penicilina, látex",
            "reason": "Interview",
            "version": "1",
        },
    )
    assert "Blood type and allergies updated." in shown_messages(first)

    stale = client.post(
        f"{record_url(appointment.patient_id)}update/",
        {
            "blood_type": "A+",
            "allergies": "penicilina, sulfas",
            "reason": "Other tab",
            "version": "1",
        },
    )

    assert stale.status_code == 302
    assert shown_messages(stale)[-1:] == [
        "Someone changed this record after you opened the page, so nothing was saved. It now reads: blood type O+; "
        "allergies: penicilina, látex. Please make your change again on these values."
    ]
    record = repository.get_patient_record(patient_id=appointment.patient_id)
    assert (record["blood_type"], record["allergies"], record["version"]) == ("O+", ["penicilina", "látex"], 2)
    assert AuditEvent.objects.filter(action="record.update").count() == 1
    page = client.get(record_url(appointment.patient_id)).content.decode()
    assert '<input type="hidden" name="version" value="2"' in page
    assert 'value="penicilina, látex"' in page
