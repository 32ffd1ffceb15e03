"""The second factor in a real browser: an administrator sets up an authenticator app, keeps the
recovery codes, signs in with a code, then adds a passkey (Chromium's virtual authenticator) and
signs in with it. In English and Spanish, on a desktop and a phone, every page checked by axe-core.
"""

import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from accounts.forms import LoginForm
from accounts.tests.factories import PASSWORD, AdminFactory
from medly.tests.browser import (
    by_label,
    check_page,
    nav,
    pass_second_factor_step,
    switch_language,
    text,
    url_is,
)
from records.models import AuditEvent
from twofactor.forms import AuthenticatorCodeForm
from twofactor.tests.helpers import code_for_key

pytestmark = pytest.mark.browser


def sign_in_with_password(page, user, language):
    nav(page, language).get_by_role("link", name=text("Log in", language), exact=True).click()
    by_label(page, LoginForm, "username", language).fill(user.email)
    by_label(page, LoginForm, "password", language).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name=text("Log in", language), exact=True).click()


def log_out(page, language):
    page.get_by_role("button", name=text("Log out", language), exact=True).click()
    expect(nav(page, language).get_by_role("link", name=text("Log in", language), exact=True)).to_be_visible()


def virtual_authenticator(page):
    """Chromium's WebAuthn test authenticator: a platform passkey that always verifies the user."""
    session = page.context.new_cdp_session(page)
    session.send("WebAuthn.enable")
    added = session.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return added["authenticatorId"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("language", "size"), [("en", "desktop"), ("es-mx", "phone")])
def test_an_administrator_sets_up_a_code_then_a_passkey_and_signs_in_with_each(
    request, live_server, settings, language, size
):
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    page = request.getfixturevalue("page" if size == "desktop" else "phone_page")
    admin = AdminFactory(first_name="Marta", last_name="Canché")
    name = f"2fa-{language}-{size}"
    page.goto(reverse("home"))
    if language != "en":
        switch_language(page, language)

    # First sign-in: the password leads to the set-up, and nothing else opens.
    sign_in_with_password(page, admin, language)
    expect(page).to_have_url(url_is("twofactor:authenticator"))
    expect(page.get_by_role("heading", level=1)).to_have_text(text("Set up an authenticator app", language))
    expect(page.locator("figure.qr-code svg")).to_be_visible()
    check_page(page, f"{name}-1-set-up")
    # As a person would: type the key shown into the app, then the app's code into the page.
    by_label(page, AuthenticatorCodeForm, "code", language).fill(code_for_key(page.locator("code.secret").inner_text()))
    page.get_by_role("button", name=text("Turn it on", language), exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(text("Recovery codes", language))
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    check_page(page, f"{name}-2-recovery-codes")
    page.get_by_role("link", name=text("I have kept them, continue", language)).click()

    # The security page: add a passkey with the browser's (virtual) authenticator.
    page.goto(reverse("twofactor:security"))
    virtual_authenticator(page)
    check_page(page, f"{name}-3-security")
    page.get_by_role("button", name=text("Add a passkey", language), exact=True).click()
    expect(page.locator("#passkey-register-status-message")).to_have_attribute("data-status-enum", "success")
    assert WebAuthnCredential.objects.filter(user=admin, confirmed=True).count() == 1
    device = TOTPDevice.objects.get(user=admin, confirmed=True)
    assert AuditEvent.objects.filter(user=admin, action="account.second_factor_enrolled").count() == 2

    # Second sign-in with a code from the app (the next period: this one was used for the set-up).
    log_out(page, language)
    sign_in_with_password(page, admin, language)
    check_page(page, f"{name}-4-verify")
    pass_second_factor_step(page, device, language, steps_ahead=1)
    expect(page).to_have_url(f"{live_server.url}/")
    page.goto(reverse("admin:index"))
    expect(page).to_have_url(url_is("admin:index"))

    # Third sign-in with the passkey.
    log_out(page, language)
    sign_in_with_password(page, admin, language)
    expect(page).to_have_url(url_is("twofactor:verify"))
    # The library's button works once its translations (an async script) have loaded, as a person's click would.
    for _ in range(50):
        if page.evaluate("() => typeof window.gettext") == "function":
            break
        page.wait_for_timeout(100)
    with page.expect_response(re.compile(r"/authentication/complete/\?next=%2F$")):
        page.get_by_role("button", name=text("Use my passkey", language), exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/")
    page.goto(reverse("admin:index"))
    expect(page).to_have_url(url_is("admin:index"))
    check_page(page, f"{name}-5-admin")
