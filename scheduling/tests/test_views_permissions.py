"""Every scheduling route against every role: who gets through, and that nobody else changes anything.

Cells read: "ok" 200 · "done" 302 and something changed · "noop" 302 and
nothing changed · "login" sent to the login page · 403 / 404 and nothing changed.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import DoctorProfile
from accounts.services import new_calendar_token
from accounts.tests.factories import AdminFactory, DoctorFactory, PatientFactory, ReceptionFactory
from scheduling.models import Appointment, AppointmentStatus, BlockedDay, Slot
from scheduling.tests.factories import AppointmentFactory, SlotFactory
from scheduling.tests.helpers import days_ahead

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "patient", "other_patient", "doctor", "other_doctor", "reception", "admin")


@dataclass
class World:
    patient: object
    other_patient: object
    doctor: object
    other_doctor: object
    reception: object
    admin: object
    upcoming: Appointment
    started: Appointment
    no_show: Appointment
    free: Slot
    target: Slot


@pytest.fixture
def world():
    patient, doctor = PatientFactory(), DoctorFactory()
    return World(
        patient=patient,
        other_patient=PatientFactory(),
        doctor=doctor,
        other_doctor=DoctorFactory(),
        reception=ReceptionFactory(),
        admin=AdminFactory(),
        upcoming=AppointmentFactory(patient=patient, slot__doctor=doctor, slot__starts_at=days_ahead(3, 9)),
        started=AppointmentFactory(
            patient=patient, slot__doctor=doctor, slot__starts_at=timezone.now() - timedelta(minutes=30)
        ),
        no_show=AppointmentFactory(
            patient=patient,
            slot__doctor=doctor,
            slot__starts_at=timezone.now() - timedelta(hours=3),
            status=AppointmentStatus.NO_SHOW,
            live_slot=None,
        ),
        free=SlotFactory(doctor=doctor, starts_at=days_ahead(4, 9)),
        target=SlotFactory(doctor=doctor, starts_at=days_ahead(5, 9)),
    )


def _open_form(w):
    tomorrow = timezone.localdate() + timedelta(days=1)
    return {
        "start_date": tomorrow.isoformat(),
        "end_date": tomorrow.isoformat(),
        "weekdays": list(range(7)),
        "start_time": "07:00",
        "end_time": "08:00",
        "slot_minutes": "30",
    }


def _blocked_day(w):
    """The doctor's blocked day, whose closed slot an unblock reopens (a change the fingerprint sees)."""
    day = timezone.localdate() + timedelta(days=6)
    closed = [[days_ahead(6, 9).isoformat(), days_ahead(6, 9, 30).isoformat()]]
    BlockedDay.objects.get_or_create(doctor=w.doctor, day=day, defaults={"closed_slots": closed})
    return {"day": day.isoformat()}


# label: (method, url name, the URL's argument, the form data)
ROUTES = {
    "directory": ("get", "directory", None, None),
    "doctor page": ("get", "doctor", lambda w: w.doctor.pk, None),
    "book": ("post", "book", lambda w: w.free.pk, None),
    "book for patient": ("post", "book_for_patient", lambda w: w.free.pk, lambda w: {"patient": w.patient.pk}),
    "appointments": ("get", "appointments", None, None),
    "cancel": ("post", "cancel", lambda w: w.upcoming.pk, None),
    "reschedule page": ("get", "reschedule", lambda w: w.upcoming.pk, None),
    "reschedule": ("post", "reschedule", lambda w: w.upcoming.pk, lambda w: {"slot": w.target.pk}),
    "no-show": ("post", "no_show", lambda w: w.started.pk, None),
    "revert no-show": ("post", "revert_no_show", lambda w: w.no_show.pk, None),
    "check-in": ("post", "check_in", lambda w: w.upcoming.pk, None),
    "availability page": ("get", "availability", None, None),
    "open slots": ("post", "availability", None, _open_form),
    "remove slots": ("post", "remove_slots", None, lambda w: {"slots": [w.free.pk]}),
    "block day": ("post", "block_day", None, lambda w: {"day": timezone.localtime(w.free.starts_at).date()}),
    "unblock day": ("post", "unblock_day", None, _blocked_day),
    "appointment .ics": ("get", "appointment_calendar", lambda w: w.upcoming.pk, None),
    "calendar feed": ("get", "calendar_feed", lambda w: new_calendar_token(w.doctor), None),
    "new feed address": ("post", "new_calendar_feed", None, None),
    "revoke feed address": ("post", "revoke_calendar_feed", None, None),
    "doctor photo": ("get", "doctor_photo", lambda w: w.doctor.pk, None),
    "public profile page": ("get", "my_public_profile", None, None),
    "save public profile": ("post", "my_public_profile", None, lambda w: {"bio": "Nueva semblanza"}),
}

