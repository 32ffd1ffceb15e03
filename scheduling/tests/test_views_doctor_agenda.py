"""GET /appointments/ for a doctor: day and week grids, slot states, navigation, patient facts, allergies."""

from datetime import date, timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import DoctorFactory, PatientFactory
from records import repository
from records.models import AuditEvent
from scheduling.models import AppointmentStatus, BlockedDay, ClinicClosure
from scheduling.tests.factories import AppointmentFactory, SlotFactory
from scheduling.tests.helpers import days_ahead, local

pytestmark = pytest.mark.django_db

APPOINTMENTS_URL = reverse("scheduling:appointments")


@pytest.fixture
def doctor(client):
    doctor = DoctorFactory()
    client.force_login(doctor)
    return doctor


def appointment_ids(agenda):
    return [appointment.pk for day in agenda.days for appointment in day.appointments]


def states(agenda):
    return [
        (timezone.localtime(entry.starts_at).strftime("%H:%M"), entry.state, entry.slot_count)
        for day in agenda.days
        for entry in day.entries
    ]


def test_a_doctors_day_shows_their_patients_and_nothing_else(client, doctor):
    today = timezone.localdate()
    mine = AppointmentFactory(
        slot__doctor=doctor, slot__starts_at=local(today, 8), patient__first_name="Itzel", patient__last_name="Canché"
    )
    AppointmentFactory(
        slot__doctor=doctor, slot__starts_at=local(today, 9), status=AppointmentStatus.CANCELLED, live_slot=None
    )
    AppointmentFactory(slot__doctor=doctor, slot__starts_at=local(today + timedelta(days=1), 8))
    AppointmentFactory(slot__starts_at=local(today, 8))

    response = client.get(APPOINTMENTS_URL)

    assert response.status_code == 200
    assert appointment_ids(response.context["agenda"]) == [mine.pk]
    assert "Itzel Canché" in response.text
    assert "08:00–08:30" in response.text
    assert reverse("records:consultation", args=[mine.pk]) in response.text


def test_a_doctor_picks_another_day(client, doctor):
    later = AppointmentFactory(slot__doctor=doctor, slot__starts_at=days_ahead(9, 16))

    response = client.get(APPOINTMENTS_URL, {"day": timezone.localtime(later.starts_at).date().isoformat()})

    assert appointment_ids(response.context["agenda"]) == [later.pk]


def test_a_doctors_week_runs_monday_to_sunday_with_a_column_for_every_day(client, doctor):
    day = timezone.localdate() + timedelta(days=14)
    monday = day - timedelta(days=day.weekday())
    thursday = AppointmentFactory(slot__doctor=doctor, slot__starts_at=local(monday + timedelta(days=3), 10))
    sunday = AppointmentFactory(slot__doctor=doctor, slot__starts_at=local(monday + timedelta(days=6), 19))
    AppointmentFactory(slot__doctor=doctor, slot__starts_at=local(monday + timedelta(days=7), 8))

    response = client.get(APPOINTMENTS_URL, {"day": day.isoformat(), "view": "week"})

    agenda = response.context["agenda"]
    assert [d.day for d in agenda.days] == [monday + timedelta(days=n) for n in range(7)]
    assert appointment_ids(agenda) == [thursday.pk, sunday.pk]
    assert response.text.count('<section class="agenda-column') == 7
    assert 'class="agenda-grid agenda-week"' in response.text


@pytest.mark.parametrize("query", [{"day": "tomorrow"}, {"view": "fortnight"}, {"day": "0001-01-01", "view": "week"}])
def test_an_unreadable_day_or_view_shows_todays_day_with_a_message(client, doctor, query):
    response = client.get(APPOINTMENTS_URL, query)

    assert response.status_code == 200
    assert [d.day for d in response.context["agenda"].days] == [timezone.localdate()]
    assert "That date or view could not be read, so today's day view is shown." in response.text


