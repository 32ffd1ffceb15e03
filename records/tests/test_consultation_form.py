"""The consultation form for a doctor with a queue: errors at a glance, units, context, a last look before signing."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format

from records import repository
from records.models import Operation
from records.tests.helpers import appointment_with_record
from records.tests.view_helpers import (
    TWO_LINES,
    allergy_override,
    closed_encounter,
    consultation_form,
    consultation_url,
    record_url,
    starting_today,
)
from scheduling.models import AppointmentStatus
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def appointment():
    return appointment_with_record(slot__starts_at=starting_today(), reason="Dolor de garganta desde el lunes")


@pytest.fixture
def doctor_client(client, appointment):
    client.force_login(appointment.doctor)
    return client


def error_summary(page):
    start = page.index('class="error-summary"')
    return page[start : page.index("</div>", start)]


def stored_encounter(appointment):
    appointment.refresh_from_db()
    return repository.get_encounter(encounter_id=appointment.encounter_id, patient_id=appointment.patient_id)


def test_the_error_summary_is_an_alert_that_links_to_each_field_in_error(doctor_client, appointment):
    form = consultation_form(temperature_c="80", diagnosis="", **{"rx-1-dose": ""})

    page = doctor_client.post(consultation_url(appointment), form).content.decode()

    summary = error_summary(page)
    assert 'role="alert"' in summary and 'tabindex="-1"' in summary
    links = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)
    assert [anchor for anchor, _ in links] == ["id_temperature_c", "id_diagnosis", "id_rx-1-dose"]
    assert "Temperature (°C): Enter a number between 30 and 45 °C." in summary
    assert "Prescription line 2: Each prescription line needs" in summary
    for anchor, _ in links:
        assert f'id="{anchor}"' in page, f"the summary links to #{anchor}, which is not on the page"


def test_a_valid_note_has_no_error_summary(doctor_client, appointment):
    page = doctor_client.get(consultation_url(appointment)).content.decode()

    assert "error-summary" not in page
    assert '<script src="/static/js/consultation.js" defer></script>' in page


@pytest.mark.parametrize(
    ("field", "value", "english", "spanish"),
    [
        ("temperature_c", "80", "between 30 and 45 °C", "entre 30 y 45 °C"),
        ("weight_kg", "0.1", "between 0.3 and 400 kg", "entre 0.3 y 400 kg"),
        ("height_cm", "300", "between 20 and 250 cm", "entre 20 y 250 cm"),
        ("systolic", "300", "between 50 and 260 mmHg", "entre 50 y 260 mmHg"),
        ("heart_rate", "5", "between 20 and 250 beats/min", "entre 20 y 250 lat/min"),
        ("respiratory_rate", "99", "between 4 and 80 breaths/min", "entre 4 y 80 resp/min"),
        ("spo2", "101", "between 50 and 100 %", "entre 50 y 100 %"),
        ("glucose_mg_dl", "5", "between 20 and 800 mg/dL", "entre 20 y 800 mg/dL"),
        ("temperature_c", "warm", "between 30 and 45 °C", "entre 30 y 45 °C"),
    ],
)
def test_an_out_of_range_vital_names_the_range_and_its_unit_in_both_languages(
    client, appointment, field, value, english, spanish
):
    client.force_login(appointment.doctor)
    change = {field: value, "diastolic": "40"} if field == "systolic" else {field: value}

    in_english = client.post(consultation_url(appointment), consultation_form(**change)).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es-mx"
    in_spanish = client.post(consultation_url(appointment), consultation_form(**change)).content.decode()

    assert f"Enter a number {english}." in in_english
    assert f"Escriba un número {spanish}." in in_spanish
    assert in_english.count(f"Enter a number {english}.") == 2, "once by the field, once in the summary"
    assert not Operation.objects.exists()


@pytest.mark.parametrize("lines", [1, 3, 5])
def test_a_refused_note_keeps_every_prescription_line_with_its_error_on_its_own_line(doctor_client, appointment, lines):
    sent = [dict(TWO_LINES[number % 2], drug=f"Fármaco {number}") for number in range(lines)]
    sent[-1] = {**sent[-1], "route": ""}

    page = doctor_client.post(
        consultation_url(appointment), consultation_form(lines=sent, total_forms=lines + 1, temperature_c="99")
    ).content.decode()

    assert f'name="rx-TOTAL_FORMS" value="{lines + 1}"' in page
    fieldsets = re.findall(r'<fieldset class="rx-line[^"]*">(.*?)</fieldset>', page, re.S)
    assert len(fieldsets) == lines + 1
    for number, line in enumerate(sent):
        assert f'value="{line["drug"]}"' in fieldsets[number]
    with_error = [number for number, html in enumerate(fieldsets) if "Each prescription line needs" in html]
    assert with_error == [lines - 1]
    assert 'class="rx-line rx-line-invalid"' in page
    assert not Operation.objects.exists()


def test_the_page_shows_the_reason_and_the_last_three_visits_in_a_fixed_number_of_queries(
    client, appointment, django_assert_num_queries
):
    for number in range(4):
        earlier = AppointmentFactory(
            patient=appointment.patient,
            slot__doctor=appointment.doctor,
            slot__starts_at=timezone.now() - timedelta(days=40 - number),
        )
        closed_encounter(earlier, diagnosis=f"Visit {number}", diagnosis_code="J06.9")
    client.force_login(appointment.doctor)
    client.get(consultation_url(appointment))  # the first GET records the opening

    with django_assert_num_queries(CONSULTATION_PAGE_QUERIES):
        page = client.get(consultation_url(appointment)).content.decode()

    assert "Dolor de garganta desde el lunes" in page
    start = page.index('class="last-visits"')
    visits = page[start : page.index("</ul>", start)]
    assert re.findall(r"Visit \d", visits) == ["Visit 3", "Visit 2", "Visit 1"]
    assert "(CIE-10 J06.9)" in visits
    assert "Paracetamol 500 mg" in visits


# The user, the appointment with its patient and profile, the audit event; the last visits come from MongoDB.
CONSULTATION_PAGE_QUERIES = 3


def test_a_first_visit_says_so_and_a_missing_reason_is_named(client):
    appointment = appointment_with_record(slot__starts_at=starting_today())
    client.force_login(appointment.doctor)

    page = client.get(consultation_url(appointment)).content.decode()

    assert "Not given when booking" in page
    assert "First visit: no earlier consultations in the record." in page


def test_spo2_glucose_and_relevant_results_are_stored_and_shown_on_the_record_and_the_printed_note(
    doctor_client, appointment
):
    form = consultation_form(spo2="97", glucose_mg_dl="112", results="Biometría hemática 02/12: leucocitos 12 000.")

    response = doctor_client.post(consultation_url(appointment), form)

    assert response.status_code == 302
    encounter = stored_encounter(appointment)
    assert encounter["vitals"]["spo2"] == 97.0
    assert encounter["vitals"]["glucose_mg_dl"] == 112.0
    assert encounter["results"] == "Biometría hemática 02/12: leucocitos 12 000."
    record = doctor_client.get(record_url(appointment.patient_id)).content.decode()
    printed = doctor_client.get(
        f"{record_url(appointment.patient_id)}encounters/{encounter['id']}/prescription/"
    ).content.decode()
    for page in (record, printed):
        assert "SpO₂ 97 %" in page
        assert "Capillary glucose 112 mg/dL" in page
        assert "Relevant results:</strong> Biometría hemática 02/12: leucocitos 12 000." in page


def test_the_review_button_shows_the_note_to_sign_and_writes_nothing(doctor_client, appointment):
    page = doctor_client.post(consultation_url(appointment), consultation_form(review="1")).content.decode()

    assert "You are about to sign this note. Once signed it cannot be changed" in page
    assert 'name="confirm" value="1"' in page
    assert 'type="hidden" name="diagnosis" value="Acute pharyngitis"' in page
    assert 'type="hidden" name="rx-1-drug" value="Loratadina"' in page
    assert "Paracetamol — 500 mg, oral, every 8 hours, 3 days" in page
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED
    assert not Operation.objects.exists()


def test_confirming_the_review_closes_with_what_was_reviewed(doctor_client, appointment):
    review = doctor_client.post(consultation_url(appointment), consultation_form(review="1")).content.decode()
    carried = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', review))

    response = doctor_client.post(consultation_url(appointment), {**carried, "confirm": "1"})

    assert response.status_code == 302
    encounter = stored_encounter(appointment)
    assert encounter["diagnosis"] == "Acute pharyngitis"
    assert encounter["prescription"] == [{**line, "presentation": ""} for line in TWO_LINES]


def test_back_from_the_review_redraws_the_note_as_typed(doctor_client, appointment):
    page = doctor_client.post(consultation_url(appointment), consultation_form(edit="1")).content.decode()

    assert 'value="Acute pharyngitis"' in page
    assert 'name="review"' in page
    assert not Operation.objects.exists()


def test_an_appointment_of_another_day_needs_an_explicit_confirmation(client):
    appointment = appointment_with_record(slot__starts_at=timezone.now() - timedelta(days=2))
    client.force_login(appointment.doctor)
    visit_day = date_format(timezone.localtime(appointment.starts_at).date(), "DATE_FORMAT")

    refused = client.post(consultation_url(appointment), consultation_form())

    assert refused.status_code == 200
    page = refused.content.decode()
    assert f"This visit was on {visit_day}, not today. Tick the box to confirm" in error_summary(page)
    assert 'href="#id_close_other_day"' in page
    assert not Operation.objects.exists()

    closed = client.post(consultation_url(appointment), consultation_form(close_other_day="on"))

    assert closed.status_code == 302
    encounter = stored_encounter(appointment)
    assert abs(encounter["visit_at"] - appointment.starts_at) < timedelta(milliseconds=1)  # BSON keeps milliseconds
    assert encounter["created_at"] > appointment.starts_at + timedelta(days=1)


def test_the_record_shows_the_visit_date_and_when_a_late_note_was_signed(client):
    appointment = appointment_with_record(slot__starts_at=timezone.now() - timedelta(days=2))
    client.force_login(appointment.doctor)
    client.post(consultation_url(appointment), consultation_form(close_other_day="on"))

    page = client.get(record_url(appointment.patient_id)).content.decode()

    visit = date_format(timezone.localtime(appointment.starts_at), "DATETIME_FORMAT")
    assert f"<h3>{visit} · " in page
    assert "after the day of the visit" in page


def test_todays_appointment_closes_without_the_other_day_box(doctor_client, appointment):
    page = doctor_client.get(consultation_url(appointment)).content.decode()
    response = doctor_client.post(consultation_url(appointment), consultation_form())

    assert 'name="close_other_day"' not in page
    assert response.status_code == 302
    assert abs(stored_encounter(appointment)["visit_at"] - appointment.starts_at) < timedelta(milliseconds=1)


def test_an_allergy_confirmed_before_the_review_is_carried_to_the_signature(doctor_client, appointment):
    penicillin = {
        "drug": "Penicilina G benzatínica",
        "dose": "1 200 000 UI",
        "route": "intramuscular",
        "frequency": "single dose",
        "duration": "1 day",
    }
    form = consultation_form(lines=[penicillin], review="1")

    warned = doctor_client.post(consultation_url(appointment), form).content.decode()
    override = allergy_override(warned)
    review = doctor_client.post(consultation_url(appointment), {**form, **override}).content.decode()
    carried = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', review))
    closed = doctor_client.post(consultation_url(appointment), {**carried, "confirm": "1"})

    assert "Allergy warning" in warned and "You are about to sign this note" not in warned
    assert "You are about to sign this note" in review
    assert carried["allergy_override_token"] == override["allergy_override_token"]
    assert carried["allergy_override_reason"] == override["allergy_override_reason"]
    assert closed.status_code == 302
    encounter = stored_encounter(appointment)
    assert encounter["prescription"] == [{**penicillin, "presentation": ""}]
    assert encounter["allergy_override"]["reason"] == override["allergy_override_reason"]
