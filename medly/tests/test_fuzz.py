"""Property: no input to any route, as any role, gives a 5xx; a refused request changes no store.

Every URL pattern the resolver knows is fuzzed, so a new route needs no edit
here: each is one test case, except Django admin's, grouped per model admin.
Each Hypothesis example is one request (method, path, fields, with or without
the CSRF token) sent as every role: anonymous, patient, doctor, reception and
admin, each a real logged-in client with CSRF checks on. Paths are filled with
the seeded objects' ids and with bad ones; fields are the route's valid form,
mutated field by field (kept, replaced, dropped, sent twice), plus every other
field name its pages render. Stores are compared before and after each request:
a GET never changes them, a refused POST neither.

Deterministic (derandomize, no example database) and bounded: about 1,800
requests in all.
"""

import time

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from medly.tests import fuzzing
from medly.tests.fuzzing import ROLES, all_routes, route_segments

pytestmark = pytest.mark.django_db

ROUTES = all_routes()
APP_EXAMPLES = 8
ADMIN_EXAMPLES = 3

# Digits str.isdigit() accepts that int() refuses (or reads), numbers past int()'s 4300-digit limit,
# dates at the calendar's ends, text past the column limits, redirect targets, control characters.
NASTY = [
    "²",
    "①",
    "٣",
    "٣٤",
    "𝟗",
    "Ⅻ",
    "-1",
    "0",
    "00",
    "1",
    "1.5",
    "1e9",
    "1e400",
    "NaN",
    "-inf",
    str(2**63),
    str(10**30),
    "9" * 5000,
    "0001-01-01",
    "0001-01-02",
    "9999-12-31",
    "9999-12-27",
    "10000-01-01",
    "0000-00-00",
    "2026-02-30",
    "00:00",
    "23:59",
    "24:00",
    "99:99",
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "\udfff",
    "\ufeff",
    "\u202e",
    "\r\n",
    "x" * 101,
    "x" * 151,
    "x" * 255,
    "x" * 1001,
    "x" * 10_001,
    "a" * 245 + "@medly.test",
    "a" * 64 + "@" + "b" * 190 + ".test",
    "ANA@Example.TEST",
    "//evil.example/",
    "https://evil.example/",
    "javascript:alert(1)",
    "/\\evil.example",
    "/%0d%0aX:y",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%s%n",
    "{{ 7|add:7 }}",
    "[]",
    "{}",
]
BAD_INTS = ["0", "00", "999999999", str(2**63), str(10**30), "9" * 5000, "-1", "²", "٣"]
COMMON_FIELDS = ("next", "page", "q", "day", "view")


def values():
    nasty = st.sampled_from(NASTY)
    return st.one_of(
        nasty,
        nasty,
        nasty,
        st.text(max_size=40),
        st.integers().map(str),
        st.dates().map(lambda day: day.isoformat()),
        st.times().map(lambda moment: moment.strftime("%H:%M")),
        st.emails(),
    )


def _segment(converter, name, regex, clinic):
    if converter == "regex":
        return st.from_regex(regex, fullmatch=True).map(lambda text: fuzzing.quote_text(text, safe="/"))
    real = [str(value) for value in clinic.ids.get(name) or clinic.ids["object_id"]]
    if converter == "int":
        return st.one_of(st.sampled_from(real), st.sampled_from(BAD_INTS))
    junk = st.one_of(st.sampled_from(NASTY), st.text(min_size=1, max_size=30))
    safe = "/" if converter == "path" else ""
    return st.one_of(st.sampled_from(real), junk.map(lambda text: fuzzing.quote_text(text or "x", safe=safe)))


def paths(route, clinic):
    pieces = [
        st.just(literal) if literal is not None else _segment(converter, name, regex, clinic)
        for literal, converter, name, regex in route_segments(route)
    ]
    return st.tuples(*pieces).map(lambda parts: "/" + "".join(parts))


@st.composite
def fields(draw, route, clinic):
    pairs = []
    for name, value in fuzzing.valid_form(route, clinic):
        action = draw(st.sampled_from(["keep", "keep", "fuzz", "fuzz", "drop", "twice"]))
        if action == "keep":
            pairs.append((name, value))
        elif action == "fuzz":
            pairs.append((name, draw(values())))
        elif action == "twice":
            pairs += [(name, value), (name, draw(values()))]
    known = {name for name, _value in pairs}
    others = sorted((clinic.fields.get(route.label, set()) | set(COMMON_FIELDS)) - known - {"csrfmiddlewaretoken"})
    for name in others:
        if draw(st.integers(0, 3)) == 0:
            pairs.append((name, draw(values())))
    if draw(st.integers(0, 19)) == 0:
        pairs += [("filler", "1")] * 1200  # past DATA_UPLOAD_MAX_NUMBER_FIELDS
    return pairs


FIELD_NAMES = {}


@pytest.fixture
def clinic():
    clinic = fuzzing.seed_clinic()
    if not FIELD_NAMES:
        # Read once per run: the pages' forms do not depend on which test seeded the clinic.
        FIELD_NAMES.update(fuzzing.collect_field_names(clinic, ROUTES))
    clinic.fields = FIELD_NAMES
    return clinic


def _cases(routes):
    """One case per route, except Django admin's: one per model admin, whose six routes share a seeded clinic."""
    cases = {}
    for route in routes:
        cases.setdefault("/".join(route.label.split("/")[:3]) if route.is_admin else route.label, []).append(route)
    return cases


CASES = _cases(ROUTES)


@pytest.mark.parametrize("routes", CASES.values(), ids=CASES.keys())
def test_no_input_gives_a_5xx_and_a_refused_request_changes_no_store(routes, clinic):
    started, sent = time.monotonic(), 0
    for route in routes:
        sent += _fuzz(route, clinic)
    print(f"fuzz {routes[0].label}: {len(routes)} routes, {sent} requests in {time.monotonic() - started:.1f}s")


def _fuzz(route, clinic):
    """Run the route's examples; returns how many requests were sent."""
    sent = []

    @settings(
        derandomize=True,
        database=None,
        max_examples=ADMIN_EXAMPLES if route.is_admin else APP_EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
    )
    @given(
        method=st.sampled_from(["GET", "GET", "POST", "POST", "POST", "HEAD", "PUT"]),
        path=paths(route, clinic),
        pairs=fields(route, clinic),
        with_token=st.sampled_from([True] * 9 + [False]),
    )
    def request_as_every_role(method, path, pairs, with_token):
        # Django admin answers every non-staff role with the same login redirect: they get the first example only.
        roles = ("admin",) if route.is_admin and sent else ROLES
        before = None
        for role in roles:
            clinic.logged_in_again = False
            client = clinic.client(role)
            if before is None or clinic.logged_in_again:
                before = fuzzing.snapshot()
            note(f"{role}: {method} {path}")
            response = fuzzing.send(client, method, path, pairs, with_token)
            sent.append(role)
            assert response.status_code < 500, f"{role}: {method} {path} answered {response.status_code}"
            after = fuzzing.snapshot()
            changed = fuzzing.changed_stores(before, after)
            if method != "POST":
                assert not changed, f"{role}: {method} {path} changed {changed}"
            elif fuzzing.refused(method, response):
                assert not changed, f"{role}: refused {method} {path} ({response.status_code}) changed {changed}"
            before = after

    request_as_every_role()
    assert set(sent) == set(ROLES)
    return len(sent)
