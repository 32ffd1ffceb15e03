"""Under the strict CSP, in a real browser: nothing is blocked, the print button and Django admin's scripts work."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.tests.factories import AdminFactory
from medly.tests.browser import log_in, text
from records.tests.view_helpers import closed_encounter
from scheduling.tests.factories import SpecialtyFactory

pytestmark = pytest.mark.browser

# Runs before the page's own scripts: records every CSP violation and stands in for the print dialog.
WATCH = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
window.printed = 0;
window.print = () => { window.printed += 1; };
"""


@pytest.fixture
def watched(page):
    page.add_init_script(WATCH)
    console = []
    page.on("console", lambda message: console.append(message.text))
    yield page
    assert page.evaluate("window.cspViolations") == []
    assert not [line for line in console if "Content Security Policy" in line]


def test_the_prescription_print_button_prints_under_the_csp(watched):
    appointment, encounter_id = closed_encounter()
    watched.goto(reverse("home"))
    log_in(watched, appointment.doctor, "en")

    watched.goto(reverse("records:prescription", args=[appointment.patient_id, encounter_id]))
    watched.get_by_role("button", name=text("Print", "en"), exact=True).click()

    expect(watched.locator("body")).to_have_class("prescription-page")
    assert watched.evaluate("window.printed") == 1


def test_django_admin_scripts_run_under_the_csp(watched):
    admin = AdminFactory()
    SpecialtyFactory.create_batch(3)
    watched.goto(reverse("home"))
    log_in(watched, admin, "en")

    watched.goto(reverse("admin:scheduling_specialty_changelist"))
    watched.locator("#action-toggle").check()

    rows = watched.locator("input.action-select")
    expect(rows).to_have_count(3)
    for index in range(3):
        expect(rows.nth(index)).to_be_checked()
    # actions.js counts the selection: only its script writes this.
    expect(watched.locator(".action-counter")).to_contain_text("3 of 3 selected")
