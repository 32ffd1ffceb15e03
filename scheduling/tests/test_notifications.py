"""Appointment mail: queued on commit, built and sent by the worker in the patient's language."""

import socket
import threading
import time

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import formats, timezone, translation
from django_tasks_db.models import DBTaskResult
from icalendar import Calendar

from accounts.models import User
from accounts.tests.factories import DoctorFactory, PatientFactory, ReceptionFactory
from accounts.tests.test_registration import REGISTER_URL, registration_data
from medly.tests.tasks import run_queued_tasks
from records.models import ClinicDetails
from scheduling.calendar import appointment_uid
from scheduling.models import Appointment
from scheduling.services import book_slot, cancel_appointment, reschedule_appointment
from scheduling.tests.factories import AppointmentFactory, SlotFactory
from scheduling.tests.helpers import days_ahead

# The worker runs in this process (run_queued_tasks), outside any test transaction.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def clinic():
    return ClinicDetails.objects.create(
        pk=1,
        name="Clínica Ceiba",
        address="Calle 60 #123\nCentro, Mérida, Yucatán",
        legal_owner="Ceiba SC",
        phone="+52 999 123 4567",
    )


def sent_after(action, django_capture_on_commit_callbacks):
    """Run ``action`` as a committed transaction, then the worker; the messages it sent."""
    with django_capture_on_commit_callbacks(execute=True):
        result = action()
    run_queued_tasks()
    return result, list(mail.outbox)


def html_of(message):
    (alternative,) = message.alternatives
    assert alternative.mimetype == "text/html"
    return alternative.content


def calendar_of(message):
    (attachment,) = message.attachments
    filename, content, mimetype = attachment
    assert filename.endswith(".ics") and mimetype == "text/calendar"
    return Calendar.from_ical(content)


def event_of(message):
    (event,) = calendar_of(message).walk("VEVENT")
    return event


@pytest.mark.parametrize(
    ("language", "subject", "expected"),
    [
        (
            "en",
            "Your Medly appointment is booked",
            ["Hello Ana,", "Your appointment is booked.", "30 minutes", "See your appointment"],
        ),
        (
            "es-mx",
            "Su cita en Medly quedó agendada",
            ["Hola, Ana:", "Su cita quedó agendada.", "30 minutos", "Ver su cita"],
        ),
    ],
)
def test_the_confirmation_has_every_detail_in_the_patients_language_and_the_ics(
    settings, clinic, django_capture_on_commit_callbacks, language, subject, expected
):
    settings.SITE_URL = "https://citas.ceiba.mx"
    patient = PatientFactory(first_name="Ana", email="ana@example.test", language=language)
    doctor = DoctorFactory(first_name="José", last_name="Pérez")
    slot = SlotFactory(doctor=doctor, starts_at=days_ahead(3, 11), ends_at=days_ahead(3, 11, 30))

    appointment, [message] = sent_after(
        lambda: book_slot(patient=patient, slot_id=slot.pk), django_capture_on_commit_callbacks
    )

    assert message.to == ["ana@example.test"]
    assert message.subject == subject
    local_day = timezone.localtime(appointment.starts_at).date()
    with translation.override(language):
        day = formats.date_format(local_day, "DATE_FORMAT")
    for body in (message.body, html_of(message)):
        for text in expected:
            assert text in body
        assert "José Pérez" in body
        assert "11:00" in body, "clinic time"
        assert "Clínica Ceiba" in body and "Calle 60 #123" in body and "+52 999 123 4567" in body
        assert f"https://citas.ceiba.mx/appointments/#appointment-{appointment.pk}" in body
        assert day in body
    assert "<script" not in html_of(message)
    event = event_of(message)
    assert str(event["uid"]) == appointment_uid(appointment)
    assert event.decoded("dtstart") == appointment.starts_at
    assert event.decoded("dtend") == appointment.ends_at
    assert str(event["status"]) == "CONFIRMED"
    summary = "Appointment with José Pérez" if language == "en" else "Cita con José Pérez"
    assert str(event["summary"]) == summary
    assert "Clínica Ceiba" in str(event["location"])


