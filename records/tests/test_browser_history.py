"""A doctor fills in a patient's first history and adds an addendum, in a real browser, in both languages.

Texts are read through the catalogs in the page's language and inputs found by their <label>, as in
records/tests/test_browser.py; every page is screenshotted and checked with axe-core.
"""

import pytest
from django.utils import translation
from playwright.sync_api import expect

from accounts.models import Sex
from accounts.tests.factories import PatientFactory
from medly.tests.browser import check_page, label_pattern, log_in, switch_language, text
from records import audit, repository
from records.history_forms import HistoryAddendumForm, HistoryForm
from records.models import AuditEvent
from records.tests.helpers import appointment_with_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANSWERS = {
    "current_illness": "Three weeks of afternoon headaches that ease with rest.",
    "family": "Father with type 2 diabetes; mother with hypertension.",
    "surgeries": "Appendectomy in 2010.",
    "tobacco": "Never smoked.",
    "menarche_age": "12",
    "last_menstrual_period": "2026-11-20",
    "pregnancies": "2",
    "births": "1",
    "caesareans": "1",
    "contraception": "Copper IUD since 2022.",
    "systems_review": "Cardiovascular and respiratory: nothing to note.",
    "physical_exam": "Alert and oriented; no focal neurological signs.",
    "weight_kg": "64.5",
    "height_cm": "162",
    "temperature_c": "36.6",
    "systolic": "118",
    "diastolic": "76",
    "heart_rate": "72",
    "respiratory_rate": "16",
}
ADDENDUM_REASON = "Family history completed"
ADDENDUM_TEXT = "Maternal grandmother with breast cancer at 60."


def labels(make_form, language):
    """The labels of the form ``make_form()`` builds, as the page shows them in ``language``."""
    with translation.override(language):
        return {name: str(field.label) for name, field in make_form().fields.items()}


@pytest.mark.parametrize(
    ("language", "size"), [("en", "desktop"), ("es-mx", "desktop"), ("en", "phone"), ("es-mx", "phone")]
)
def test_a_doctor_fills_in_the_history_once_and_adds_an_addendum(request, language, size):
    page = request.getfixturevalue("page" if size == "desktop" else "phone_page")
    appointment = appointment_with_record(patient=PatientFactory(profile__sex=Sex.FEMALE))
    doctor, patient = appointment.doctor, appointment.patient
    page.goto("/")
    if language != "en":
        switch_language(page, language)
    log_in(page, doctor, language)

    page.goto(f"/patients/{patient.pk}/record/")
    history = page.locator("#history")
    expect(history).to_contain_text(text("The clinical history has not been filled in yet.", language))
    check_page(page, f"history-record-empty-{language}-{size}")
    history.get_by_role("link", name=text("Fill in the clinical history", language)).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(text("Clinical history", language))
    expect(page.get_by_role("group", name=text("Gyneco-obstetric history", language))).to_be_visible()
    check_page(page, f"history-form-{language}-{size}")
    field_labels = labels(lambda: HistoryForm(gyneco_obstetric=True), language)
    # First without the physical exam: the page says what is missing and keeps the rest.
    for name, value in ANSWERS.items():
        if name != "physical_exam":
            page.get_by_label(label_pattern(field_labels[name]), exact=True).fill(value)
    page.get_by_role("button", name=text("Save the clinical history", language)).click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text(text("The clinical history was not saved. Please check:", language))
    expect(summary.get_by_role("link", name=field_labels["physical_exam"])).to_be_visible()
    check_page(page, f"history-form-errors-{language}-{size}")
    summary.get_by_role("link", name=field_labels["physical_exam"]).click()
    page.get_by_label(label_pattern(field_labels["physical_exam"]), exact=True).fill(ANSWERS["physical_exam"])
    page.get_by_role("button", name=text("Save the clinical history", language)).click()

    expect(page.get_by_role("status")).to_contain_text(
        text("The clinical history is saved in the patient's record.", language)
    )
    history = page.locator("#history")
    for name in ("current_illness", "family", "surgeries", "contraception", "physical_exam"):
        expect(history).to_contain_text(ANSWERS[name])
    expect(history).to_contain_text(doctor.get_full_name())
    check_page(page, f"history-record-filled-{language}-{size}")

    addendum_labels = labels(HistoryAddendumForm, language)
    history.get_by_text(text("Add an addendum to the clinical history", language)).click()
    history.get_by_label(label_pattern(addendum_labels["reason"]), exact=True).fill(ADDENDUM_REASON)
    history.get_by_label(label_pattern(addendum_labels["text"]), exact=True).fill(ADDENDUM_TEXT)
    history.get_by_role("button", name=text("Add the addendum", language)).click()

    expect(page.get_by_role("status")).to_contain_text(text("Addendum added to the clinical history.", language))
    expect(page.locator("#history .addendum")).to_contain_text(ADDENDUM_TEXT)
    expect(page.locator("#history .addendum")).to_contain_text(ADDENDUM_REASON)
    check_page(page, f"history-record-addendum-{language}-{size}")

    # Coming back to the form shows the history with the addendum form, never a second blank form.
    page.goto(f"/patients/{patient.pk}/history/")
    expect(page.get_by_role("button", name=text("Save the clinical history", language))).to_have_count(0)
    expect(page.get_by_text(text("Add an addendum to the clinical history", language))).to_be_visible()
    check_page(page, f"history-filled-page-{language}-{size}")

    stored = repository.get_history(patient_id=patient.pk)
    assert stored["gyneco_obstetric"]["pregnancies"] == 2
    assert [addendum["reason"] for addendum in stored["addenda"]] == [ADDENDUM_REASON]
    actions = set(AuditEvent.objects.filter(user=doctor).values_list("action", flat=True))
    assert {audit.HISTORY_VIEW, audit.HISTORY_FILL, audit.HISTORY_ADDENDUM, audit.RECORD_VIEW} <= actions
