"""The allergy check and the prescription rules in a real browser, in English and Spanish, desktop and phone.

A doctor prescribes amoxicillin to a patient with a recorded penicillin allergy, reads the class warning,
gives a reason and closes; a patient prints a prescription holding a Fracción I opioid (left out, with the
notice), a benzodiazepine (Fracción III) and an antibiotic (retener receta).
"""

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import DoctorFactory, PatientFactory
from medly.tests.browser import by_label, check_page, label_pattern, log_in, switch_language, text
from records import repository
from records.allergy_override import AllergyOverrideForm
from records.forms import ConsultationForm, PrescriptionLineForm
from records.models import ClinicDetails
from records.tests.helpers import appointment_with_record
from records.tests.view_helpers import closed_encounter, starting_today
from scheduling.tests.factories import SpecialtyFactory

pytestmark = pytest.mark.browser

AMOXICILLIN = {
    "drug": "Amoxicilina",
    "presentation": "cápsulas 500 mg",
    "dose": "500 mg",
    "route": "oral",
    "frequency": "cada 8 horas",
    "duration": "7 días",
}
PRINTED = [
    {
        "drug": "Morfina",
        "presentation": "tabletas 30 mg",
        "dose": "30 mg",
        "route": "oral",
        "frequency": "cada 12 horas",
        "duration": "5 días",
    },
    {
        "drug": "Clonazepam",
        "presentation": "tabletas 2 mg",
        "dose": "0.5 mg",
        "route": "oral",
        "frequency": "por la noche",
        "duration": "30 días",
    },
    AMOXICILLIN,
]


def scene():
    ClinicDetails(
        name="Clínica Medly Mérida",
        address="Calle 60 No. 491, Centro, Mérida, Yucatán",
        legal_owner="Medly Salud S.A. de C.V.",
        clues="YNSSA000123",
    ).save()
    doctor = DoctorFactory(first_name="Itzel", last_name="Chablé Uc")
    profile = doctor.doctor_profile
    profile.license_number, profile.degree_institution = "12345678", "Universidad Autónoma de Yucatán"
    profile.specialty_certificate, profile.specialty_institution = "AE-009876", "Consejo Mexicano de Medicina Interna"
    profile.save()
    profile.specialties.add(SpecialtyFactory(name="Medicina Interna"))
    patient = PatientFactory(first_name="Lucía", last_name="Canul Pech")
    return (
        doctor,
        patient,
        appointment_with_record(slot__doctor=doctor, patient=patient, slot__starts_at=starting_today()),
    )


def start(page, user, language):
    page.goto("/")
    if language != "en":
        switch_language(page, language)
    log_in(page, user, language)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("language", "device"), [("en", "desktop"), ("es-mx", "desktop"), ("es-mx", "phone")])
def test_a_doctor_overrides_a_class_warning_with_a_reason(page, phone_page, language, device):
    page = phone_page if device == "phone" else page
    doctor, patient, appointment = scene()
    start(page, doctor, language)
    page.goto(f"/appointments/{appointment.pk}/consultation/")

    by_label(page, ConsultationForm, "diagnosis", language).fill("Faringoamigdalitis estreptocócica")
    line = page.get_by_role("group", name=text("Line %(number)s", language, number=1), exact=True)
    for name, value in AMOXICILLIN.items():
        by_label(line, PrescriptionLineForm, name, language).fill(value)
    page.get_by_role("button", name=text("Review and sign", language), exact=True).click()

    warning = page.locator(".allergy-warnings")
    expect(warning).to_contain_text(text("Allergy warning", language))
    with_class = text(
        '%(drug)s is %(member)s; the patient is allergic to %(group)s (recorded as "%(allergy)s").',
        language,
        drug="Amoxicilina",
        member=text("a penicillin", language),
        group=text("penicillins", language),
        allergy="penicilina",
    )
    expect(warning).to_contain_text(with_class)
    check_page(page, f"pharmacology-allergy-warning-{device}-{language}")

    with_label = AllergyOverrideForm(appointment_id=0, warnings=[])
    reason_label = text(str(with_label.fields["allergy_override_reason"].label), language)
    warning.get_by_label(label_pattern(reason_label)).fill("Tolerated amoxicillin in 2024; rash only in childhood.")
    warning.get_by_label(label_pattern(text(str(with_label.fields["confirm_allergy"].label), language))).check()
    page.get_by_role("button", name=text("Review and sign", language), exact=True).click()
    # The review carries the override to the signature.
    page.get_by_role("button", name=text("Sign and close the consultation", language), exact=True).click()

    expect(page.get_by_role("article")).to_contain_text(text("Allergy warnings overridden", language))
    expect(page.get_by_role("article")).to_contain_text("Amoxicilina (cápsulas 500 mg)")
    _, (encounter,) = repository.list_encounters(patient_id=patient.pk, offset=0, limit=1)
    assert encounter["allergy_override"]["reason"] == "Tolerated amoxicillin in 2024; rash only in childhood."


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "es-mx"])
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_printed_prescription_follows_the_rules(page, phone_page, language, device):
    browser_page = phone_page if device == "phone" else page
    doctor, patient, appointment = scene()
    profile = patient.patient_profile
    profile.address = "Calle 20 No. 145, Col. García Ginerés, 97070 Mérida, Yucatán"
    profile.save()
    _, encounter_id = closed_encounter(appointment, prescription=PRINTED)
    start(browser_page, patient, language)

    browser_page.goto(f"/patients/{patient.pk}/record/encounters/{encounter_id}/prescription/")

    main = browser_page.get_by_role("main")
    table = main.get_by_role("table")
    expect(table).not_to_contain_text("Morfina")
    expect(main.locator(".rx-withheld")).to_contain_text("Morfina")
    expect(main.locator(".rx-withheld")).to_contain_text("recetario especial con código de barras")
    expect(table).to_contain_text(text("Keep the prescription (retener receta)", language))
    expect(table).to_contain_text(text("Fill up to three times; keep at the third (surtir hasta tres veces)", language))
    expect(main).to_contain_text(profile.address)
    expect(main).to_contain_text("Consejo Mexicano de Medicina Interna")
    expect(table).to_contain_text("cápsulas 500 mg")
    check_page(browser_page, f"pharmacology-prescription-{device}-{language}")
