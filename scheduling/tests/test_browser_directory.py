"""The doctor directory, a doctor's public profile and the admin's create-a-doctor page in a real browser.

Search-as-you-type runs through htmx under the strict CSP (no violation may be
recorded) and the same search works with JavaScript off. Every page is
screenshotted and checked with axe-core, in English and Spanish, at desktop and
phone size.
"""

import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from accounts.admin_doctor import DoctorCreationForm
from accounts.forms import DoctorPublicProfileForm
from accounts.models import DoctorProfile, User
from accounts.tests.factories import AdminFactory, DoctorFactory
from medly.tests.browser import by_label, check_page, log_in, look, nav, switch_language, text
from scheduling.tests.factories import SlotFactory, SpecialtyFactory
from scheduling.tests.helpers import days_ahead

pytestmark = pytest.mark.browser

# Runs before the page's own scripts: records every CSP violation.
WATCH_CSP = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""
LANGUAGES = ["en", "es-mx"]
SIZES = ["desktop", "phone"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def clinic():
    cardiology = SpecialtyFactory(name="Cardiología")
    pediatrics = SpecialtyFactory(name="Pediatría")
    chable = DoctorFactory(first_name="Itzel", last_name="Chablé Uc")
    chable.doctor_profile.specialties.set([cardiology])
    DoctorProfile.objects.filter(user=chable).update(
        consultation_fee=Decimal("850"), languages=["es", "en", "yua"], bio="Cardióloga en Mérida."
    )
    SlotFactory(doctor=chable, starts_at=days_ahead(2, 9))
    pech = DoctorFactory(first_name="Rodrigo", last_name="Pech Canché")
    pech.doctor_profile.specialties.set([pediatrics])
    DoctorFactory(first_name="Ana", last_name="Núñez")
    return chable, pech


def open_page(request, size):
    return request.getfixturevalue("page" if size == "desktop" else "phone_page")


def search_box(page, language):
    return page.get_by_label(text("Name or specialty", language), exact=True)


def cards(page):
    return page.locator("#directory-results .doctor-card")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_an_anonymous_visitor_finds_a_doctor_as_they_type(request, language, size):
    chable, pech = clinic()
    page = open_page(request, size)
    page.add_init_script(WATCH_CSP)
    page.goto(reverse("home"))
    if language != "en":
        switch_language(page, language)
    nav(page, language).get_by_role("link", name=text("Find a doctor", language), exact=True).click()
    expect(cards(page)).to_have_count(3)
    page.evaluate("window.notReloaded = true")

    search_box(page, language).press_sequentially("cardiologia", delay=20)

    expect(cards(page)).to_have_count(1)
    card = cards(page).first
    expect(card.get_by_role("link", name=chable.get_full_name(), exact=True)).to_be_visible()
    expect(card).to_contain_text(text("$%(amount)s MXN", language, amount="850.00"))
    expect(card).to_contain_text(", ".join(text(name, language) for name in ("Spanish", "English", "Yucatec Maya")))
    expect(page).to_have_url(re.compile(r"[?&]q=cardiologia(&|$)"))
    assert page.evaluate("window.notReloaded") is True, "the results should change without reloading the page"
    check_page(page, f"directory-search-{language}-{size}")

    search_box(page, language).fill("")
    search_box(page, language).press_sequentially("zzz", delay=20)
    expect(page.locator("#directory-results")).to_contain_text(
        text("No doctor matches your search. Try part of a name or a specialty, such as “cardio”.", language)
    )
    check_page(page, f"directory-nothing-found-{language}-{size}")

    search_box(page, language).fill("")
    search_box(page, language).press_sequentially("pech", delay=20)
    expect(cards(page)).to_have_count(1)
    cards(page).first.get_by_role("link", name=pech.get_full_name(), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(pech.get_full_name())
    check_page(page, f"doctor-page-{language}-{size}")
    assert page.evaluate("window.cspViolations") == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_same_search_works_without_javascript(browser, live_server, language, size):
    chable, _pech = clinic()
    viewport = {"width": 1280, "height": 900} if size == "desktop" else {"width": 390, "height": 844}
    context = browser.new_context(
        base_url=live_server.url, locale="en-US", java_script_enabled=False, viewport=viewport
    )
    context.set_default_timeout(5_000)
    try:
        page = context.new_page()
        page.goto(reverse("home"))
        if language != "en":
            switch_language(page, language)
        page.goto(reverse("scheduling:directory"))

        search_box(page, language).fill("CHABLE")
        page.get_by_role("search").get_by_role("button", name=text("Search", language), exact=True).click()

        expect(page).to_have_url(re.compile(r"[?&]q=CHABLE(&|$)"))
        expect(cards(page)).to_have_count(1)
        expect(cards(page).first.get_by_role("link", name=chable.get_full_name(), exact=True)).to_be_visible()
        look(page, f"directory-no-js-{language}-{size}")
    finally:
        context.close()


def photo_file(tmp_path):
    path = tmp_path / "retrato.png"
    image = Image.new("RGB", (900, 1200), "#2a6f97")
    image.paste((240, 200, 170), (300, 250, 600, 650))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_doctor_publishes_a_photo_fee_and_languages(request, tmp_path, language, size):
    doctor = DoctorFactory(first_name="Itzel", last_name="Chablé Uc")
    page = open_page(request, size)
    page.goto(reverse("home"))
    if language != "en":
        switch_language(page, language)
    log_in(page, doctor, language)
    if size == "desktop":
        nav(page, language).get_by_role("link", name=text("My public profile", language), exact=True).click()
    else:
        page.goto(reverse("scheduling:my_public_profile"))
    check_page(page, f"public-profile-empty-{language}-{size}")

    form = DoctorPublicProfileForm
    by_label(page, form, "bio", language).fill("Cardióloga con 12 años de experiencia en Mérida.")
    by_label(page, form, "consultation_fee", language).fill("950")
    page.get_by_label(text("Spanish", language), exact=True).check()
    page.get_by_label(text("Yucatec Maya", language), exact=True).check()
    by_label(page, form, "photo", language).set_input_files(photo_file(tmp_path))
    page.get_by_role("button", name=text("Save my public profile", language), exact=True).click()

    expect(page.locator(".messages")).to_contain_text(
        text("Your public profile is saved. Patients see it in the directory.", language)
    )
    expect(page.locator(".doctor-profile img.avatar")).to_be_visible()
    check_page(page, f"public-profile-saved-{language}-{size}")

    page.get_by_role("link", name=text("See your page as patients see it", language), exact=True).click()
    expect(page.locator("img.avatar")).to_be_visible()
    assert page.locator("img.avatar").evaluate("image => image.naturalWidth") == 400
    expect(page.locator("main")).to_contain_text(text("$%(amount)s MXN", language, amount="950.00"))
    check_page(page, f"doctor-page-with-photo-{language}-{size}")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_an_admin_creates_a_doctor_in_one_page_and_finds_them_in_the_directory(request, language, size):
    page = open_page(request, size)
    SpecialtyFactory(name="Cardiología")
    SpecialtyFactory(name="Pediatría")
    admin = AdminFactory(first_name="Rosa", last_name="Admin")
    page.goto(reverse("home"))
    if language != "en":
        switch_language(page, language)
    log_in(page, admin, language)
    check_page(page, f"admin-home-{language}-{size}")

    page.get_by_role("main").get_by_role("link", name=text("Add a doctor", language), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(text("Add a doctor", language))
    check_page(page, f"admin-add-doctor-{language}-{size}")

    form = DoctorCreationForm
    by_label(page, form, "email", language).fill("mario.pool@example.test")
    by_label(page, form, "first_name", language).fill("Mario")
    by_label(page, form, "last_name", language).fill("Pool Tzec")
    by_label(page, form, "license_number", language).fill("87654321")
    by_label(page, form, "degree_institution", language).fill("Universidad Autónoma de Yucatán")
    page.get_by_label("Pediatría", exact=True).check()
    by_label(page, form, "consultation_fee", language).fill("700")
    page.get_by_label(text("Spanish", language), exact=True).check()
    page.get_by_role("button", name=text("Create the doctor", language), exact=True).click()

    expect(page.locator(".messagelist")).to_contain_text("Mario Pool Tzec")
    doctor = User.objects.get(email="mario.pool@example.test")
    assert doctor.doctor_profile.consultation_fee == Decimal("700.00")
    check_page(page, f"admin-doctor-created-{language}-{size}")

    page.goto(reverse("scheduling:directory"))
    search_box(page, language).press_sequentially("pediatria", delay=20)
    expect(cards(page)).to_have_count(1)
    expect(cards(page).first).to_contain_text("Mario Pool Tzec")
    expect(cards(page).first).to_contain_text(text("$%(amount)s MXN", language, amount="700.00"))
    check_page(page, f"directory-new-doctor-{language}-{size}")