def test_a_spanish_patient_reads_the_date_in_spanish(clinic, django_capture_on_commit_callbacks):
    patient = PatientFactory(language="es-mx")
    slot = SlotFactory(starts_at=days_ahead(3, 9))

    _, [message] = sent_after(lambda: book_slot(patient=patient, slot_id=slot.pk), django_capture_on_commit_callbacks)

    spanish_months = (
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    )
    assert spanish_months[timezone.localtime(slot.starts_at).month - 1] in message.body.lower()
    assert "Médico: " in message.body and "Duración: 30 minutos" in message.body


def test_a_move_sends_the_new_time_with_an_updated_event(clinic, django_capture_on_commit_callbacks):
    appointment = AppointmentFactory(slot__starts_at=days_ahead(2, 9))
    new_slot = SlotFactory(doctor=appointment.doctor, starts_at=days_ahead(4, 16))

    _, [message] = sent_after(
        lambda: reschedule_appointment(
            appointment_id=appointment.pk, new_slot_id=new_slot.pk, actor=appointment.patient
        ),
        django_capture_on_commit_callbacks,
    )

    assert message.subject == "Your Medly appointment was moved"
    assert "16:00" in message.body
    event = event_of(message)
    assert str(event["uid"]) == appointment_uid(appointment), "the calendar updates the event it has"
    assert event.decoded("dtstart") == new_slot.starts_at
    assert event["sequence"] > 0


@pytest.mark.parametrize(
    ("who", "sentence"),
    [
        ("patient", "You cancelled your appointment."),
        ("doctor", "Your appointment was cancelled by your doctor, Itzel Chablé."),
        ("reception", "Your appointment was cancelled by the clinic."),
    ],
)
def test_the_cancellation_says_who_cancelled(clinic, django_capture_on_commit_callbacks, who, sentence):
    appointment = AppointmentFactory(
        slot__doctor=DoctorFactory(first_name="Itzel", last_name="Chablé"), slot__starts_at=days_ahead(5, 10)
    )
    actor = {"patient": appointment.patient, "doctor": appointment.doctor, "reception": ReceptionFactory()}[who]

    _, [message] = sent_after(
        lambda: cancel_appointment(appointment_id=appointment.pk, actor=actor), django_capture_on_commit_callbacks
    )

    assert message.subject == "Your Medly appointment was cancelled"
    assert sentence in message.body
    assert sentence in html_of(message)
    calendar = calendar_of(message)
    assert str(calendar["method"]) == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert str(event["status"]) == "CANCELLED"


def test_the_spanish_cancellation_names_the_clinic(clinic, django_capture_on_commit_callbacks):
    appointment = AppointmentFactory(patient__language="es-mx")

    _, [message] = sent_after(
        lambda: cancel_appointment(appointment_id=appointment.pk, actor=ReceptionFactory()),
        django_capture_on_commit_callbacks,
    )

    assert message.subject == "Su cita en Medly fue cancelada"
    assert "La clínica canceló su cita." in message.body


# --- the language a patient is written in ----------------------------------------


def test_sign_up_remembers_the_language_of_the_page(client):
    client.post(REGISTER_URL, registration_data(), HTTP_ACCEPT_LANGUAGE="es-MX")

    assert User.objects.get().language == "es-mx"


def test_booking_remembers_the_language_of_the_page(client, django_capture_on_commit_callbacks):
    patient = PatientFactory(language="en")
    slot = SlotFactory()
    client.force_login(patient)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("scheduling:book", args=[slot.pk]), HTTP_ACCEPT_LANGUAGE="es-MX")
    run_queued_tasks()

    assert User.objects.get(pk=patient.pk).language == "es-mx"
    (message,) = mail.outbox
    assert message.subject == "Su cita en Medly quedó agendada"


