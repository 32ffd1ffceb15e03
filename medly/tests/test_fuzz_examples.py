"""The fuzzer's nastiest values, each against the routes it matters for, on every run (not left to chance).

Each case names the one right answer for its bad input (a 4xx, the form drawn
again with its error, a redirect with an error message) and that no store
changed. The values are looped inside each route's case, so the clinic is
seeded once per route, and a failure lists every value that broke it.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from medly.tests import fuzzing

pytestmark = pytest.mark.django_db

# str.isdigit() says yes to the first four; int() refuses "²", "①" and 5000 digits, and reads "٣" as 3.
DIGIT_TRAPS = ["²", "①", "٣", "9" * 5000, str(10**30), str(2**63), "-1", "0", "", "1.5", "\x00"]
DATE_EDGES = ["0001-01-01", "0001-01-02", "9999-12-31", "9999-12-27", "10000-01-01", "0000-00-00"]
NEXT_VALUES = ["²", "home", "https://evil.example/", "//evil.example", "/\\evil", "javascript:alert(1)", "\x00", "\r\n"]
NUL_TEXT = ["\x00", "a\x00b"]
ODD_TEXT = ["\ud800", "\udfff\ud800", "\ufeff", "\u202e", "𝟗" * 50]  # arrive as text (U+FFFD for the surrogates)
TOO_LONG_EMAILS = ["a" * 245 + "@medly.test", "a" * 64 + "@" + "b" * 190 + ".test", "a@" + "b" * 300 + ".test"]
REFUSED = "refused"


@pytest.fixture
def clinic():
    return fuzzing.seed_clinic()


def _path(clinic, template):
    return template.format(
        doctor=clinic.people["doctor"].pk,
        patient=clinic.people["patient"].pk,
        appointment=clinic.appointments[0].pk,
        slot=clinic.open_slots[0].pk,
        encounter=clinic.encounter_id,
    )


def _route(path):
    return fuzzing._route_of(path.split("?")[0], fuzzing.all_routes())


def _with(clinic, path, field, value, extra=()):
    """The route's valid form with ``field`` set to ``value`` (and ``extra`` pairs added)."""
    pairs = [(name, item) for name, item in fuzzing.valid_form(_route(path), clinic) if name != field]
    return [*pairs, *extra, (field, value)]


def _outcome(clinic, role, method, path, pairs):
    """What the request got: "refused" (nothing changed), the status and Location, or what went wrong."""
    client = clinic.client(role)  # first: signing in writes last_login
    before = fuzzing.snapshot()
    response = fuzzing.send(client, method, path, pairs, with_token=True)
    changed = fuzzing.changed_stores(before, fuzzing.snapshot())
    if fuzzing.refused(method, response):
        return f"refused but changed {changed}" if changed else REFUSED
    return response.status_code, response.get("Location")


def _try_each(values, expected, attempt):
    """Every value gets ``expected`` (a value or a function of the value); the failures are listed together."""
    wrong = {}
    for value in values:
        want = expected(value) if callable(expected) else expected
        got = attempt(value)
        if got != want:
            wrong[repr(value)[:40]] = f"{got} instead of {want}"
    assert not wrong


GET_CASES = [
    ("anonymous", "/doctors/", "specialty"),
    ("anonymous", "/doctors/", "page"),
    ("reception", "/doctors/", "for_patient"),
    ("admin", "/patients/", "page"),
    ("doctor", "/patients/", "page"),
    ("doctor", "/patients/{patient}/record/", "older"),
    ("admin", "/patients/{patient}/record/", "newer"),
    ("patient", "/me/record/", "older"),
]


@pytest.mark.parametrize(("role", "template", "field"), GET_CASES)
def test_a_number_that_is_not_one_in_a_query_shows_the_first_page(clinic, role, template, field):
    path = _path(clinic, template)
    _try_each(DIGIT_TRAPS, (200, None), lambda value: _outcome(clinic, role, "GET", path, [(field, value)]))


def test_reception_booking_for_a_patient_id_that_is_not_one_is_not_found(clinic):
    path = _path(clinic, "/doctors/{doctor}/")
    _try_each(
        DIGIT_TRAPS,
        lambda value: (200, None) if value == "" else REFUSED,
        lambda value: _outcome(clinic, "reception", "GET", path, [("patient", value)]),
    )


