"""The public pages pass axe-core (no serious or critical violations) on a desktop and a phone, in both languages."""

import pytest
from playwright.sync_api import expect

from medly.tests.browser import check_page, serious_accessibility_violations, switch_language

pytestmark = pytest.mark.browser

PUBLIC_PAGES = ["/", "/accounts/login/", "/accounts/register/", "/doctors/"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "es-mx"])
def test_public_pages_have_no_serious_accessibility_violations(context, phone_context, language):
    for size, browser_context in (("desktop", context), ("phone", phone_context)):
        page = browser_context.new_page()
        page.goto("/")
        if language != "en":
            switch_language(page, language)
        for path in PUBLIC_PAGES:
            page.goto(path)
            expect(page.locator("html")).to_have_attribute("lang", language)
            name = path.strip("/").replace("/", "-") or "home"
            check_page(page, f"public-{name}-{language}-{size}")


@pytest.mark.django_db(transaction=True)
def test_the_check_reports_a_serious_violation(page):
    page.goto("/")
    page.set_content('<html lang="en"><body><main><img src="x.png"><button></button></main></body></html>')
    violations = serious_accessibility_violations(page)
    assert any(line.startswith("button-name") for line in violations)