# --- SMTP that never answers ----------------------------------------------------


class SilentSMTPServer:
    """Accepts TCP connections and never says a word: the worst mail server there is."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.connections = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections.append(connection)

    def close(self):
        self.socket.close()
        for connection in self.connections:
            connection.close()


@pytest.fixture
def silent_smtp(settings):
    server = SilentSMTPServer()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": server.port, "timeout": 10},
        }
    }
    yield server
    server.close()


@pytest.mark.django_db(transaction=True)
def test_a_booking_answers_at_once_while_smtp_never_answers_and_the_mail_waits_in_the_task_table(client, silent_smtp):
    patient = PatientFactory()
    slot = SlotFactory()
    client.force_login(patient)

    started = time.monotonic()
    response = client.post(reverse("scheduling:book", args=[slot.pk]))
    elapsed = time.monotonic() - started

    assert response.status_code == 302
    assert Appointment.objects.filter(patient=patient, slot=slot).exists()
    assert elapsed < 3, f"the booking took {elapsed:.1f}s: it waited for SMTP (timeout 10s)"
    assert silent_smtp.connections == [], "the request never talks to the mail server"
    (queued,) = DBTaskResult.objects.all()
    assert queued.task_path == "scheduling.notifications.send_appointment_mail"
    assert queued.status == "READY"
    assert queued.args_kwargs["kwargs"]["appointment_id"] == Appointment.objects.get(patient=patient).pk


# --- the doctor's notices --------------------------------------------------------


def doctor_with_notices(**profile):
    doctor = DoctorFactory(first_name="Itzel", last_name="Chablé")
    for field, value in profile.items():
        setattr(doctor.doctor_profile, field, value)
    doctor.doctor_profile.save()
    return doctor


def test_a_doctor_who_asked_is_told_when_a_patient_books_online(clinic, django_capture_on_commit_callbacks):
    doctor = doctor_with_notices(notify_on_booking=True)
    patient = PatientFactory(first_name="Ana", last_name="Pech")
    slot = SlotFactory(doctor=doctor, starts_at=days_ahead(2, 12))

    _, messages = sent_after(lambda: book_slot(patient=patient, slot_id=slot.pk), django_capture_on_commit_callbacks)

    notice = next(message for message in messages if message.to == [doctor.email])
    assert notice.subject == "New appointment: Ana Pech"
    assert "Ana Pech booked an appointment with you online." in notice.body
    assert "12:00" in notice.body
    assert [message.to for message in messages] == [[patient.email], [doctor.email]]


def test_a_doctor_who_asked_is_told_when_a_patient_cancels_online(clinic, django_capture_on_commit_callbacks):
    doctor = doctor_with_notices(notify_on_booking=True)
    appointment = AppointmentFactory(slot__doctor=doctor, patient__first_name="Ana", patient__last_name="Pech")

    _, messages = sent_after(
        lambda: cancel_appointment(appointment_id=appointment.pk, actor=appointment.patient),
        django_capture_on_commit_callbacks,
    )

    assert [message.to for message in messages] == [[appointment.patient.email], [doctor.email]]
    assert "Ana Pech cancelled their appointment with you online." in messages[1].body


def test_no_notice_when_the_doctor_did_not_ask_or_the_clinic_booked(clinic, django_capture_on_commit_callbacks):
    quiet = doctor_with_notices(notify_on_booking=False)
    asked = doctor_with_notices(notify_on_booking=True)
    patient = PatientFactory()

    def book_both():
        book_slot(patient=patient, slot_id=SlotFactory(doctor=quiet, starts_at=days_ahead(2, 9)).pk)
        book_slot(
            patient=patient,
            slot_id=SlotFactory(doctor=asked, starts_at=days_ahead(3, 9)).pk,
            booked_by=ReceptionFactory(),
        )

    _, messages = sent_after(book_both, django_capture_on_commit_callbacks)

    assert [message.to for message in messages] == [[patient.email], [patient.email]]