@pytest.mark.parametrize("view", ["day", "week"])
@pytest.mark.parametrize("role", ["doctor", "reception"])
def test_an_agenda_at_the_ends_of_the_calendar_shows_today(clinic, role, view):
    # Reception's day is the desk, which takes ?date= (one day at a time).
    path, field = ("/appointments/", "day") if role == "doctor" else ("/desk/", "date")
    _try_each(
        DATE_EDGES,
        (200, None),
        lambda value: _outcome(clinic, role, "GET", path, [(field, value), ("view", view)]),
    )


@pytest.mark.parametrize("adding_line", [True, False])
def test_a_prescription_formset_count_that_is_not_a_small_number_is_refused(clinic, adding_line):
    path = _path(clinic, "/appointments/{appointment}/consultation/")
    extra = [("add_line", "1")] if adding_line else []
    _try_each(
        [value for value in DIGIT_TRAPS if value != "0"] + ["1000000000", "abc", "31"],
        REFUSED,
        lambda value: _outcome(clinic, "doctor", "POST", path, _with(clinic, path, "rx-TOTAL_FORMS", value, extra)),
    )


@pytest.mark.parametrize(
    ("start", "end"),
    [("9999-12-31", "9999-12-31"), ("9999-12-25", "9999-12-31"), ("0001-01-01", "0001-01-07"), ("10000-01-01", "")],
)
def test_opening_slots_at_the_ends_of_the_calendar_is_refused(clinic, start, end):
    pairs = [(n, v) for n, v in _with(clinic, "/schedule/availability/", "start_date", start) if n != "end_date"]
    assert _outcome(clinic, "doctor", "POST", "/schedule/availability/", [*pairs, ("end_date", end)]) == REFUSED


def test_blocking_a_day_at_the_ends_of_the_calendar_is_refused(clinic):
    _try_each(
        DATE_EDGES, REFUSED, lambda value: _outcome(clinic, "doctor", "POST", "/schedule/block-day/", [("day", value)])
    )


REGISTRATION_REFUSED = (
    [("email", email) for email in TOO_LONG_EMAILS]
    + [("first_name", "x" * 151), ("last_name", "x" * 151), ("allergies", "x" * 1001), ("allergies", "x" * 101)]
    + [("date_of_birth", value) for value in DATE_EDGES]
    + [("first_name", value) for value in NUL_TEXT]
    + [("curp", "²" * 18), ("sex", "\x00"), ("blood_type", "Z+"), ("accept_privacy", "")]
)


def test_sign_up_refuses_what_the_database_could_not_hold(clinic):
    path = "/accounts/register/"
    _try_each(
        REGISTRATION_REFUSED,
        REFUSED,
        lambda field_value: _outcome(clinic, "anonymous", "POST", path, _with(clinic, path, *field_value)),
    )


def test_sign_up_takes_odd_unicode_in_a_name_as_text(clinic):
    def register(number, name):
        pairs = _with(clinic, "/accounts/register/", "first_name", name, [("email", f"odd{number}@example.test")])
        return _outcome(clinic, "anonymous", "POST", "/accounts/register/", [p for p in pairs if p != ("email", "")])

    _try_each(list(enumerate(ODD_TEXT)), (302, "/"), lambda numbered: register(*numbered))


def test_signing_in_with_an_impossible_email_is_a_plain_failure(clinic):
    _try_each(
        [*TOO_LONG_EMAILS, "x" * 300, *NUL_TEXT, "\ud800"],
        REFUSED,
        lambda value: _outcome(
            clinic, "anonymous", "POST", "/accounts/login/", [("username", value), ("password", "x")]
        ),
    )


def test_an_unknown_next_after_signing_in_goes_home(clinic):
    def sign_in(value):
        clinic.clients.pop("anonymous", None)
        pairs = _with(clinic, "/accounts/login/", "next", value)
        return fuzzing.send(clinic.client("anonymous"), "POST", "/accounts/login/", pairs, with_token=True)["Location"]

    _try_each(NEXT_VALUES, "/", sign_in)