#                      anonymous patient  other_pat. doctor  other_doc. reception admin
EXPECTED = {
    "directory": ("ok", "ok", "ok", "ok", "ok", "ok", "ok"),
    "doctor page": ("ok", "ok", "ok", "ok", "ok", "ok", "ok"),
    "book": ("login", "done", "done", 403, 403, 403, 403),
    "book for patient": ("login", 403, 403, 403, 403, "done", "done"),
    "appointments": ("login", "ok", "ok", "ok", "ok", "noop", "noop"),  # staff: to the desk
    "cancel": ("login", "done", 404, "done", 404, "done", "done"),
    "reschedule page": ("login", "ok", 404, 403, 403, "ok", "ok"),
    "reschedule": ("login", "done", 404, 403, 403, "done", "done"),
    "no-show": ("login", 403, 403, "done", 404, "done", "done"),
    "revert no-show": ("login", 403, 403, "done", 404, "done", "done"),
    "check-in": ("login", 403, 403, 403, 403, "done", "done"),
    "availability page": ("login", 403, 403, "ok", "ok", 403, 403),
    "open slots": ("login", 403, 403, "done", "done", 403, 403),
    "remove slots": ("login", 403, 403, "done", "noop", 403, 403),
    "block day": ("login", 403, 403, "done", "noop", 403, 403),
    "unblock day": ("login", 403, 403, "done", "noop", 403, 403),
    "appointment .ics": ("login", "ok", 404, "ok", 404, 403, 403),
    "calendar feed": ("ok", "ok", "ok", "ok", "ok", "ok", "ok"),
    "new feed address": ("login", 403, 403, "done", "done", 403, 403),
    "revoke feed address": ("login", 403, 403, "noop", "noop", 403, 403),
    # No photo uploaded in this world: the public route answers 404 to everyone, never a login page.
    "doctor photo": (404, 404, 404, 404, 404, 404, 404),
    "public profile page": ("login", 403, 403, "ok", "ok", 403, 403),
    "save public profile": ("login", 403, 403, "done", "done", 403, 403),
}

CASES = [
    pytest.param(route, role, expected, id=f"{route}-{role}")
    for route, row in EXPECTED.items()
    for role, expected in zip(ROLES, row, strict=True)
]


def fingerprint():
    return (
        sorted(Appointment.objects.values_list("pk", "status", "slot_id", "live_slot_id", "checked_in_at")),
        sorted(Slot.objects.values_list("pk", "status")),
        sorted(DoctorProfile.objects.values_list("pk", "calendar_token", "bio")),
    )


def test_the_table_covers_every_scheduling_route():
    from scheduling.urls import urlpatterns

    assert {name for _, name, _, _ in ROUTES.values()} == {pattern.name for pattern in urlpatterns}


@pytest.mark.parametrize(("route", "role", "expected"), CASES)
def test_route_by_role(client, world, route, role, expected):
    method, name, url_argument, form_data = ROUTES[route]
    url = reverse(f"scheduling:{name}", args=[url_argument(world)] if url_argument else [])
    if role != "anonymous":
        client.force_login(getattr(world, role))
    before = fingerprint()

    response = getattr(client, method)(url, form_data(world) if form_data else {})

    if expected == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login") + "?next=")
    elif expected in ("done", "noop"):
        assert response.status_code == 302
        assert not response["Location"].startswith(reverse("accounts:login"))
    else:
        assert response.status_code == (200 if expected == "ok" else expected)
    if expected == "done":
        assert fingerprint() != before
    else:
        assert fingerprint() == before
