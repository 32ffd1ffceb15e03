"""What the Playwright tests share: texts read through the catalogs, labels, the nav, logging in.

Every visible text is read through Django's translation machinery in the
language the page is in, so the tests follow the es-MX catalog instead of
pinning its wording; inputs are found by their <label>, which also checks
that each one has one.
"""

import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext
from playwright.sync_api import expect

from accounts.forms import LoginForm
from accounts.tests.factories import PASSWORD
from twofactor import policy
from twofactor.forms import CodeForm
from twofactor.tests.helpers import authenticator_for, current_code


def text(message, language, **values):
    """`message` as the site shows it in `language`, from the catalogs the live server uses too."""
    with translation.override(language):
        translated = gettext(message)
    return translated % values if values else translated


def when(moment, language, format_name="DATETIME_FORMAT"):
    """A datetime or date as the templates render it: clinic time zone, the language's formats."""
    if hasattr(moment, "tzinfo"):
        moment = timezone.localtime(moment)
    with translation.override(language):
        return date_format(moment, format_name)


def label_pattern(label):
    """A form field's label, with the ":" suffix Django may add."""
    return re.compile(rf"^{re.escape(str(label))}\s*:?$")


def field_label(form_class, name, language):
    """The label of a field as the form shows it in `language` (fields built in __init__ included)."""
    with translation.override(language):
        return str(form_class().fields[name].label)


def by_label(scope, form_class, name, language):
    """The input inside `scope` (a page or a part of it) labelled with the field's label."""
    return scope.get_by_label(label_pattern(field_label(form_class, name, language)))


def nav(page, language):
    return page.get_by_role("navigation", name=text("Main", language))


def url_is(name_or_path):
    """A URL pattern for a route name ("scheduling:appointments") or a path, any query string allowed."""
    path = name_or_path if name_or_path.startswith("/") else reverse(name_or_path)
    return re.compile(rf"{re.escape(path)}(\?.*)?$")


def switch_language(page, language):
    page.get_by_label(text("Language", "en"), exact=True).select_option(language)
    page.get_by_role("button", name=text("Change", "en"), exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def log_in(page, user, language):
    """Sign in through the login page, and through the second-factor step where the user must pass one.

    Someone whose role requires a second factor gets an authenticator app first, as if set up before.
    """
    device = authenticator_for(user) if policy.must_verify(user) else None
    nav(page, language).get_by_role("link", name=text("Log in", language), exact=True).click()
    expect(page).to_have_url(url_is("accounts:login"))
    by_label(page, LoginForm, "username", language).fill(user.email)
    by_label(page, LoginForm, "password", language).fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name=text("Log in", language), exact=True).click()
    if device is not None:
        pass_second_factor_step(page, device, language)
    expect(nav(page, language)).to_contain_text(user.get_full_name())


def pass_second_factor_step(page, device, language, *, steps_ahead=0):
    expect(page).to_have_url(url_is("twofactor:verify"))
    by_label(page, CodeForm, "code", language).fill(current_code(device, steps_ahead=steps_ahead))
    page.get_by_role("main").get_by_role("button", name=text("Confirm", language), exact=True).click()


# --- looking at pages: screenshots and accessibility ---------------------------------------

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# axe-core impact levels that fail a test; "minor" and "moderate" are reviewed from the screenshots.
BLOCKING_IMPACTS = {"serious", "critical"}


def look(page, name):
    """Write a full-page screenshot to var/screenshots/<name>.png for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def serious_accessibility_violations(page):
    """axe-core's serious and critical violations on the page as it is now, as readable lines."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def check_page(page, name):
    """Screenshot the page and assert axe-core finds nothing serious or critical on it."""
    look(page, name)
    violations = serious_accessibility_violations(page)
    assert not violations, f"{page.url}:\n" + "\n".join(violations)
