"""Closing a consultation and reading it back, in a real browser (Playwright driving Debian's Chromium).

A doctor opens the consultation from the agenda, writes the progress note with
vitals, a diagnosis and a two-line prescription, and closes it; the patient
then reads it on "My record" and opens the printable prescription.

As in accounts/tests/test_browser.py and scheduling/tests/test_browser.py,
every visible text is read through Django's translation machinery in the
language the page is in, numbers and dates are formatted the way the site
formats them, and form inputs are found by their <label>.
"""

import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import localize
from django.utils.translation import ngettext
from playwright.sync_api import expect

from accounts.tests.factories import DoctorFactory, PatientFactory
from medly.tests.browser import by_label, log_in, nav, switch_language, text, url_is, when
from records import audit, coordinator, repository
from records.forms import ConsultationForm, PrescriptionLineForm
from records.models import AuditEvent, ClinicDetails
from records.tests.helpers import appointment_with_record
from records.tests.view_helpers import starting_today
from scheduling.models import AppointmentStatus
from scheduling.tests.factories import SpecialtyFactory

pytestmark = pytest.mark.browser

EVOLUTION = "Three days of sore throat, fever up to 38.5 °C and pain on swallowing."
PHYSICAL_EXAM = "Red pharynx with enlarged tonsils, no exudate; tender anterior cervical nodes."
DIAGNOSIS = "Acute pharyngitis"
DIAGNOSIS_CODE = "J02.9"
TREATMENT = "Rest, plenty of fluids and warm gargles."
VITALS = {
    "weight_kg": "68.5",
    "height_cm": "165",
    "temperature_c": "37.8",
    "systolic": "118",
    "diastolic": "76",
    "heart_rate": "82",
    "respiratory_rate": "18",
}
BMI = 25.2  # 68.5 kg / (1.65 m)²
LINES = [
    {"drug": "Paracetamol", "dose": "500 mg", "route": "oral", "frequency": "every 8 hours", "duration": "3 days"},
    {"drug": "Loratadina", "dose": "10 mg", "route": "oral", "frequency": "once a day", "duration": "5 days"},
]


# --- helpers -------------------------------------------------------------------


def years(age, language):
    with translation.override(language):
        return ngettext("%(years)s year", "%(years)s years", age) % {"years": age}


def number(value, language):
    """A number as the templates print it in `language`."""
    with translation.override(language):
        return localize(value)


def prescription_line(page, index, language):
    """The block of the prescription formset's line `index` (0-based), checked by its "Line N" caption.

    Each line is a fieldset named by its legend, since the lines' inputs share their labels.
    """
    name = text("Line %(number)s", language, number=index + 1)
    line = page.get_by_role("group", name=name, exact=True)
    expect(line.locator("legend")).to_have_text(name)
    return line


def vitals_fragments(language):
    """What the record prints for the vitals filled in below (values as stored, i.e. floats)."""
    return [
        f"{text('Weight', language)} {number(68.5, language)} kg",
        f"{text('Height', language)} {number(165, language)} cm",
        f"{text('BMI', language)} {number(BMI, language)}",
        f"{text('Temperature', language)} {number(37.8, language)} °C",
        f"{text('Blood pressure', language)} 118/76 mmHg",
        f"{text('Heart rate', language)} 82 {text('beats/min', language)}",
        f"{text('Respiratory rate', language)} 18 {text('breaths/min', language)}",
    ]


def listed_line(line):
    return f"{line['drug']} — {line['dose']}, {line['route']}, {line['frequency']}, {line['duration']}"


def expect_encounter(article, doctor, language):
    """One closed encounter as the record page shows it."""
    expect(article.get_by_role("heading", level=3)).to_contain_text(doctor.get_full_name())
    expect(article).to_contain_text(f"{text('Diagnosis', language)}: {DIAGNOSIS} (CIE-10 {DIAGNOSIS_CODE}")
    vitals = article.locator(".vitals")
    for fragment in vitals_fragments(language):
        expect(vitals).to_contain_text(fragment)
    expect(article).to_contain_text(f"{text('Evolution', language)}: {EVOLUTION}")
    expect(article).to_contain_text(f"{text('Physical examination', language)}: {PHYSICAL_EXAM}")
    expect(article).to_contain_text(f"{text('Treatment and instructions', language)}: {TREATMENT}")
    expect(article.get_by_role("listitem")).to_have_text([listed_line(line) for line in LINES])


