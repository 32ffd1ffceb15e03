"""The worker builds the appointment mails: from the request's ids and facts, as things were at the change."""

from datetime import datetime

import pytest
from django.core import mail
from django.db import transaction
from django_tasks_db.models import DBTaskResult
from icalendar import Calendar

from accounts.tests.factories import DoctorFactory, PatientFactory, ReceptionFactory
from medly.tests.tasks import run_queued_tasks
from medly.tests.test_mail import RefusingBackend
from scheduling.models import Appointment
from scheduling.services import book_slot, cancel_appointment, reschedule_appointment
from scheduling.tests.factories import AppointmentFactory, SlotFactory
from scheduling.tests.helpers import days_ahead

# The worker runs in this process (run_queued_tasks), outside any test transaction.
pytestmark = pytest.mark.django_db(transaction=True)

MAIL_TASK = "scheduling.notifications.send_appointment_mail"


def starts_of(message):
    (attachment,) = message.attachments
    (event,) = Calendar.from_ical(attachment[1]).walk("VEVENT")
    return event.decoded("dtstart")


def test_the_request_queues_only_ids_and_facts_not_the_message():
    patient = PatientFactory()
    slot = SlotFactory(starts_at=days_ahead(3, 9))

    appointment = book_slot(patient=patient, slot_id=slot.pk)

    (queued,) = DBTaskResult.objects.all()
    assert queued.task_path == MAIL_TASK
    facts = queued.args_kwargs["kwargs"]
    assert set(facts) == {"appointment_id", "kind", "sequence", "starts_at", "ends_at"}
    assert (facts["appointment_id"], facts["kind"], facts["sequence"]) == (appointment.pk, "booked", 0)
    assert datetime.fromisoformat(facts["starts_at"]) == slot.starts_at
    assert datetime.fromisoformat(facts["ends_at"]) == slot.ends_at
    assert mail.outbox == []


def test_a_booking_cancelled_before_the_worker_ran_gets_only_the_cancellation():
    patient = PatientFactory()
    appointment = book_slot(patient=patient, slot_id=SlotFactory().pk)
    cancel_appointment(appointment_id=appointment.pk, actor=ReceptionFactory())

    run_queued_tasks()

    (message,) = mail.outbox
    assert message.subject == "Your Medly appointment was cancelled"
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists(), "the skipped mail is done, not failed"


def test_the_doctors_notice_of_a_booking_cancelled_before_the_worker_ran_is_not_sent():
    doctor = DoctorFactory()
    doctor.doctor_profile.notify_on_booking = True
    doctor.doctor_profile.save()
    patient = PatientFactory()
    appointment = book_slot(patient=patient, slot_id=SlotFactory(doctor=doctor).pk)
    cancel_appointment(appointment_id=appointment.pk, actor=ReceptionFactory())

    run_queued_tasks()

    assert [message.to for message in mail.outbox] == [[patient.email]]


def test_each_mail_tells_the_times_of_its_own_moment_when_the_worker_runs_after_two_moves():
    patient = PatientFactory()
    first = SlotFactory(starts_at=days_ahead(2, 9))
    second = SlotFactory(doctor=first.doctor, starts_at=days_ahead(3, 12))
    third = SlotFactory(doctor=first.doctor, starts_at=days_ahead(4, 16))
    appointment = book_slot(patient=patient, slot_id=first.pk)
    reschedule_appointment(appointment_id=appointment.pk, new_slot_id=second.pk, actor=patient)
    reschedule_appointment(appointment_id=appointment.pk, new_slot_id=third.pk, actor=patient)

    run_queued_tasks()

    booked_first = "Your Medly appointment is booked"
    sent = sorted(mail.outbox, key=lambda message: (message.subject != booked_first, starts_of(message)))
    assert [message.subject for message in sent] == [
        "Your Medly appointment is booked",
        "Your Medly appointment was moved",
        "Your Medly appointment was moved",
    ]
    assert [starts_of(message) for message in sent] == [first.starts_at, second.starts_at, third.starts_at]
    assert "12:00" in sent[1].body and "16:00" in sent[2].body


def test_a_move_of_an_appointment_cancelled_before_the_worker_ran_is_not_sent():
    appointment = AppointmentFactory(slot__starts_at=days_ahead(2, 9))
    new_slot = SlotFactory(doctor=appointment.doctor, starts_at=days_ahead(3, 9))
    reschedule_appointment(appointment_id=appointment.pk, new_slot_id=new_slot.pk, actor=appointment.patient)
    cancel_appointment(appointment_id=appointment.pk, actor=appointment.doctor)

    run_queued_tasks()

    assert [message.subject for message in mail.outbox] == ["Your Medly appointment was cancelled"]


def test_the_cancellation_says_who_cancelled_at_that_moment_whatever_changed_since():
    appointment = AppointmentFactory()
    cancel_appointment(appointment_id=appointment.pk, actor=appointment.doctor)
    Appointment.objects.filter(pk=appointment.pk).update(cancelled_by=appointment.patient)

    run_queued_tasks()

    (message,) = mail.outbox
    assert "Your appointment was cancelled by your doctor" in message.body


def test_the_doctor_who_stopped_notices_before_the_worker_ran_is_not_told_of_a_cancellation():
    doctor = DoctorFactory()
    doctor.doctor_profile.notify_on_booking = True
    doctor.doctor_profile.save()
    appointment = AppointmentFactory(slot__doctor=doctor)
    cancel_appointment(appointment_id=appointment.pk, actor=appointment.patient)
    doctor.doctor_profile.notify_on_booking = False
    doctor.doctor_profile.save()

    run_queued_tasks()

    assert [message.to for message in mail.outbox] == [[appointment.patient.email]]


def test_a_patient_without_an_address_gets_nothing_and_the_task_succeeds():
    patient = PatientFactory(email="")
    appointment = book_slot(patient=patient, slot_id=SlotFactory().pk, booked_by=ReceptionFactory())
    cancel_appointment(appointment_id=appointment.pk, actor=ReceptionFactory())

    run_queued_tasks()

    assert mail.outbox == []
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_the_mail_of_a_deleted_appointment_is_dropped():
    appointment = book_slot(patient=PatientFactory(), slot_id=SlotFactory().pk)
    Appointment.objects.filter(pk=appointment.pk).delete()

    run_queued_tasks()

    assert mail.outbox == []
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


def test_a_failed_send_is_retried_with_the_message_as_built(settings):
    settings.MAILERS = {"default": {"BACKEND": f"{RefusingBackend.__module__}.RefusingBackend"}}
    patient = PatientFactory(email="ana@example.test")
    with transaction.atomic():
        book_slot(patient=patient, slot_id=SlotFactory().pk)

    run_queued_tasks()

    (retry,) = DBTaskResult.objects.filter(task_path="medly.mail.send_email")
    message = retry.args_kwargs["kwargs"]
    assert (message["to"], message["subject"], message["attempt"]) == (
        ["ana@example.test"],
        "Your Medly appointment is booked",
        2,
    )
    assert message["attachments"][0][0].endswith(".ics") and "BEGIN:VCALENDAR" in message["attachments"][0][1]
    assert retry.status == "READY" and retry.run_after is not None
