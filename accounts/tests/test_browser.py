"""Sign-up, language switching, login and logout in a real browser (Playwright driving Debian's Chromium).

Every visible text the tests look for is read through Django's translation
machinery in the language the page is in, so the Spanish test follows the
es_MX catalog as it is being written instead of pinning its wording. Form
inputs are found by their <label>, which also checks that each one has one.
"""

import importlib
import re

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from accounts.forms import LoginForm, RegistrationForm
from accounts.models import Role, User
from accounts.tests.factories import PASSWORD, PatientFactory
from medly.tests.browser import by_label, text
from records import repository

pytestmark = pytest.mark.browser


# --- helpers -------------------------------------------------------------------


def session_cookie(context):
    return next(cookie["value"] for cookie in context.cookies() if cookie["name"] == settings.SESSION_COOKIE_NAME)


def session_store(session_key=None):
    return importlib.import_module(settings.SESSION_ENGINE).SessionStore(session_key)


def expect_logged_in_home(page, user, language):
    expect(page).to_have_url(re.compile(rf"{re.escape(reverse('home'))}$"))
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("heading", level=1)).to_have_text(text("Hello, %(name)s", language, name=user.first_name))
    expect(page.get_by_role("button", name=text("Log out", language), exact=True)).to_be_visible()


def log_out_and_check_the_session_is_gone(page, context, language):
    session_key = session_cookie(context)
    assert session_store().exists(session_key), "the logged-in session should be in the session store"

    page.get_by_role("button", name=text("Log out", language), exact=True).click()

    navigation = page.get_by_role("navigation", name=text("Main", language))
    expect(navigation.get_by_role("link", name=text("Log in", language), exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=text("Log out", language), exact=True)).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_have_text(text("Your clinic, online", language))
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert not session_store().exists(session_key), "logout must delete the session from the store"
    assert session_store(session_key).load() == {}


def register(page, language, *, email, first_name, curp=""):
    form = RegistrationForm
    by_label(page, form, "email", language).fill(email)
    by_label(page, form, "first_name", language).fill(first_name)
    by_label(page, form, "last_name", language).fill("Canul Pech")
    by_label(page, form, "date_of_birth", language).fill("1991-03-08")
    by_label(page, form, "sex", language).select_option("F")
    by_label(page, form, "curp", language).fill(curp)
    by_label(page, form, "password1", language).fill("tortuga-marina-2026")
    by_label(page, form, "password2", language).fill("tortuga-marina-2026")
    by_label(page, form, "blood_type", language).select_option("A+")
    by_label(page, form, "allergies", language).fill("penicilina, cacahuate")
    by_label(page, form, "accept_privacy", language).check()
    page.get_by_role("button", name=text("Create account", language), exact=True).click()


def assert_registered_patient(email, first_name):
    user = User.objects.get(email=email)
    assert user.first_name == first_name
    assert user.role == Role.PATIENT
    assert user.patient_profile.sex == "F"
    assert str(user.patient_profile.date_of_birth) == "1991-03-08"
    record = repository.get_patient_record(patient_id=user.pk)
    assert record["blood_type"] == "A+"
    assert record["allergies"] == ["penicilina", "cacahuate"]
    return user


# --- tests ---------------------------------------------------------------------


def test_a_patient_signs_up_sees_the_greeting_and_logs_out(page, context):
    page.goto(reverse("home"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign up", exact=True).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(reverse('accounts:register'))}$"))

    register(page, "en", email="Lucia.Canul@Example.test", first_name="Lucía", curp="gomc910308mynnnr01")

    user = assert_registered_patient("lucia.canul@example.test", "Lucía")
    assert user.patient_profile.curp == "GOMC910308MYNNNR01"
    expect_logged_in_home(page, user, "en")
    expect(page.get_by_role("status")).to_contain_text("Welcome to Medly, Lucía.")
    assert session_store(session_cookie(context)).get("_auth_user_id") == str(user.pk)

    log_out_and_check_the_session_is_gone(page, context, "en")


def test_a_patient_switches_to_spanish_signs_up_and_logs_out(page, context):
    page.goto(reverse("home"))
    switcher = page.get_by_label(text("Language", "en"), exact=True)
    spanish = switcher.locator("option[value='es-mx']")
    expect(spanish).to_have_text(re.compile(r"^Español"))
    switcher.select_option("es-mx")
    page.get_by_role("button", name=text("Change", "en"), exact=True).click()

    expect(page.locator("html")).to_have_attribute("lang", "es-mx")
    expect(page.get_by_label(text("Language", "es-mx"), exact=True)).to_have_value("es-mx")
    page.get_by_role("navigation", name=text("Main", "es-mx")).get_by_role(
        "link", name=text("Sign up", "es-mx"), exact=True
    ).click()
    expect(page.locator("html")).to_have_attribute("lang", "es-mx")
    expect(page.get_by_role("heading", level=1)).to_have_text(text("Create your patient account", "es-mx"))

    register(page, "es-mx", email="marisol.pech@example.test", first_name="Marisol")

    user = assert_registered_patient("marisol.pech@example.test", "Marisol")
    expect_logged_in_home(page, user, "es-mx")
    greeting = text("Hello, %(name)s", "es-mx", name=user.first_name)
    if greeting != text("Hello, %(name)s", "en", name=user.first_name):
        # Once the catalog translates the greeting, the English one must be gone.
        expect(page.get_by_role("heading", level=1)).not_to_contain_text("Hello,")

    log_out_and_check_the_session_is_gone(page, context, "es-mx")


def test_an_existing_patient_logs_in_through_the_form(page, context):
    user = PatientFactory(email="ana.may@example.test")
    page.goto(reverse("home"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Log in", exact=True).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(reverse('accounts:login'))}$"))

    by_label(page, LoginForm, "username", "en").fill("Ana.May@Example.test")
    by_label(page, LoginForm, "password", "en").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in", exact=True).click()

    expect_logged_in_home(page, user, "en")
    expect(page.get_by_role("navigation", name="Main")).to_contain_text(user.get_full_name())
    assert session_store(session_cookie(context)).get("_auth_user_id") == str(user.pk)