def setting_the_scene():
    clinic = ClinicDetails(
        name="Clínica Medly Mérida",
        address="Calle 60 No. 491, Centro, Mérida, Yucatán",
        legal_owner="Medly Salud S.A. de C.V.",
        clues="YNSSA000123",
    )
    clinic.save()
    doctor = DoctorFactory(first_name="Itzel", last_name="Chablé Uc")
    doctor.doctor_profile.specialties.add(SpecialtyFactory(name="Medicina familiar"))
    patient = PatientFactory(first_name="Lucía", last_name="Canul Pech")
    # As after registration: a record document with blood type O+ and an allergy to penicilina.
    appointment = appointment_with_record(slot__doctor=doctor, patient=patient, slot__starts_at=starting_today())
    return clinic, doctor, patient, appointment


def the_encounter(patient):
    total, encounters = repository.list_encounters(patient_id=patient.pk, offset=0, limit=10)
    assert total == 1
    return encounters[0]


@pytest.fixture
def new_page(browser, live_server):
    """Pages in fresh browser contexts (no cookies shared with `page`), closed at the end."""
    contexts = []

    def open_page():
        browser_context = browser.new_context(base_url=live_server.url, locale="en-US")
        browser_context.set_default_timeout(5_000)
        contexts.append(browser_context)
        return browser_context.new_page()

    yield open_page
    for browser_context in contexts:
        browser_context.close()


# --- the patient's side, in either language ----------------------------------------


def patient_reads_record_and_prescription(page, clinic, doctor, patient, language):
    page.goto(reverse("home"))
    if language != "en":
        switch_language(page, language)
    log_in(page, patient, language)

    nav(page, language).get_by_role("link", name=text("My record", language), exact=True).click()
    expect(page).to_have_url(url_is(reverse("records:my_record")))
    expect(page.get_by_role("heading", level=1)).to_have_text(text("Clinical record", language))
    expect(page).to_have_title(f"{text('Clinical record', language)} · Medly")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("region", name=text("Patient", language))).to_contain_text(patient.get_full_name())
    expect(page.get_by_role("article")).to_have_count(1)
    article = page.get_by_role("article")
    expect_encounter(article, doctor, language)
    # A patient reads the record but may not write it.
    expect(page.get_by_text(text("Add an addendum", language), exact=True)).to_have_count(0)
    expect(page.get_by_text(text("Update blood type and allergies", language), exact=True)).to_have_count(0)

    article.get_by_role("link", name=re.compile(rf"^{re.escape(text('Printable prescription', language))}")).click()
    encounter = the_encounter(patient)
    expect(page).to_have_url(url_is(reverse("records:prescription", args=[patient.pk, encounter["id"]])))
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page).to_have_title(f"{text('Prescription', language)} · {patient.get_full_name()}")
    main = page.get_by_role("main")
    # Clinic, prescriber (name, specialty, cédula, degree), date, patient and age, diagnosis.
    expect(main).to_contain_text(clinic.name)
    expect(main).to_contain_text(clinic.address)
    expect(main).to_contain_text(f"CLUES {clinic.clues}")
    expect(main.get_by_text(doctor.get_full_name(), exact=True)).to_be_visible()
    expect(main).to_contain_text("Medicina familiar")
    profile = doctor.doctor_profile
    expect(main).to_contain_text(
        f"{text('Professional license (cédula profesional)', language)}: {profile.license_number}"
    )
    expect(main).to_contain_text(f"{text('Degree issued by', language)}: {profile.degree_institution}")
    expect(main).to_contain_text(f"{text('Date', language)}: {when(encounter['created_at'], language, 'DATE_FORMAT')}")
    age = years(patient.patient_profile.age, language)
    expect(main).to_contain_text(f"{text('Patient', language)}: {patient.get_full_name()} · {age}")
    expect(main).to_contain_text(f"{text('Diagnosis', language)}: {DIAGNOSIS} (CIE-10 {DIAGNOSIS_CODE})")
    # The two lines, each with generic name, dose, route, frequency and duration, under their headers.
    table = main.get_by_role("table")
    expect(table.get_by_role("columnheader")).to_have_text(
        [
            text("Drug (generic name)", language),
            text("Presentation", language),
            text("Dose", language),
            text("Route", language),
            text("Frequency", language),
            text("Duration", language),
        ]
    )
    rows = table.locator("tbody").get_by_role("row")
    expect(rows).to_have_count(len(LINES))
    for row, line in zip([rows.nth(0), rows.nth(1)], LINES, strict=True):
        expect(row.get_by_role("cell")).to_have_text(
            [
                line["drug"],
                line.get("presentation", ""),
                line["dose"],
                line["route"],
                line["frequency"],
                line["duration"],
            ]
        )
    expect(main).to_contain_text(f"{text('Instructions', language)}: {TREATMENT}")
    # A line to sign on: the "Signature" caption under a ruled border.
    signature = main.get_by_text(text("Signature", language), exact=True)
    expect(signature).to_be_visible()
    expect(signature.locator("xpath=..")).to_have_css("border-top-style", "solid")
    expect(main.get_by_role("button", name=text("Print", language), exact=True)).to_be_visible()
    return encounter


