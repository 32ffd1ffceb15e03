"""The sweep: due reminders planned at the configured time, moved and cancelled appointments, claims."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.tests.factories import ReceptionFactory
from medly.tests.tasks import run_queued_tasks
from records.models import ClinicDetails
from reminders import services
from reminders.models import Channel, Reminder, ReminderState
from reminders.tests.factories import appointment_in, phone_patient
from scheduling.models import Appointment, SlotStatus
from scheduling.services import cancel_appointment, reschedule_appointment
from scheduling.tests.factories import SlotFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _reminders_an_hour_ahead_to_files(settings, tmp_path):
    settings.REMINDER_MINUTES_BEFORE = 60
    settings.REMINDER_SMS_BACKEND = "reminders.backends.file.FileBackend"
    settings.REMINDER_WHATSAPP_BACKEND = "reminders.backends.file.FileBackend"
    settings.REMINDER_FILE_PATH = str(tmp_path)


def phone_lines(settings, channel="sms"):
    path = f"{settings.REMINDER_FILE_PATH}/{channel}.jsonl"
    try:
        with open(path) as lines:
            return [json.loads(line) for line in lines]
    except FileNotFoundError:
        return []


def test_it_sends_nothing_before_the_configured_time_and_everything_at_it(settings):
    later = appointment_in(61, patient=phone_patient())
    due = appointment_in(59, patient=phone_patient())

    assert services.send_due_reminders() == {ReminderState.SENT: 2}
    run_queued_tasks()

    assert not later.reminders.exists()
    assert {(r.channel, r.state) for r in due.reminders.all()} == {("email", "sent"), ("sms", "sent")}
    reminder = due.reminders.get(channel=Channel.SMS)
    assert reminder.due_at == due.starts_at - timedelta(minutes=60)
    assert [line["reminder_id"] for line in phone_lines(settings)] == [reminder.pk]
    assert [message.to for message in mail.outbox] == [[due.patient.email]]


def test_a_second_sweep_sends_nothing_again(settings):
    appointment_in(30, patient=phone_patient(whatsapp=True))
    services.send_due_reminders()

    assert services.send_due_reminders() == {}
    assert len(phone_lines(settings, "sms")) == 1
    assert len(phone_lines(settings, "whatsapp")) == 1
    assert Reminder.objects.filter(state=ReminderState.SENT).count() == 3


def test_a_patient_without_phone_consent_gets_only_the_email(settings):
    appointment_in(30, patient=phone_patient(sms=False))

    services.send_due_reminders()

    assert list(Reminder.objects.values_list("channel", flat=True)) == ["email"]
    assert phone_lines(settings) == []


def test_a_cancelled_appointment_gets_no_reminder_and_a_pending_one_is_skipped(settings):
    never_planned = appointment_in(30, patient=phone_patient())
    cancel_appointment(appointment_id=never_planned.pk, actor=ReceptionFactory())
    planned = appointment_in(45, patient=phone_patient())
    services.plan_due_reminders(now=timezone.now())
    cancel_appointment(appointment_id=planned.pk, actor=ReceptionFactory())

    assert services.send_due_reminders() == {}

    assert not never_planned.reminders.exists()
    assert set(planned.reminders.values_list("state", flat=True)) == {ReminderState.SKIPPED}
    assert planned.reminders.first().error == "The appointment is no longer scheduled."
    assert phone_lines(settings) == []


def test_a_moved_appointment_is_reminded_at_its_new_time(settings):
    appointment = appointment_in(30, patient=phone_patient())
    services.plan_due_reminders(now=timezone.now())
    later_slot = SlotFactory(
        doctor=appointment.doctor,
        starts_at=appointment.starts_at + timedelta(hours=3),
        ends_at=appointment.starts_at + timedelta(hours=3, minutes=30),
        status=SlotStatus.OPEN,
    )
    reschedule_appointment(appointment_id=appointment.pk, new_slot_id=later_slot.pk, actor=ReceptionFactory())

    assert services.send_due_reminders() == {}
    assert set(appointment.reminders.values_list("state", flat=True)) == {ReminderState.SKIPPED}

    two_hours_later = timezone.now() + timedelta(hours=2, minutes=31)
    services.send_due_reminders(now=two_hours_later)
    new = appointment.reminders.get(channel=Channel.SMS, appointment_starts_at=later_slot.starts_at)
    assert new.due_at == later_slot.starts_at - timedelta(minutes=60)
    # Due in the (simulated) future: planned, not yet claimable at the real time.
    assert new.state == ReminderState.PENDING


def test_a_move_to_a_time_already_inside_the_window_is_reminded_at_the_next_sweep(settings):
    appointment = appointment_in(50, patient=phone_patient())
    services.send_due_reminders()
    sooner_slot = SlotFactory(
        doctor=appointment.doctor,
        starts_at=appointment.starts_at - timedelta(minutes=20),
        ends_at=appointment.starts_at + timedelta(minutes=10),
        status=SlotStatus.OPEN,
    )
    reschedule_appointment(appointment_id=appointment.pk, new_slot_id=sooner_slot.pk, actor=ReceptionFactory())

    assert services.send_due_reminders() == {ReminderState.SENT: 2}

    assert len(phone_lines(settings)) == 2
    assert set(appointment.reminders.values_list("appointment_starts_at", "state")) == {
        (appointment.starts_at, ReminderState.SENT),
        (sooner_slot.starts_at, ReminderState.SENT),
    }


def test_a_claimed_reminder_cannot_be_claimed_again_until_its_claim_is_stale(settings):
    appointment_in(30, patient=phone_patient(sms=False))
    services.plan_due_reminders(now=timezone.now())
    reminder = Reminder.objects.get()

    assert services.claim(reminder.pk, now=timezone.now()) is True
    assert services.claim(reminder.pk, now=timezone.now()) is False
    assert services.send_due_reminders() == {}

    settings.REMINDER_CLAIM_TIMEOUT_SECONDS = 0
    assert services.send_due_reminders() == {ReminderState.SENT: 1}
    reminder.refresh_from_db()
    assert (reminder.state, reminder.attempts) == (ReminderState.SENT, 2)


def test_a_refusing_backend_leaves_the_reminder_failed_with_its_error(settings):
    settings.REMINDER_SMS_BACKEND = "reminders.backends.twilio.TwilioSMSBackend"
    settings.TWILIO_ACCOUNT_SID = ""
    appointment = appointment_in(30, patient=phone_patient())

    assert services.send_due_reminders() == {ReminderState.SENT: 1, ReminderState.FAILED: 1}

    failed = appointment.reminders.get(channel=Channel.SMS)
    assert failed.state == ReminderState.FAILED
    assert "TWILIO_ACCOUNT_SID" in failed.error


def test_a_withdrawn_consent_skips_the_phone_reminder(settings):
    patient = phone_patient()
    appointment_in(30, patient=patient)
    services.plan_due_reminders(now=timezone.now())
    services.set_phone_reminders(patient=patient, sms=False, whatsapp=False, recorded_by=patient)

    services.send_due_reminders()

    assert Reminder.objects.get(channel=Channel.SMS).state == ReminderState.SKIPPED
    assert phone_lines(settings) == []


@pytest.mark.parametrize(
    ("language", "greeting", "length"),
    [
        ("en", "This is a reminder of your appointment with", "(30 minutes)"),
        ("es-mx", "Le recordamos su cita con", "(30 minutos)"),
    ],
)
def test_the_email_reminder_is_html_and_text_in_the_patients_language(settings, language, greeting, length):
    ClinicDetails(name="Clínica Centro", address="Calle 60 #123, Mérida", legal_owner="X", phone="999 555 0101").save()
    appointment = appointment_in(30, patient=phone_patient(sms=False, language=language))

    services.send_due_reminders()
    run_queued_tasks()

    [message] = mail.outbox
    local = timezone.localtime(appointment.starts_at)
    html = message.alternatives[0].content
    for part in (message.body, html):
        assert greeting in part
        assert appointment.doctor.get_full_name() in part
        assert local.strftime("%H:%M") in part
        assert length in part
        assert "Clínica Centro" in part
        assert "999 555 0101" in part
    assert "Calle 60 #123, Mérida" in message.body
    assert message.to == [appointment.patient.email]


def test_a_claim_left_by_a_killed_worker_is_not_sent_once_the_appointment_has_begun(settings):
    appointment = appointment_in(30, patient=phone_patient(sms=False))
    services.plan_due_reminders(now=timezone.now())
    reminder = Reminder.objects.get()
    assert services.claim(reminder.pk, now=timezone.now())
    begun = timezone.now() - timedelta(minutes=1)
    Appointment.objects.filter(pk=appointment.pk).update(starts_at=begun)
    Reminder.objects.filter(pk=reminder.pk).update(appointment_starts_at=begun)
    settings.REMINDER_CLAIM_TIMEOUT_SECONDS = 0

    assert services.send_due_reminders() == {ReminderState.SKIPPED: 1}
    assert Reminder.objects.get().error == "The appointment had already begun."
    assert mail.outbox == []
