"""Headers for health data: CSP without inline script, Permissions-Policy, no-store on personal pages."""

from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.tests.factories import AdminFactory, ReceptionFactory
from medly.headers import PUBLIC_ROUTES
from records.tests.helpers import appointment_with_record
from records.tests.view_helpers import closed_encounter
from scheduling.tests.factories import SlotFactory

pytestmark = pytest.mark.django_db

EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)
PERSONAL_PAGES = {
    "records:consultation",
    "records:patient_record",
    "records:history",
    "records:my_record",
    "records:prescription",
    "records:patients",
    "scheduling:appointments",
    "scheduling:reschedule",
    "scheduling:book",
    "scheduling:availability",
    "home (signed in)",
    "desk:day",
    "desk:register_patient",
    "desk:book",
    "desk:confirm_check_in",
    "admin:index",
    "admin:accounts_user_changelist",
}
# Public pages that may be cached (Django itself marks the login page never_cache).
CACHEABLE_PAGES = {"home", "accounts:privacy", "scheduling:directory", "scheduling:doctor"}
# Scripts of these types are data, never run, so the CSP does not apply to them.
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}


class InlineBehaviourFinder(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, on* handlers, javascript: URLs, style attributes."""

    def __init__(self):
        super().__init__()
        self.found = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name == "style":
                self.found.append(f"<{tag} style=...>")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value}>")
        if tag == "script" and "src" not in attributes and attributes.get("type") not in DATA_SCRIPT_TYPES:
            self._in_inline_script = True
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style> element")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_inline_script = False


def inline_behaviour(html):
    finder = InlineBehaviourFinder()
    finder.feed(html)
    return finder.found


@pytest.fixture
def site():
    """Every role and every page the browser tests visit, with the data they need."""
    upcoming = appointment_with_record()
    SlotFactory(doctor=upcoming.doctor)
    patient, doctor = upcoming.patient, upcoming.doctor
    _closed, encounter_id = closed_encounter(appointment_with_record(patient=patient, slot__doctor=doctor))
    record = reverse("records:patient_record", args=[patient.pk])
    reception = ReceptionFactory()
    prescription = reverse("records:prescription", args=[patient.pk, encounter_id])
    return [
        (None, "home", reverse("home")),
        (None, "accounts:login", reverse("accounts:login")),
        (None, "accounts:register", reverse("accounts:register")),
        (None, "accounts:privacy", reverse("accounts:privacy")),
        (None, "scheduling:directory", reverse("scheduling:directory")),
        (None, "scheduling:doctor", reverse("scheduling:doctor", args=[doctor.pk])),
        (patient, "home (signed in)", reverse("home")),
        (patient, "scheduling:doctor", reverse("scheduling:doctor", args=[doctor.pk])),
        (patient, "scheduling:appointments", reverse("scheduling:appointments")),
        (patient, "scheduling:book", reverse("scheduling:book", args=[SlotFactory(doctor=doctor).pk])),
        (patient, "records:my_record", reverse("records:my_record")),
        (patient, "scheduling:reschedule", reverse("scheduling:reschedule", args=[upcoming.pk])),
        (patient, "records:prescription", prescription),
        (doctor, "scheduling:appointments", reverse("scheduling:appointments")),
        (doctor, "scheduling:availability", reverse("scheduling:availability")),
        (doctor, "records:consultation", reverse("records:consultation", args=[upcoming.pk])),
        (doctor, "records:patient_record", record),
        (doctor, "records:history", reverse("records:history", args=[patient.pk])),
        (doctor, "records:prescription", prescription),
        (doctor, "records:patients", reverse("records:patients")),
        (reception, "home (signed in)", reverse("home")),
        (reception, "desk:day", reverse("desk:day")),
        (reception, "desk:register_patient", reverse("desk:register_patient")),
        (reception, "desk:book", f"{reverse('desk:book')}?patient={patient.pk}&doctor={doctor.pk}"),
        (reception, "desk:confirm_check_in", reverse("desk:confirm_check_in", args=[upcoming.pk])),
        (reception, "desk:confirm_no_show", reverse("desk:confirm_no_show", args=[upcoming.pk])),
        (reception, "desk:confirm_cancel", reverse("desk:confirm_cancel", args=[upcoming.pk])),
        (AdminFactory(), "admin:index", reverse("admin:index")),
        (AdminFactory(), "admin:accounts_user_changelist", reverse("admin:accounts_user_changelist")),
        (AdminFactory(), "admin:accounts_user_change", reverse("admin:accounts_user_change", args=[patient.pk])),
        (AdminFactory(), "admin:records_auditevent_changelist", reverse("admin:records_auditevent_changelist")),
    ]


def rendered(site):
    for user, route, url in site:
        client = Client()
        if user is not None:
            client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, (route, url, response.status_code)
        yield route, response


def test_every_page_as_every_role_carries_the_strict_csp_and_no_inline_behaviour(site):
    for route, response in rendered(site):
        assert response["Content-Security-Policy"] == EXPECTED_CSP, route
        assert inline_behaviour(response.content.decode()) == [], route


def test_the_finder_sees_what_the_csp_would_block():
    html = (
        '<script>alert(1)</script><script src="/s.js"></script><script type="application/json">{}</script>'
        '<button onclick="go()">x</button><a href="JavaScript:go()">y</a><p style="color:red">z</p>'
    )

    assert inline_behaviour(html) == [
        "<script> without src",
        "<button onclick=...>",
        "<a href=JavaScript:go()>",
        "<p style=...>",
    ]


def test_every_page_carries_the_permissions_policy_and_so_does_a_static_file(site, settings):
    for route, response in rendered(site):
        policy = response["Permissions-Policy"]
        for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
            assert f"{feature}=()" in policy, route

    settings.WHITENOISE_USE_FINDERS = True
    stylesheet = Client().get("/static/css/medly.css")
    assert stylesheet.status_code == 200
    assert "camera=()" in stylesheet["Permissions-Policy"]
    assert "no-store" not in stylesheet.get("Cache-Control", "")


def test_pages_with_clinical_or_personal_data_are_not_stored(site):
    seen = set()
    for (user, _route, _url), (route, response) in zip(site, rendered(site), strict=True):
        directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
        if route == "home" and user is not None:
            # Each role's home shows that user's own day.
            assert {"no-store", "private"} <= directives, (route, user.role)
        elif route in PERSONAL_PAGES or route.startswith("admin:"):
            assert {"no-store", "private"} <= directives, route
            seen.add(route)
        elif route in CACHEABLE_PAGES:
            assert "no-store" not in directives, route

    assert seen >= PERSONAL_PAGES


def test_a_public_page_is_private_for_a_signed_in_user_whose_name_it_shows(site):
    # The home page is not one of them once signed in: it shows that person's day (see "home (signed in)").
    patient = site[6][0]
    client = Client()
    client.force_login(patient)

    response = client.get(reverse("scheduling:directory"))

    assert "private" in response["Cache-Control"]
    assert "no-store" not in response["Cache-Control"]


def test_a_signed_in_home_shows_their_appointments_so_it_is_not_stored(site):
    patient = site[6][0]
    client = Client()
    client.force_login(patient)

    response = client.get(reverse("home"))

    assert {"no-store", "private"} <= {part.strip() for part in response["Cache-Control"].split(",")}


def _named_routes(resolver, namespace=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _named_routes(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", entry


def _sample_url(name, entry):
    converters = getattr(entry.pattern, "converters", {})
    samples = {"int": 1, "str": "abc", "path": "abc", "slug": "abc", "uuid": "12345678-1234-5678-1234-567812345678"}
    kwargs = {
        key: samples.get(type(conv).__name__.removesuffix("Converter").lower(), "1") for key, conv in converters.items()
    }
    return reverse(name, kwargs=kwargs)


def test_every_route_but_the_public_ones_is_answered_no_store_whatever_the_answer(client):
    """A route added later is covered without anyone remembering to list it."""
    checked = 0
    for name, entry in _named_routes(get_resolver()):
        if name.startswith("admin:") and name not in {"admin:index", "admin:login", "admin:accounts_user_changelist"}:
            continue
        response = client.get(_sample_url(name, entry))
        if name not in PUBLIC_ROUTES:
            assert "no-store" in response.get("Cache-Control", ""), (name, response.status_code)
            checked += 1

    assert checked > 20


def test_an_unknown_page_is_not_stored(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "no-store" in response["Cache-Control"]