# --- the whole way through, in English ------------------------------------------------


def test_a_doctor_closes_a_consultation_and_the_patient_reads_it_and_prints_the_prescription(page, new_page):
    language = "en"
    clinic, doctor, patient, appointment = setting_the_scene()
    day = timezone.localdate(appointment.starts_at)

    # The doctor: log in, "My agenda", the appointment's day, "Open the consultation".
    page.goto(reverse("home"))
    log_in(page, doctor, language)
    nav(page, language).get_by_role("link", name=text("My agenda", language), exact=True).click()
    expect(page).to_have_url(url_is(reverse("scheduling:appointments")))
    page.get_by_label(text("Go to date", language), exact=True).fill(day.isoformat())
    page.get_by_role("button", name=text("Show", language), exact=True).click()
    expect(page).to_have_url(re.compile(rf"[?&]day={day.isoformat()}(&|$)"))
    row = page.locator("li.entry").filter(has_text=patient.get_full_name())
    expect(row).to_have_count(1)
    expect(row).to_contain_text(text("Scheduled", language))
    row.get_by_role("link", name=text("Open the consultation", language), exact=True).click()

    # The consultation page: who the patient is, allergies on top.
    expect(page).to_have_url(url_is(reverse("records:consultation", args=[appointment.pk])))
    expect(page.get_by_role("heading", level=1)).to_have_text(text("Consultation", language))
    header = page.get_by_role("region", name=text("Patient", language))
    expect(header.get_by_role("heading", level=2)).to_have_text(patient.get_full_name())
    expect(header).to_contain_text(years(patient.patient_profile.age, language))
    expect(header).to_contain_text("O+")
    expect(header.locator(".allergies")).to_have_text("penicilina")

    # The progress note, vitals, diagnosis and plan, found by their labels.
    form = ConsultationForm
    by_label(page, form, "evolution", language).fill(EVOLUTION)
    by_label(page, form, "physical_exam", language).fill(PHYSICAL_EXAM)
    for name, value in VITALS.items():
        by_label(page, form, name, language).fill(value)
    by_label(page, form, "diagnosis", language).fill(DIAGNOSIS)
    by_label(page, form, "diagnosis_code", language).fill(DIAGNOSIS_CODE.lower())  # stored upper-cased
    by_label(page, form, "treatment", language).fill(TREATMENT)

    # Two prescription lines: the formset offers two empty ones.
    expect(page.locator(".rx-line")).to_have_count(2)
    line_form = PrescriptionLineForm
    for index, line in enumerate(LINES):
        block = prescription_line(page, index, language)
        for name, value in line.items():
            by_label(block, line_form, name, language).fill(value)
    page.get_by_role("button", name=text("Review and sign", language), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text("Check the note before signing", language))
    page.get_by_role("button", name=text("Sign and close the consultation", language), exact=True).click()

    # Closed: the patient's record page with the encounter.
    expect(page).to_have_url(url_is(reverse("records:patient_record", args=[patient.pk])))
    expect(page.get_by_role("status")).to_contain_text(
        text("The consultation is closed and in the patient's record.", language)
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(text("Clinical record", language))
    expect(page.get_by_role("article")).to_have_count(1)
    expect_encounter(page.get_by_role("article"), doctor, language)

    # In the stores: one final encounter in MongoDB, the appointment completed in MySQL.
    encounter = the_encounter(patient)
    assert encounter["state"] == "final"
    assert encounter["appointment_id"] == appointment.pk
    assert encounter["author"] == {"id": doctor.pk, "name": doctor.get_full_name()}
    assert (encounter["diagnosis"], encounter["diagnosis_code"]) == (DIAGNOSIS, DIAGNOSIS_CODE)
    assert (encounter["evolution"], encounter["physical_exam"], encounter["treatment"]) == (
        EVOLUTION,
        PHYSICAL_EXAM,
        TREATMENT,
    )
    assert encounter["prescription"] == [{**line, "presentation": ""} for line in LINES]
    assert encounter["vitals"] == {
        **{name: float(value) for name, value in VITALS.items()},
        "spo2": None,
        "glucose_mg_dl": None,
        "bmi": BMI,
    }
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED
    assert appointment.encounter_id == encounter["id"]

    # The patient, in a browser of their own.
    patient_page = new_page()
    patient_reads_record_and_prescription(patient_page, clinic, doctor, patient, language)

    # Every clinical read and write left an audit event.
    events = list(AuditEvent.objects.order_by("pk").values_list("action", "user_id", "patient_id", "encounter_id"))
    assert events == [
        (audit.RECORD_VIEW, doctor.pk, patient.pk, ""),  # today's agenda shows the patient's allergies
        (audit.RECORD_VIEW, doctor.pk, patient.pk, ""),  # and the same day again, chosen by date
        (audit.RECORD_VIEW, doctor.pk, patient.pk, ""),  # the consultation page shows allergies and blood type
        (audit.RECORD_VIEW, doctor.pk, patient.pk, ""),  # and again as the note to review before signing
        (audit.ENCOUNTER_CLOSE, doctor.pk, patient.pk, encounter["id"]),
        (audit.RECORD_VIEW, doctor.pk, patient.pk, ""),
        (audit.RECORD_VIEW, patient.pk, patient.pk, ""),
        (audit.PRESCRIPTION_PRINT, patient.pk, patient.pk, encounter["id"]),
    ]
    assert all(event.ip_address == "127.0.0.1" for event in AuditEvent.objects.all())


# --- the patient's side in Spanish ----------------------------------------------------


def test_a_patient_reads_the_record_and_prints_the_prescription_in_spanish(page):
    clinic, doctor, patient, appointment = setting_the_scene()
    payload = {
        "evolution": EVOLUTION,
        "physical_exam": PHYSICAL_EXAM,
        "diagnosis": DIAGNOSIS,
        "diagnosis_code": DIAGNOSIS_CODE,
        "prognosis": "",
        "treatment": TREATMENT,
        "notes": "",
        "vitals": {**{name: float(value) for name, value in VITALS.items()}, "bmi": BMI},
        "prescription": LINES,
    }
    assert coordinator.close_consultation(appointment_id=appointment.pk, doctor=doctor, payload=payload).finished

    encounter = patient_reads_record_and_prescription(page, clinic, doctor, patient, "es-mx")

    assert list(AuditEvent.objects.order_by("pk").values_list("action", "user_id", "encounter_id")) == [
        (audit.ENCOUNTER_CLOSE, doctor.pk, encounter["id"]),
        (audit.RECORD_VIEW, patient.pk, ""),
        (audit.PRESCRIPTION_PRINT, patient.pk, encounter["id"]),
    ]