def test_an_unknown_next_after_a_refused_cancel_goes_to_the_appointments(clinic):
    path = _path(clinic, "/appointments/{appointment}/cancel/")
    # A completed appointment cannot be cancelled: the refusal redirects too, with its error message.
    closed = _path(clinic, f"/appointments/{clinic.closed_appointment.pk}/cancel/")
    _try_each(NEXT_VALUES, REFUSED, lambda value: _outcome(clinic, "patient", "POST", closed, [("next", value)]))
    _try_each(
        NEXT_VALUES[:1],
        (302, "/appointments/"),
        lambda value: _outcome(clinic, "patient", "POST", path, [("next", value)]),
    )


@pytest.mark.parametrize(
    ("role", "template", "field", "expected"),
    [
        # "٣" is left out: Django's IntegerField reads it as slot 3, which may exist.
        ("patient", "/appointments/{appointment}/reschedule/", "slot", REFUSED),
        ("reception", "/slots/{slot}/book-for-patient/", "patient", REFUSED),
        ("doctor", "/schedule/slots/remove/", "slots", (302, "/schedule/availability/")),
    ],
)
def test_an_id_that_is_not_one_in_a_form_changes_nothing(clinic, role, template, field, expected):
    path = _path(clinic, template)

    def attempt(value):
        clinic.client(role)
        before = fuzzing.snapshot()
        got = _outcome(clinic, role, "POST", path, [(field, value)])
        return got if fuzzing.changed_stores(before, fuzzing.snapshot()) == [] else f"{got}, and a store changed"

    _try_each([value for value in DIGIT_TRAPS if value != "٣"], expected, attempt)


@pytest.mark.parametrize(
    ("role", "method", "template"),
    [
        ("anonymous", "GET", "/doctors/{value}/"),
        ("patient", "POST", "/slots/{value}/book/"),
        ("patient", "POST", "/appointments/{value}/cancel/"),
        ("doctor", "GET", "/appointments/{value}/consultation/"),
        ("doctor", "GET", "/patients/{value}/record/"),
    ],
)
def test_an_id_in_the_path_that_names_nothing_is_not_found(clinic, role, method, template):
    def attempt(value):
        response = fuzzing.send(
            clinic.client(role), method, template.replace("{value}", fuzzing.quote_text(value)), [], True
        )
        return response.status_code

    def expected(value):
        # Booking answers "that slot is not free" (409) for any number; the rest are not routes at all.
        number = template.startswith("/slots/") and value.isascii() and value.isdigit() and len(value) < 4300
        return 409 if number else 404

    _try_each(["0", "00", str(10**30), "9" * 5000, "-1", "²", "٣", str(2**63)], expected, attempt)


def test_an_admin_object_id_that_names_nothing_goes_back_to_the_admin_index(clinic):
    _try_each(
        # Not "٣": Django reads it as user 3, who exists on a fresh SQLite database.
        ["0", "00", str(10**30), "9" * 5000, "-1", "²", "\x00"],
        (302, "/admin/"),
        lambda value: _outcome(clinic, "admin", "GET", f"/admin/accounts/user/{fuzzing.quote_text(value)}/change/", []),
    )


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("anonymous", "/doctors/"),
        ("admin", "/patients/"),
        ("reception", "/desk/book/"),
        ("admin", "/admin/accounts/user/"),
    ],
)
def test_odd_text_in_a_search_is_just_a_search(clinic, role, path):
    _try_each(
        [*NUL_TEXT, *ODD_TEXT, "x" * 10_001],
        (200, None),
        lambda value: _outcome(clinic, role, "GET", path, [("q", value)]),
    )


def test_a_record_update_with_bad_fields_changes_nothing(clinic):
    path = _path(clinic, "/patients/{patient}/record/update/")
    _try_each(
        [("reason", "\x00"), ("reason", "x" * 501), ("reason", ""), ("allergies", "x" * 1001), ("blood_type", "²")],
        REFUSED,
        lambda field_value: _outcome(clinic, "doctor", "POST", path, _with(clinic, path, *field_value)),
    )


