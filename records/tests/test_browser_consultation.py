"""The consultation as a doctor with a queue lives it, in a real browser, in both languages, at desk and phone size.

Open the consultation of a booked appointment, submit it with an out-of-range
temperature and no diagnosis, read the error summary and follow it, fix the
note, choose a CIE-10 code from the catalogue, review, sign, and read the
closed note in the record. Every page is screenshotted and checked by axe-core.
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tests.factories import DoctorFactory, PatientFactory
from medly.tests.browser import by_label, check_page, log_in, switch_language, text
from records.forms import ConsultationForm
from records.tests.helpers import appointment_with_record
from records.tests.view_helpers import closed_encounter, starting_today
from scheduling.models import AppointmentStatus
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.browser

REASON = "Dolor de garganta y fiebre desde hace tres días"
CODE, DESCRIPTION = "J02.9", "Faringitis aguda, no especificada"


def the_scene():
    doctor = DoctorFactory(first_name="Itzel", last_name="Chablé Uc")
    patient = PatientFactory(first_name="Lucía", last_name="Canul Pech")
    earlier = AppointmentFactory(
        slot__doctor=doctor, patient=patient, slot__starts_at=timezone.now() - timedelta(days=60)
    )
    appointment_with_record_for = appointment_with_record(
        slot__doctor=doctor, patient=patient, slot__starts_at=starting_today(), reason=REASON
    )
    closed_encounter(earlier, diagnosis="Rinofaringitis aguda", diagnosis_code="J00")
    return doctor, patient, appointment_with_record_for


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "es-mx"])
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_a_doctor_fixes_the_note_from_the_error_summary_chooses_a_code_reviews_and_signs(request, device, language):
    page = request.getfixturevalue("page" if device == "desktop" else "phone_page")
    doctor, patient, appointment = the_scene()
    name = f"consultation-{language}-{device}"

    page.goto(reverse("home"))
    if language != "en":
        switch_language(page, language)
    log_in(page, doctor, language)
    page.goto(reverse("records:consultation", args=[appointment.pk]))

    # The visit's reason and the last visit are at hand.
    expect(page.get_by_role("heading", level=1)).to_have_text(text("Consultation", language))
    context = page.locator(".visit-context")
    expect(context).to_contain_text(REASON)
    expect(context).to_contain_text("Rinofaringitis aguda (CIE-10 J00)")
    check_page(page, f"{name}-1-form")

    # An implausible temperature and no diagnosis: the summary says so, at the top, and takes the focus.
    by_label(page, ConsultationForm, "evolution", language).fill("Tres días con dolor al tragar.")
    by_label(page, ConsultationForm, "temperature_c", language).fill("80")
    page.get_by_role("button", name=text("Review and sign", language), exact=True).click()
    summary = page.get_by_role("alert").filter(has=page.locator("h2"))
    expect(summary).to_be_focused()
    range_message = text("Enter a number between %(minimum)s and %(maximum)s %(unit)s.", language) % {
        "minimum": "30",
        "maximum": "45",
        "unit": "°C",
    }
    temperature_link = summary.get_by_role("link", name=re.compile(re.escape(range_message)))
    expect(temperature_link).to_be_visible()
    expect(summary.get_by_role("link")).to_have_count(2)
    expect(by_label(page, ConsultationForm, "evolution", language)).to_have_value("Tres días con dolor al tragar.")
    check_page(page, f"{name}-2-errors")

    temperature_link.click()
    expect(page).to_have_url(re.compile(r"#id_temperature_c$"))
    temperature = by_label(page, ConsultationForm, "temperature_c", language)
    temperature.fill("38.4")

    # The catalogue: type words, choose the code; an empty diagnosis takes its description.
    by_label(page, ConsultationForm, "cie10_query", language).fill("faringitis aguda")
    choice = page.get_by_role("button", name=re.compile(rf"^{re.escape(CODE)}\b"))
    expect(choice).to_be_visible()
    check_page(page, f"{name}-3-catalogue")
    choice.click()
    expect(by_label(page, ConsultationForm, "diagnosis_code", language)).to_have_value(CODE)
    expect(by_label(page, ConsultationForm, "diagnosis", language)).to_have_value(DESCRIPTION)

    # The last look before signing.
    page.get_by_role("button", name=text("Review and sign", language), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text("Check the note before signing", language))
    expect(page.get_by_role("main")).to_contain_text(
        text(
            "You are about to sign this note. Once signed it cannot be changed; a correction can only be "
            "added as an addendum.",
            language,
        )
    )
    # The description the catalogue gave the diagnosis is not repeated beside its code.
    expect(page.get_by_role("main")).to_contain_text(f"{DESCRIPTION} (CIE-10 {CODE})")
    check_page(page, f"{name}-4-review")
    page.get_by_role("button", name=text("Sign and close the consultation", language), exact=True).click()

    # Closed: the record shows the note with its code.
    expect(page).to_have_url(re.compile(re.escape(reverse("records:patient_record", args=[patient.pk]))))
    expect(page.get_by_role("status")).to_contain_text(
        text("The consultation is closed and in the patient's record.", language)
    )
    newest = page.get_by_role("article").first
    expect(newest).to_contain_text(f"{DESCRIPTION} (CIE-10 {CODE})")
    expect(newest).to_contain_text("38.4 °C")
    check_page(page, f"{name}-5-record")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED
