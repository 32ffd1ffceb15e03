"""Every HTML page of every role answers in a pinned number of queries, the same with 3 or 30 rows.

The routes come from the resolver (as in test_fuzz.py): a new page that answers some role with HTML and has
no pinned count here fails the test. Counts leave out ClinicDetails, which the conftest caches beforehand.
"""

import pytest

from accounts.tests.factories import PatientFactory
from medly.tests import fuzzing
from medly.tests.fuzzing import ROLES, all_routes, sample_path
from records.models import ClinicDetails
from scheduling.models import AppointmentStatus
from scheduling.tests.factories import AppointmentFactory, SlotFactory
from scheduling.tests.helpers import days_ahead

pytestmark = pytest.mark.django_db

# Pinned by the engineers who own these pages (issue 12): the page caches and the record pages.
ELSEWHERE = {
    "scheduling:directory": "page-cache work (scheduling/tests/test_directory*.py)",
    "scheduling:doctor": "page-cache work (scheduling/tests/test_public_profile.py)",
    "records:patient_record": "record-page work (records/tests/test_record_page.py)",
    "records:my_record": "record-page work (records/tests/test_record_page.py)",
    "records:history": "record-page work (records/tests/test_history.py)",
    "records:prescription": "record-page work (records/tests/test_prescription.py)",
}

# Signed in, each page costs the user (1) and, for admins, the count of things needing a person (1).
PINNED = {
    "home": {"anonymous": 0, "patient": 4, "doctor": 3, "reception": 4, "admin": 5},
    "twofactor:security": {"patient": 4, "doctor": 4, "reception": 4, "admin": 5},
    "twofactor:authenticator": {"patient": 4, "doctor": 4, "reception": 4, "admin": 3},
    "twofactor:recovery_codes": {"admin": 5},
    "accounts:register": {"anonymous": 0},
    "accounts:login": {"anonymous": 0},
    "accounts:privacy": {"anonymous": 0, "patient": 1, "doctor": 1, "reception": 1, "admin": 2},
    "accounts:password_reset": {"anonymous": 0, "patient": 1, "doctor": 1, "reception": 1, "admin": 2},
    "accounts:password_reset_done": {"anonymous": 0, "patient": 1, "doctor": 1, "reception": 1, "admin": 2},
    "accounts:password_change": {"patient": 1, "doctor": 1, "reception": 1, "admin": 2},
    "accounts:profile": {"patient": 3, "doctor": 1, "reception": 1, "admin": 2},
    "accounts:password_reset_confirm": {"anonymous": 0, "patient": 1, "doctor": 1, "reception": 1, "admin": 2},
    "accounts:password_reset_complete": {"anonymous": 0, "patient": 1, "doctor": 1, "reception": 1, "admin": 2},
    "rectifications:desk": {"reception": 3, "admin": 4},
    "scheduling:my_public_profile": {"doctor": 2},
    "scheduling:book": {"patient": 4},
    "scheduling:appointments": {"patient": 5, "doctor": 8},
    "scheduling:reschedule": {"patient": 3, "reception": 3, "admin": 4},
    "scheduling:availability": {"doctor": 4},
    "records:consultation": {"doctor": 7},
    "records:cie10_search": {"doctor": 1},
    "records:patients": {"doctor": 3, "admin": 4},
    "waitlist:mine": {"patient": 3},
    "waitlist:desk": {"reception": 2, "admin": 3},
    "reminders:mine": {"patient": 2},
    "desk:day": {"reception": 4, "admin": 5},
    "desk:register_patient": {"reception": 1, "admin": 2},
    "desk:book": {"reception": 1, "admin": 2},
    "desk:confirm_check_in": {"reception": 2, "admin": 3},
    "desk:confirm_no_show": {"reception": 2, "admin": 3},
    "desk:confirm_cancel": {"reception": 2, "admin": 3},
}

# Pages again with the parameters that change what they read, and the main admin pages.
WITH_PARAMETERS = [
    ("/patients/?q={last_name}", "doctor", 3),
    ("/patients/?page=2", "admin", 4),
    ("/desk/book/?q={last_name}", "reception", 2),
    ("/appointments/?page=2&upcoming=2", "patient", 5),
    ("/appointments/?view=week", "doctor", 8),
    ("/admin/", "admin", 5),
    ("/admin/accounts/user/", "admin", 6),
    ("/admin/accounts/user/?q={last_name}", "admin", 5),
    # Lists of the big tables: the page alone, then its people by id (medly.admin_lists.RelatedFetchedAfterThePage).
    ("/admin/scheduling/appointment/", "admin", 9),
    # The ids of the people the word finds first, then an index range for patient or doctor.
    ("/admin/scheduling/appointment/?q={last_name}", "admin", 9),
    ("/admin/scheduling/slot/?q={last_name}", "admin", 6),
    ("/admin/scheduling/slot/", "admin", 8),
    ("/admin/records/operation/", "admin", 8),
    ("/admin/records/auditevent/", "admin", 6),
]


def add_rows(clinic, count):
    """``count`` more of what lists grow with: the patient's past and coming appointments (staff may book
    past the patient's own limit), the doctor's patients (today and the next days) and open slots."""
    patient, doctor = clinic.people["patient"], clinic.people["doctor"]
    for n in range(count):
        AppointmentFactory(
            patient=patient,
            slot__doctor=doctor,
            slot__starts_at=days_ahead(-2 - n, 8),
            status=AppointmentStatus.CANCELLED if n % 2 else AppointmentStatus.NO_SHOW,
            live_slot=None,
        )
        AppointmentFactory(patient=patient, slot__doctor=doctor, slot__starts_at=days_ahead(30 + n, 8))
        AppointmentFactory(patient=PatientFactory(), slot__doctor=doctor, slot__starts_at=days_ahead(n % 3, 12, n))
        SlotFactory(doctor=doctor, starts_at=days_ahead(20 + n // 10, 8 + n % 10))


@pytest.fixture(params=[3, 30], ids=["3 rows", "30 rows"])
def clinic(request):
    clinic = fuzzing.seed_clinic()
    add_rows(clinic, request.param)
    # Seeding saved the clinic's details: read them once, as the first page after a save does.
    ClinicDetails.cached()
    return clinic


def is_page(response):
    return response.status_code == 200 and "html" in response.get("Content-Type", "")


def test_every_page_of_every_role_takes_its_pinned_number_of_queries(clinic, django_assert_num_queries):
    unpinned = []
    for route in fuzzing.all_routes():
        path = sample_path(route, clinic)
        if route.is_admin or route.name in ELSEWHERE or path is None:
            continue
        pinned = PINNED.get(route.name, {})
        for role in ROLES:
            client = clinic.client(role)
            if role not in pinned:
                if is_page(client.get(path)):
                    unpinned.append(f"{route.name} as {role}")
                continue
            with django_assert_num_queries(pinned[role]):
                response = client.get(path)
            assert is_page(response), f"{route.name} as {role} is no longer a page ({response.status_code})"
    assert unpinned == [], "pin these pages' query counts in PINNED"


@pytest.mark.parametrize(("path", "role", "queries"), WITH_PARAMETERS)
def test_searches_later_pages_and_admin_lists_take_their_pinned_number_of_queries(
    clinic, django_assert_num_queries, path, role, queries
):
    client = clinic.client(role)
    path = path.format(last_name=clinic.people["patient"].last_name)

    with django_assert_num_queries(queries):
        response = client.get(path)

    assert is_page(response)


def test_every_route_in_the_tables_still_exists():
    names = {route.name for route in all_routes()}

    assert (PINNED.keys() | ELSEWHERE.keys()) - names == set()
