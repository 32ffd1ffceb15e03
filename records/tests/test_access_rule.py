"""The record access rule (records/permissions.py) as a table: appointment state × window × role.

A doctor's access comes from one appointment with the patient, here in each state and starting
inside the RECORD_ACCESS_DAYS_AHEAD window, beyond it, or in the past. Each row asserts the one
right answer for reading the record, editing blood type and allergies, and adding an addendum to
a note written by a third doctor, and that the patients list and the page's forms agree.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import AdminFactory, DoctorFactory, PatientFactory, ReceptionFactory
from records import permissions, repository
from records.models import AuditEvent
from records.tests.helpers import appointment_with_record
from records.tests.view_helpers import closed_encounter
from scheduling.models import AppointmentStatus
from scheduling.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

DAYS_AHEAD = 7
STATES = ["scheduled", "checked-in", "closing", "completed", "cancelled", "no_show"]
WINDOWS = {
    "inside": timedelta(days=DAYS_AHEAD - 1),
    "beyond": timedelta(days=DAYS_AHEAD, hours=1),
    "past": -timedelta(days=3),
}
ROLES = ["the appointment's doctor", "another doctor", "the patient", "another patient", "reception", "admin"]

# The appointment's doctor: read, allergy edit and addendum all come from the same access.
DOCTOR_HAS_ACCESS = {
    ("scheduled", "inside"): True,
    ("scheduled", "beyond"): False,
    ("scheduled", "past"): True,
    ("checked-in", "inside"): True,
    ("checked-in", "beyond"): False,
    ("checked-in", "past"): True,
    ("closing", "inside"): True,
    ("closing", "beyond"): False,
    ("closing", "past"): True,
    ("completed", "inside"): True,
    ("completed", "beyond"): True,
    ("completed", "past"): True,
    ("cancelled", "inside"): False,
    ("cancelled", "beyond"): False,
    ("cancelled", "past"): False,
    ("no_show", "inside"): False,
    ("no_show", "beyond"): False,
    ("no_show", "past"): False,
}
# Everyone else, whatever the appointment: (read, allergy edit, addendum).
OTHERS = {
    "another doctor": (False, False, False),
    "the patient": (True, False, False),
    "another patient": (False, False, False),
    "reception": (False, False, False),
    "admin": (True, False, False),
}


def expected(state, window, role):
    if role == "the appointment's doctor":
        return (DOCTOR_HAS_ACCESS[(state, window)],) * 3
    return OTHERS[role]


def appointment_in(state, window, **fields):
    starts_at = (timezone.now() + WINDOWS[window]).replace(microsecond=0)
    status = {"checked-in": AppointmentStatus.SCHEDULED}.get(state, state)
    extra = {"live_slot": None} if status in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW) else {}
    return AppointmentFactory(
        slot__starts_at=starts_at,
        slot__ends_at=starts_at + timedelta(minutes=30),
        status=status,
        checked_in_at=starts_at - timedelta(minutes=10) if state == "checked-in" else None,
        **extra,
        **fields,
    )


@pytest.fixture(autouse=True)
def _window(settings):
    settings.RECORD_ACCESS_DAYS_AHEAD = DAYS_AHEAD


CASES = [(state, window, role) for state in STATES for window in WINDOWS for role in ROLES]


@pytest.mark.parametrize(("state", "window", "role"), CASES, ids=[" / ".join(case) for case in CASES])
def test_each_appointment_state_window_and_role_gets_the_one_right_answer(client, state, window, role):
    # The note to amend was written by a third doctor, whose completed visit grants nothing to the others.
    earlier, encounter_id = closed_encounter(appointment_with_record())
    patient = earlier.patient
    appointment = appointment_in(state, window, patient=patient)
    other_patient = PatientFactory()
    people = {
        "the appointment's doctor": appointment.doctor,
        "another doctor": DoctorFactory(),
        "the patient": patient,
        "another patient": other_patient,
        "reception": ReceptionFactory(),
        "admin": AdminFactory(),
    }
    user = people[role]
    may_read, may_edit, may_add = expected(state, window, role)
    client.force_login(user)
    AuditEvent.objects.all().delete()
    record_url = f"/patients/{patient.pk}/record/"

    read = client.get(record_url)
    edit = client.post(
        f"{record_url}update/", {"blood_type": "B+", "allergies": "látex", "reason": "Lab result", "version": "1"}
    )
    addendum = client.post(
        f"{record_url}encounters/{encounter_id}/addendum/", {"reason": "Late finding", "text": "Seen again."}
    )

    assert read.status_code == (200 if may_read else 403)
    assert edit.status_code == (302 if may_edit else 403)
    assert addendum.status_code == (302 if may_add else 403)
    assert permissions.may_read_record(user, patient.pk) is may_read
    assert permissions.may_edit_record(user, patient.pk) is may_edit
    assert permissions.may_add_addendum(user, patient.pk) is may_add
    assert permissions.appointment_grants_access(appointment) is DOCTOR_HAS_ACCESS[(state, window)]
    record = repository.get_patient_record(patient_id=patient.pk)
    assert record["allergies"] == (["látex"] if may_edit else ["penicilina"])
    encounter = repository.get_encounter(encounter_id=encounter_id, patient_id=patient.pk)
    assert len(encounter["addenda"]) == (1 if may_add else 0)
    refused = [not may_read, not may_edit, not may_add].count(True)
    denied = AuditEvent.objects.filter(action="record.access_denied")
    assert list(denied.values_list("user", "patient")) == [(user.pk, patient.pk)] * refused
    if may_read:
        page = read.content.decode()
        assert (f'action="{record_url}update/"' in page) is may_edit
        assert ("Add the addendum" in page) is may_add
    else:
        assert "penicilina" not in read.content.decode()
    if user.role in ("doctor", "admin"):
        listed = client.get("/patients/").content.decode()
        assert (f'href="{record_url}"' in listed) is may_read
        assert set(permissions.readable_patients(user)) == ({patient} if may_read else set()) | (
            {earlier.patient, other_patient} if role == "admin" else set()
        )


def test_an_appointment_that_started_earlier_today_and_is_still_open_grants_access(client):
    starts_at = timezone.now() - timedelta(hours=3)
    appointment = appointment_with_record(slot__starts_at=starts_at, slot__ends_at=starts_at + timedelta(minutes=30))
    client.force_login(appointment.doctor)

    assert client.get(f"/patients/{appointment.patient_id}/record/").status_code == 200
    assert client.get(f"/appointments/{appointment.pk}/consultation/").status_code == 200


def test_the_window_is_the_setting(client, settings):
    appointment = appointment_with_record(
        slot__starts_at=timezone.now() + timedelta(days=2, hours=1),
        slot__ends_at=timezone.now() + timedelta(days=2, hours=2),
    )
    client.force_login(appointment.doctor)
    url = f"/patients/{appointment.patient_id}/record/"

    settings.RECORD_ACCESS_DAYS_AHEAD = 3
    assert client.get(url).status_code == 200
    settings.RECORD_ACCESS_DAYS_AHEAD = 2
    assert client.get(url).status_code == 403
    assert client.get(f"/appointments/{appointment.pk}/consultation/").status_code == 403


def test_a_cancellation_ends_the_access_the_booking_gave(client):
    appointment = appointment_with_record()
    client.force_login(appointment.doctor)
    url = f"/patients/{appointment.patient_id}/record/"
    assert client.get(url).status_code == 200

    appointment.status, appointment.live_slot = AppointmentStatus.CANCELLED, None
    appointment.save(update_fields=["status", "live_slot"])

    assert client.get(url).status_code == 403


def test_the_agenda_links_to_a_record_and_a_consultation_only_where_the_rule_lets_the_doctor_in(client, settings):
    doctor = DoctorFactory()
    booked = AppointmentFactory(slot__doctor=doctor)
    client.force_login(doctor)
    day = timezone.localtime(booked.starts_at).date().isoformat()

    page = client.get("/appointments/", {"day": day}).content.decode()
    settings.RECORD_ACCESS_DAYS_AHEAD = 0
    later = client.get("/appointments/", {"day": day}).content.decode()

    assert f'href="/patients/{booked.patient_id}/record/"' in page
    assert f'href="/appointments/{booked.pk}/consultation/"' in page
    assert booked.patient.get_full_name() in later
    assert f'href="/patients/{booked.patient_id}/record/"' not in later
    assert f'href="/appointments/{booked.pk}/consultation/"' not in later
