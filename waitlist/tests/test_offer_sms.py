"""Patients who accepted SMS reminders get their waitlist offer by SMS too, once, from the worker."""

import json

import pytest
from django.utils import timezone

from medly.tests.tasks import run_queued_tasks
from reminders.services import set_phone_reminders
from scheduling import services as scheduling_services
from waitlist import services
from waitlist.models import WaitlistOffer
from waitlist.tests.helpers import booked_slot, waiting

pytestmark = pytest.mark.django_db(transaction=True)  # the SMS task is enqueued on commit


@pytest.fixture
def texts(settings, tmp_path):
    settings.REMINDER_SMS_BACKEND = "reminders.backends.file.FileBackend"
    settings.REMINDER_FILE_PATH = str(tmp_path)

    def sent():
        path = tmp_path / "sms.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    return sent


def offer_to(entry, appointment):
    scheduling_services.cancel_appointment(appointment_id=appointment.pk, actor=appointment.patient)
    offer = services.offer_slot(appointment.slot_id)
    assert offer.entry == entry
    return offer


def test_an_opted_in_patient_gets_the_offer_by_sms_in_their_language(texts):
    appointment = booked_slot(hour=10)
    entry = waiting(appointment.doctor, phone="+52 999 123 4567", language="es-mx")
    set_phone_reminders(patient=entry.patient, sms=True, whatsapp=False, recorded_by=entry.patient)

    offer = offer_to(entry, appointment)
    run_queued_tasks()

    [message] = texts()
    assert message["to"] == "+52 999 123 4567"
    assert appointment.doctor.get_full_name() in message["body"]
    assert message["body"].startswith("Medly: tiene apartado un horario")
    assert "/waitlist/" in message["body"]
    offer.refresh_from_db()
    assert offer.sms_sent_at is not None


def test_a_patient_who_did_not_opt_in_gets_only_the_email(texts):
    appointment = booked_slot(hour=10)
    entry = waiting(appointment.doctor, phone="+52 999 123 4567")

    offer_to(entry, appointment)
    run_queued_tasks()

    assert texts() == []


def test_the_sms_leaves_once_even_when_its_task_runs_again(texts):
    appointment = booked_slot(hour=10)
    entry = waiting(appointment.doctor, phone="+52 999 123 4567")
    set_phone_reminders(patient=entry.patient, sms=True, whatsapp=False, recorded_by=entry.patient)
    offer = offer_to(entry, appointment)
    run_queued_tasks()

    assert services.send_offer_sms(offer.pk) is False
    assert len(texts()) == 1


def test_an_offer_that_ended_before_the_worker_got_to_it_is_not_texted(texts):
    appointment = booked_slot(hour=10)
    entry = waiting(appointment.doctor, phone="+52 999 123 4567")
    set_phone_reminders(patient=entry.patient, sms=True, whatsapp=False, recorded_by=entry.patient)
    offer = offer_to(entry, appointment)
    WaitlistOffer.objects.filter(pk=offer.pk).update(held_until=timezone.now())

    run_queued_tasks()

    assert texts() == []
