"""Forgotten password, profile and correction requests in a real browser, in both languages, at both sizes.

Texts are read through the catalogs (medly/tests/browser.py) and inputs found by their labels;
each page is screenshotted under var/screenshots and checked with axe-core.
"""

import re

import pytest
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.core import mail
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import expect

from accounts.forms import LoginForm, ProfileForm, RectificationRequestForm
from accounts.models import RectificationRequest
from accounts.tests.factories import PatientFactory, ReceptionFactory
from medly.tests.browser import by_label, check_page, label_pattern, log_in, nav, switch_language, text, url_is
from medly.tests.tasks import run_queued_tasks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "jaguar-de-la-selva-2026"
OTHER_LANGUAGE = {"en": "es-mx", "es-mx": "en"}


def new_password_field(page, name, language):
    with translation.override(language):
        label = str(SetPasswordForm(None).fields[name].label)
    return page.get_by_label(label_pattern(label))


def profile_labels(user, language):
    with translation.override(language):
        return {name: str(field.label) for name, field in ProfileForm(user=user).fields.items()}


def forgot_set_and_log_in(page, language, size):
    patient = PatientFactory(first_name="Lucía", last_name="Canul Pech", language=language)
    page.goto("/")
    if language != "en":
        switch_language(page, language)
    nav(page, language).get_by_role("link", name=text("Log in", language), exact=True).click()
    page.get_by_role("link", name=text("Forgot your password?", language)).click()
    expect(page).to_have_url(url_is("accounts:password_reset"))
    check_page(page, f"accounts-reset-request-{language}-{size}")
    with translation.override(language):
        email_label = str(PasswordResetForm().fields["email"].label)
    page.get_by_label(label_pattern(email_label)).fill(patient.email)
    page.get_by_role("button", name=text("Send me the link", language)).click()
    expect(page).to_have_url(url_is("accounts:password_reset_done"))
    expect(page.get_by_role("heading", level=1)).to_have_text(text("Check your email", language))
    check_page(page, f"accounts-reset-sent-{language}-{size}")

    run_queued_tasks()
    [message] = mail.outbox
    assert message.subject == text("Choose a new Medly password", language)
    link = re.search(r"https?://\S+/accounts/reset/\S+/", message.body).group(0)
    page.goto(link.removeprefix(settings.SITE_URL))
    expect(page.get_by_role("heading", level=1)).to_have_text(text("Choose a new password", language))
    check_page(page, f"accounts-reset-choose-{language}-{size}")
    new_password_field(page, "new_password1", language).fill(NEW_PASSWORD)
    new_password_field(page, "new_password2", language).fill(NEW_PASSWORD)
    page.get_by_role("button", name=text("Save the password", language)).click()
    expect(page).to_have_url(url_is("accounts:password_reset_complete"))
    check_page(page, f"accounts-reset-done-{language}-{size}")

    page.get_by_role("main").get_by_role("link", name=text("Log in", language), exact=True).click()
    by_label(page, LoginForm, "username", language).fill(patient.email)
    by_label(page, LoginForm, "password", language).fill(NEW_PASSWORD)
    page.get_by_role("main").get_by_role("button", name=text("Log in", language), exact=True).click()
    expect(nav(page, language)).to_contain_text(patient.get_full_name())
    return patient


def edit_profile_and_ask_for_a_correction(page, patient, language, size):
    nav(page, language).get_by_role("link", name=patient.get_full_name()).click()
    expect(page).to_have_url(url_is("accounts:profile"))
    check_page(page, f"accounts-profile-{language}-{size}")
    labels = profile_labels(patient, language)
    expect(page.get_by_label(label_pattern(labels["first_name"]))).to_be_disabled()
    page.get_by_label(label_pattern(labels["phone"])).fill("999 123 4567")
    other = OTHER_LANGUAGE[language]
    page.get_by_role("main").get_by_label(label_pattern(labels["language"])).select_option(other)
    page.get_by_role("main").get_by_role("button", name=text("Save", language), exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", other)
    expect(page.get_by_role("status")).to_contain_text(text("Your profile is saved.", other))
    patient.refresh_from_db()
    assert (patient.phone, patient.language) == ("999 123 4567", other)

    with translation.override(other):
        correction = RectificationRequestForm()
        what, new_text = str(correction.fields["field"].label), str(correction.fields["new_text"].label)
    page.get_by_label(label_pattern(what)).select_option("last_name")
    page.get_by_label(label_pattern(new_text)).fill("Canul Pech de Uc")
    page.get_by_role("button", name=text("Ask for the correction", other)).click()
    expect(page.get_by_role("status")).to_contain_text(
        text("Your correction request is sent. Reception will check it with your ID.", other)
    )
    expect(page.get_by_role("table")).to_contain_text("Canul Pech de Uc")
    check_page(page, f"accounts-profile-corrections-{other}-{size}")
    return other


def reception_confirms(page, patient, language, size):
    page.get_by_role("button", name=text("Log out", language)).click()
    reception = ReceptionFactory(first_name="Rosa", last_name="Kú")
    log_in(page, reception, language)
    nav(page, language).get_by_role("link", name=text("Corrections", language)).click()
    expect(page).to_have_url(url_is("rectifications:desk"))
    check_page(page, f"accounts-corrections-desk-{language}-{size}")
    page.get_by_role("button", name=re.compile(re.escape(patient.get_full_name()))).first.click()
    expect(page.get_by_role("status")).to_contain_text(text("The correction is applied.", language))
    check_page(page, f"accounts-corrections-desk-decided-{language}-{size}")
    patient.refresh_from_db()
    assert patient.last_name == "Canul Pech de Uc"
    assert RectificationRequest.objects.get().decided_by == reception


@pytest.mark.parametrize("language", ["en", "es-mx"])
def test_forgotten_password_profile_and_correction_on_a_desktop(page, language):
    patient = forgot_set_and_log_in(page, language, "desktop")
    shown_in = edit_profile_and_ask_for_a_correction(page, patient, language, "desktop")
    reception_confirms(page, patient, shown_in, "desktop")


@pytest.mark.parametrize("language", ["en", "es-mx"])
def test_forgotten_password_profile_and_correction_on_a_phone(phone_page, language):
    patient = forgot_set_and_log_in(phone_page, language, "phone")
    shown_in = edit_profile_and_ask_for_a_correction(phone_page, patient, language, "phone")
    reception_confirms(phone_page, patient, shown_in, "phone")


def test_the_password_change_page_passes_the_checks(page):
    patient = PatientFactory()
    page.goto("/")
    log_in(page, patient, "en")
    page.goto(reverse("accounts:password_change"))
    check_page(page, "accounts-password-change-en-desktop")
