"""The patient's reminder page (GET,POST /me/reminders/) and the reminder states reception sees."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import DoctorFactory, PatientFactory, ReceptionFactory
from reminders.models import Channel, Reminder, ReminderConsent, ReminderState
from scheduling.tests.factories import AppointmentFactory
from scheduling.tests.helpers import local

pytestmark = pytest.mark.django_db

URL = "/me/reminders/"


def test_the_route_is_the_contracts():
    assert reverse("reminders:mine") == URL


def test_a_patient_with_a_phone_opts_in_and_the_time_is_recorded(client):
    patient = PatientFactory(phone="+529991234567")
    client.force_login(patient)
    before = timezone.now()

    response = client.post(URL, {"sms": "on"})

    assert response.status_code == 302
    consent = ReminderConsent.objects.get(patient=patient)
    assert consent.sms_reminders_opt_in_at >= before
    assert consent.whatsapp_reminders_opt_in_at is None
    assert consent.recorded_by == patient
    assert "SMS reminders accepted on" in client.get(URL).text


def test_opting_in_again_keeps_the_first_consent_time_and_opting_out_clears_it(client):
    patient = PatientFactory(phone="+529991234567")
    client.force_login(patient)
    client.post(URL, {"sms": "on"})
    first = ReminderConsent.objects.get(patient=patient).sms_reminders_opt_in_at

    client.post(URL, {"sms": "on", "whatsapp": "on"})
    consent = ReminderConsent.objects.get(patient=patient)
    assert consent.sms_reminders_opt_in_at == first
    assert consent.whatsapp_reminders_opt_in_at is not None

    client.post(URL, {})
    consent.refresh_from_db()
    assert (consent.sms_reminders_opt_in_at, consent.whatsapp_reminders_opt_in_at) == (None, None)


def test_a_patient_without_a_phone_is_told_to_add_one_and_nothing_is_recorded(client):
    client.force_login(PatientFactory(phone=""))

    response = client.post(URL, {"whatsapp": "on"})

    assert response.status_code == 200
    assert "Add your phone number to your profile first." in response.text
    assert not ReminderConsent.objects.exists()


@pytest.mark.parametrize("role_factory", [DoctorFactory, ReceptionFactory])
def test_only_patients_have_the_page(client, role_factory):
    client.force_login(role_factory())

    assert client.get(URL).status_code == 403
    assert client.post(URL, {"sms": "on"}).status_code == 403


def test_anonymous_visitors_go_to_the_login_page(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_reception_sees_each_reminders_state_and_the_due_time_of_unplanned_ones(client, settings):
    settings.REMINDER_MINUTES_BEFORE = 120
    client.force_login(ReceptionFactory())
    day = timezone.localdate() + timedelta(days=2)
    reminded = AppointmentFactory(slot__starts_at=local(day, 9))
    unplanned = AppointmentFactory(slot__starts_at=local(day, 10))
    Reminder.objects.create(
        appointment=reminded,
        channel=Channel.EMAIL,
        appointment_starts_at=reminded.starts_at,
        due_at=reminded.starts_at - timedelta(hours=2),
        state=ReminderState.SENT,
    )
    Reminder.objects.create(
        appointment=reminded,
        channel=Channel.SMS,
        appointment_starts_at=reminded.starts_at,
        due_at=reminded.starts_at - timedelta(hours=2),
        state=ReminderState.FAILED,
        error="21211: not a valid number",
    )

    response = client.get(reverse("desk:day"), {"date": day.isoformat()})

    assert "Email: Sent" in response.text
    assert "SMS: Failed" in response.text
    assert 'title="21211: not a valid number"' in response.text
    due = timezone.localtime(unplanned.starts_at - timedelta(hours=2))
    assert f"due {due:%-d %b %H:%M}" in response.text


def test_the_reminder_column_adds_no_query_per_appointment(client):
    client.force_login(ReceptionFactory())
    day = timezone.localdate() + timedelta(days=2)

    def queries_with(count):
        for hour in range(8, 8 + count):
            appointment = AppointmentFactory(slot__starts_at=local(day, hour))
            Reminder.objects.create(
                appointment=appointment,
                channel=Channel.EMAIL,
                appointment_starts_at=appointment.starts_at,
                due_at=appointment.starts_at - timedelta(days=1),
            )
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("desk:day"), {"date": day.isoformat()}).status_code == 200
        return len(captured)

    assert queries_with(1) == queries_with(4)


def test_patients_find_the_page_in_the_navigation_and_staff_do_not(client):
    client.force_login(PatientFactory())
    assert f'href="{URL}"' in client.get("/").content.decode()

    client.force_login(ReceptionFactory())
    assert f'href="{URL}"' not in client.get("/").content.decode()