def test_the_grid_shows_free_booked_blocked_and_past_slots_each_with_its_own_word(client, doctor):
    yesterday = timezone.localdate() - timedelta(days=1)
    SlotFactory(doctor=doctor, starts_at=local(yesterday, 9))
    SlotFactory(doctor=doctor, starts_at=local(yesterday, 9, 30))
    AppointmentFactory(slot__doctor=doctor, slot__starts_at=local(yesterday, 10), status=AppointmentStatus.COMPLETED)
    tomorrow = timezone.localdate() + timedelta(days=1)
    SlotFactory(doctor=doctor, starts_at=local(tomorrow, 9))
    SlotFactory(doctor=doctor, starts_at=local(tomorrow, 9, 30))
    AppointmentFactory(slot__doctor=doctor, slot__starts_at=local(tomorrow, 10))
    SlotFactory(doctor=doctor, starts_at=local(tomorrow, 10, 30))
    blocked = tomorrow + timedelta(days=1)
    BlockedDay.objects.create(
        doctor=doctor,
        day=blocked,
        closed_slots=[[local(blocked, 9).isoformat(), local(blocked, 9, 30).isoformat()]],
    )

    past = client.get(APPOINTMENTS_URL, {"day": yesterday.isoformat()})
    coming = client.get(APPOINTMENTS_URL, {"day": tomorrow.isoformat()})
    off = client.get(APPOINTMENTS_URL, {"day": blocked.isoformat()})

    assert states(past.context["agenda"]) == [("09:00", "past", 2), ("10:00", "past", 1)]
    assert "Past, not booked" in past.text
    assert states(coming.context["agenda"]) == [("09:00", "free", 2), ("10:00", "booked", 1), ("10:30", "free", 1)]
    assert coming.text.count("○</span> Free") == 3  # two entries and the key
    assert "●</span> Booked" in coming.text
    assert states(off.context["agenda"]) == [("09:00", "blocked", 1)]
    assert "You blocked this day." in off.text


def test_a_clinic_closure_is_shown_on_its_day(client, doctor):
    day = timezone.localdate() + timedelta(days=5)
    ClinicClosure.objects.create(day=day, name="Día de la Revolución")

    response = client.get(APPOINTMENTS_URL, {"day": day.isoformat()})

    assert response.context["agenda"].days[0].closure.name == "Día de la Revolución"
    assert "Clinic closed: Día de la Revolución" in response.text


# Mérida keeps UTC-6 all year: a week is seven 24-hour days even across a month's end.
@pytest.mark.parametrize(
    ("view", "day", "first", "last", "previous", "following"),
    [
        ("week", "2027-03-31", "2027-03-29", "2027-04-04", "2027-03-22", "2027-04-05"),
        ("day", "2027-03-31", "2027-03-31", "2027-03-31", "2027-03-30", "2027-04-01"),
        ("day", "2027-04-01", "2027-04-01", "2027-04-01", "2027-03-31", "2027-04-02"),
    ],
)
def test_previous_and_next_cross_a_month_end_in_merida(client, doctor, settings, view, day, first, last, previous,
                                                       following):  # fmt: skip
    settings.TIME_ZONE = "America/Merida"
    late_sunday = AppointmentFactory(slot__doctor=doctor, slot__starts_at=local(date(2027, 4, 4), 23, 30))
    next_monday = AppointmentFactory(slot__doctor=doctor, slot__starts_at=local(date(2027, 4, 5), 0, 0))

    response = client.get(APPOINTMENTS_URL, {"view": view, "day": day})

    agenda = response.context["agenda"]
    assert (agenda.days[0].day.isoformat(), agenda.days[-1].day.isoformat()) == (first, last)
    assert response.context["previous_url"] == f"{APPOINTMENTS_URL}?view={view}&day={previous}"
    assert response.context["next_url"] == f"{APPOINTMENTS_URL}?view={view}&day={following}"
    assert f"?view={view}&amp;day={following}" in response.text
    if view == "week":
        assert appointment_ids(agenda) == [late_sunday.pk]
        assert next_monday.pk not in appointment_ids(agenda)


def test_today_links_to_the_current_day_in_the_same_view(client, doctor):
    response = client.get(APPOINTMENTS_URL, {"view": "week", "day": "2027-03-31"})

    assert response.context["today_url"] == f"{APPOINTMENTS_URL}?view=week&day={timezone.localdate().isoformat()}"


def test_a_patient_seen_before_by_this_doctor_is_a_follow_up_and_anyone_else_a_first_visit(client, doctor):
    returning, new, elsewhere, no_show = PatientFactory(), PatientFactory(), PatientFactory(), PatientFactory()
    AppointmentFactory(
        slot__doctor=doctor, patient=returning, slot__starts_at=days_ahead(-30), status=AppointmentStatus.COMPLETED
    )
    AppointmentFactory(patient=elsewhere, slot__starts_at=days_ahead(-30), status=AppointmentStatus.COMPLETED)
    AppointmentFactory(
        slot__doctor=doctor, patient=no_show, slot__starts_at=days_ahead(-31), status=AppointmentStatus.NO_SHOW
    )
    for hour, patient in enumerate((returning, new, elsewhere, no_show), start=9):
        AppointmentFactory(slot__doctor=doctor, patient=patient, slot__starts_at=days_ahead(1, hour))

    response = client.get(APPOINTMENTS_URL, {"day": (timezone.localdate() + timedelta(days=1)).isoformat()})

    kinds = {a.patient_id: a.is_follow_up for a in response.context["agenda"].days[0].appointments}
    assert kinds == {returning.pk: True, new.pk: False, elsewhere.pk: False, no_show.pk: False}
    assert response.text.count("Follow-up") == 1
    assert response.text.count("First visit") == 3