def test_an_addendum_with_bad_fields_changes_nothing(clinic):
    path = _path(clinic, "/patients/{patient}/record/encounters/{encounter}/addendum/")
    _try_each(
        [("addendum_id", "²" * 24), ("addendum_id", "0" * 5000), ("text", "\x00"), ("reason", "x" * 501)],
        REFUSED,
        lambda field_value: _outcome(clinic, "doctor", "POST", path, _with(clinic, path, *field_value)),
    )


def test_a_field_sent_twice_is_read_once(clinic):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    pairs = _with(clinic, "/schedule/availability/", "start_date", tomorrow, [("start_date", "9999-12-31")])
    assert _outcome(clinic, "doctor", "POST", "/schedule/availability/", pairs) == (302, "/schedule/availability/")


@pytest.mark.parametrize("role", fuzzing.ROLES)
def test_a_huge_query_string_or_body_is_a_bad_request(clinic, role):
    cancel = _path(clinic, "/appointments/{appointment}/cancel/")
    assert _outcome(clinic, role, "GET", "/doctors/", [("a", "1")] * 1200) == REFUSED
    assert _outcome(clinic, role, "POST", cancel, [("a", "1")] * 1200) == REFUSED
    assert _outcome(clinic, role, "POST", cancel, [("next", "x" * 3_000_000)]) == REFUSED
    assert fuzzing.send(clinic.client(role), "GET", "/doctors/", [("a", "1")] * 1200, True).status_code == 400


CHANGELISTS = [route for route in fuzzing.all_routes() if route.name.endswith("_changelist")]


def test_every_admin_list_opens(clinic):
    _try_each(
        [route.label for route in CHANGELISTS], 200, lambda label: clinic.client("admin").get("/" + label).status_code
    )


def test_an_admin_date_and_time_at_the_calendar_s_end_is_refused(clinic):
    user = clinic.people["reception"]
    path = f"/admin/accounts/user/{user.pk}/change/"
    form = [("email", user.email), ("first_name", "Rosa"), ("last_name", "Canul"), ("role", "reception")]
    _try_each(
        [("9999-12-31", "23:59:59"), ("9999-12-31", "18:00:00"), ("10000-01-01", "00:00:00"), ("0000-00-00", "")],
        REFUSED,
        lambda moment: _outcome(
            clinic, "admin", "POST", path, [*form, ("date_joined_0", moment[0]), ("date_joined_1", moment[1])]
        ),
    )


ADMIN_LIST_LOOKUPS = {
    "scheduling/slot": "starts_at__gte",
    "scheduling/appointment": "created_at__gte",
    "records/auditevent": "created_at__gte",
    "records/operation": "updated_at__lt",
    "accounts/user": "date_joined__gte",
    "accounts/privacyconsent": "accepted_at__gte",
    "axes/accessattempt": "attempt_time__gte",
}


@pytest.mark.parametrize(("model", "lookup"), ADMIN_LIST_LOOKUPS.items())
def test_an_admin_list_lookup_at_the_calendar_s_end_drops_the_filter(clinic, model, lookup):
    def look_up(value):
        return _outcome(clinic, "admin", "GET", f"/admin/{model}/", [(lookup, value)])

    _try_each(["9999-12-31 23:59:59", "²", "9" * 5000], (302, f"/admin/{model}/?e=1"), look_up)
    _try_each(["0001-01-01", "9999-12-31"], (200, None), look_up)


def test_the_refusals_say_why_on_the_page(clinic):
    far = (timezone.localdate() + timedelta(days=800)).isoformat()
    pairs = [(n, v) for n, v in _with(clinic, "/schedule/availability/", "start_date", far) if n != "end_date"]
    page = fuzzing.send(clinic.client("doctor"), "POST", "/schedule/availability/", [*pairs, ("end_date", far)], True)
    assert "Choose a day at most 732 days from today." in page.content.decode()
    agenda = fuzzing.send(clinic.client("doctor"), "GET", "/appointments/", [("day", "9999-12-31")], True)
    assert "Choose a day within 10 years of today." in agenda.content.decode()
    path = _path(clinic, "/appointments/{appointment}/consultation/")
    consultation = fuzzing.send(
        clinic.client("doctor"), "POST", path, _with(clinic, path, "rx-TOTAL_FORMS", "-1"), True
    )
    assert "The prescription lines did not arrive as sent." in consultation.content.decode()
