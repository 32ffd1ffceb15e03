"""The record chain's verdict on the record page, in a real browser, in both languages and on a phone."""

import pytest
from bson import ObjectId
from django.utils import translation
from django.utils.translation import ngettext
from playwright.sync_api import expect

from medly.tests.browser import check_page, log_in, switch_language, text
from records import repository
from records.tests.chain_helpers import patient_with_history

pytestmark = pytest.mark.browser


def verified(entries, language):
    with translation.override(language):
        return ngettext("Record verified: %(counter)s entry.", "Record verified: %(counter)s entries.", entries) % {
            "counter": entries
        }


def open_record(page, user, language, path):
    page.goto("/")
    if language != "en":
        switch_language(page, language)
    log_in(page, user, language)
    page.goto(path)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "es-mx"])
def test_the_doctor_reads_that_the_record_is_verified(page, language):
    history = patient_with_history()

    open_record(page, history.first.doctor, language, f"/patients/{history.patient_id}/record/")

    expect(page.get_by_text(verified(3, language))).to_be_visible()
    check_page(page, f"record-chain-verified-{language}")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "es-mx"])
def test_a_changed_note_is_named_to_the_doctor_on_a_phone(phone_page, language):
    history = patient_with_history()
    repository._encounters().update_one(
        {"_id": ObjectId(history.second_encounter)}, {"$set": {"diagnosis": "Changed behind Medly's back"}}
    )

    open_record(phone_page, history.first.doctor, language, f"/patients/{history.patient_id}/record/")

    alert = phone_page.get_by_role("alert").filter(
        has_text=text("Its content was changed after it was signed.", language)
    )
    expect(alert).to_be_visible()
    expect(alert).to_contain_text(history.second_encounter)
    check_page(phone_page, f"record-chain-broken-doctor-phone-{language}")


@pytest.mark.django_db(transaction=True)
def test_the_patient_is_told_without_the_staffs_details(phone_page):
    history = patient_with_history()
    repository._encounters().update_one(
        {"_id": ObjectId(history.second_encounter)}, {"$set": {"diagnosis": "Changed behind Medly's back"}}
    )

    open_record(phone_page, history.first.patient, "es-mx", "/me/record/")

    message = (
        "This record did not pass its integrity check. The clinic's staff can see the details; "
        "please mention it at your next visit."
    )
    expect(phone_page.get_by_role("alert").filter(has_text=text(message, "es-mx"))).to_be_visible()
    check_page(phone_page, "record-chain-broken-patient-phone-es-mx")