def test_each_appointment_shows_age_reason_arrival_and_status(client, doctor):
    today = timezone.localdate()
    born = date(today.year - 42, 1, 1)
    appointment = AppointmentFactory(
        slot__doctor=doctor,
        slot__starts_at=local(today, 23, 0),
        patient__first_name="Rosa",
        patient__last_name="Uc",
        patient__profile__date_of_birth=born,
        reason="Dolor de rodilla al subir escaleras",
        checked_in_at=local(today, 22, 41),
    )

    response = client.get(APPOINTMENTS_URL)

    assert "Rosa Uc</a>, 42 years" in response.text
    assert "Reason: Dolor de rodilla al subir escaleras" in response.text
    assert "Arrived 22:41" in response.text
    assert f"status-{appointment.status}" in response.text


def test_allergies_of_every_patient_in_the_week_come_from_one_mongodb_read_and_are_audited(client, doctor):
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    patients = [PatientFactory() for _ in range(3)]
    allergies = [["penicilina"], ["látex", "sulfas"], []]
    for n, (patient, listed) in enumerate(zip(patients, allergies, strict=True)):
        repository.create_patient_record(patient_id=patient.pk, blood_type="", allergies=listed)
        AppointmentFactory(slot__doctor=doctor, patient=patient, slot__starts_at=local(monday + timedelta(days=n), 23))

    with mock.patch.object(repository, "allergies_by_patient", wraps=repository.allergies_by_patient) as read:
        response = client.get(APPOINTMENTS_URL, {"view": "week", "day": monday.isoformat()})

    assert read.call_count == 1
    assert sorted(read.call_args.kwargs["patient_ids"]) == sorted(p.pk for p in patients)
    assert "Allergies: penicilina" in response.text
    assert "Allergies: látex, sulfas" in response.text
    assert "No allergies recorded" in response.text
    viewed = AuditEvent.objects.filter(action="record.view", user=doctor)
    assert sorted(viewed.values_list("patient_id", flat=True)) == sorted(p.pk for p in patients)
    assert {event.detail["via"] for event in viewed} == {"agenda"}


def test_allergies_are_not_shown_for_appointments_too_far_ahead_to_open_the_record(client, doctor, settings):
    settings.RECORD_ACCESS_DAYS_AHEAD = 7
    appointment = AppointmentFactory(slot__doctor=doctor, slot__starts_at=days_ahead(20))
    repository.create_patient_record(patient_id=appointment.patient_id, blood_type="", allergies=["penicilina"])

    response = client.get(APPOINTMENTS_URL, {"day": (timezone.localdate() + timedelta(days=20)).isoformat()})

    assert "penicilina" not in response.text
    assert not AuditEvent.objects.filter(action="record.view").exists()


def test_with_mongodb_down_the_agenda_still_shows_and_says_allergies_are_unknown(client, doctor, stoppable_mongo):
    appointment = AppointmentFactory(slot__doctor=doctor, slot__starts_at=days_ahead(1, 10))
    repository.create_patient_record(patient_id=appointment.patient_id, blood_type="", allergies=["penicilina"])
    stoppable_mongo.stop()

    response = client.get(APPOINTMENTS_URL, {"day": (timezone.localdate() + timedelta(days=1)).isoformat()})

    assert response.status_code == 200
    assert appointment.patient.get_full_name() in response.text
    assert "cannot be shown right now" in response.text
    assert "Allergies: unknown right now" in response.text
    assert "penicilina" not in response.text


@pytest.mark.parametrize("count", [1, 8])
def test_the_week_takes_the_same_number_of_queries_for_1_or_8_appointments(
    client, doctor, django_assert_num_queries, count
):
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday()) + timedelta(days=7)
    for n in range(count):
        appointment = AppointmentFactory(
            slot__doctor=doctor, slot__starts_at=local(monday + timedelta(days=n % 7), 9 + n)
        )
        repository.create_patient_record(patient_id=appointment.patient_id, blood_type="", allergies=["látex"])
        SlotFactory(doctor=doctor, starts_at=local(monday + timedelta(days=n % 7), 8, n))
    BlockedDay.objects.create(doctor=doctor, day=monday + timedelta(days=6))
    ClinicClosure.objects.create(day=monday + timedelta(days=5), name="Asueto")

    # user, appointments, free slots, blocked days, closures, audit insert, calendar token, doctor profile
    with django_assert_num_queries(8):
        response = client.get(APPOINTMENTS_URL, {"view": "week", "day": monday.isoformat()})

    assert len(appointment_ids(response.context["agenda"])) == count
