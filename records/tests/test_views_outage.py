"""The consultation page while the records store (MongoDB) is stopped: the doctor loses nothing."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from records import repository
from records.models import Operation, OperationState
from records.tests.helpers import appointment_with_record, encounters_of
from records.tests.view_helpers import (
    allergy_override,
    consultation_form,
    consultation_url,
    record_url,
    starting_today,
)
from scheduling.models import AppointmentStatus

pytestmark = pytest.mark.django_db

SAVED_SAFELY = "Your note is saved safely."


def test_with_the_records_store_stopped_the_note_is_kept_and_reaches_the_record_once_it_is_back(
    stoppable_mongo, settings
):
    settings.MONGO_TIMEOUT_MS = 500  # each request gives up on the stopped store sooner
    appointment = appointment_with_record(slot__starts_at=starting_today())
    doctor = Client(raise_request_exception=False)
    doctor.force_login(appointment.doctor)
    stoppable_mongo.stop()

    page = doctor.get(consultation_url(appointment))
    assert page.status_code == 200
    assert "The records store is not answering" in page.content.decode()

    # Allergies cannot be checked while the store is down: the doctor confirms before prescribing.
    form = consultation_form()
    unchecked = doctor.post(consultation_url(appointment), form)
    assert unchecked.status_code == 200
    assert "could not be checked" in unchecked.content.decode()
    assert not Operation.objects.exists()

    closed = doctor.post(
        consultation_url(appointment), {**form, **allergy_override(unchecked.content.decode())}, follow=True
    )

    assert closed.status_code == 200
    agenda = closed.content.decode()
    assert closed.redirect_chain[0][0].startswith("/appointments/")
    assert SAVED_SAFELY in agenda
    assert "waiting for the records store" in agenda
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CLOSING

    day = timezone.localtime(appointment.starts_at).date()
    assert "waiting for the records store" in doctor.get(f"/appointments/?day={day:%Y-%m-%d}").content.decode()

    unavailable = doctor.get(record_url(appointment.patient_id))
    assert unavailable.status_code == 503
    assert "Medly is temporarily unavailable" in unavailable.content.decode()
    assert "Traceback" not in unavailable.content.decode()

    stoppable_mongo.start()
    repository.ensure_indexes()
    repository.create_patient_record(patient_id=appointment.patient_id, blood_type="O+", allergies=["penicilina"])

    waiting = doctor.get(record_url(appointment.patient_id)).content.decode()
    assert "Closing — waiting for the records store" in waiting
    assert "Acute pharyngitis" in waiting
    assert "Paracetamol" in waiting

    call_command("reconcile", stdout=StringIO())

    final = doctor.get(record_url(appointment.patient_id)).content.decode()
    assert "waiting for the records store" not in final
    assert final.count("Acute pharyngitis") == 1
    assert "Printable prescription" in final
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED
    assert [e["state"] for e in encounters_of(appointment)] == ["final"]
    assert Operation.objects.get().state == OperationState.DONE
