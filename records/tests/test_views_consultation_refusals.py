"""Whenever a consultation POST cannot close, the page comes back with everything typed and the reason.

And opening the page (a GET) is what tells staff that the doctor may be
writing: from then on reception can no longer cancel it or mark a no-show.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from accounts.tests.factories import ReceptionFactory
from records import coordinator, repository
from records import services as records_services
from records.models import Operation
from records.tests.helpers import appointment_with_record, consultation_payload, encounters_of
from records.tests.view_helpers import consultation_form, consultation_url, record_url, shown_messages
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import cancel_appointment, mark_no_show

pytestmark = pytest.mark.django_db

TYPED = {
    "diagnosis": "Amigdalitis aguda por estreptococo",
    "temperature_c": "39.4",
    "notes": "Regresar si persiste la fiebre.",
}


@pytest.fixture
def appointment():
    return appointment_with_record(slot__starts_at=datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10))


@pytest.fixture
def doctor_client(client, appointment):
    client.force_login(appointment.doctor)
    return client


def assert_the_note_is_redrawn(response, *, diagnosis=TYPED["diagnosis"]):
    assert response.status_code == 200
    page = response.content.decode()
    if diagnosis:
        assert f'value="{diagnosis}"' in page
    assert 'value="39.4"' in page, "a vital sign typed by the doctor"
    assert "Regresar si persiste la fiebre." in page
    assert 'value="Paracetamol"' in page and 'value="Loratadina"' in page, "every prescription line"
    assert 'value="every 24 hours"' in page
    assert 'name="rx-TOTAL_FORMS" value="2"' in page
    return page


def test_opening_the_page_records_that_the_doctor_has_it_open_once(doctor_client, appointment):
    doctor_client.get(consultation_url(appointment))
    first = Appointment.objects.get(pk=appointment.pk).consultation_opened_at
    doctor_client.get(consultation_url(appointment))

    assert first is not None
    assert Appointment.objects.get(pk=appointment.pk).consultation_opened_at == first


def test_a_redraw_does_not_count_as_opening(doctor_client, appointment):
    doctor_client.post(consultation_url(appointment), consultation_form(add_line="1"))

    assert Appointment.objects.get(pk=appointment.pk).consultation_opened_at is None


def test_once_the_doctor_has_opened_it_reception_is_told_and_cannot_mark_a_no_show_or_cancel(
    client, doctor_client, appointment
):
    doctor_client.get(consultation_url(appointment))
    client.force_login(ReceptionFactory())

    no_show = client.post(reverse("scheduling:no_show", args=[appointment.pk]))
    cancel = client.post(reverse("scheduling:cancel", args=[appointment.pk]))

    assert no_show.status_code == cancel.status_code == 302
    (no_show_message,) = shown_messages(no_show)
    assert no_show_message.startswith("The doctor has opened this consultation and may be writing the note")
    cancel_message = shown_messages(cancel)[-1]  # the no-show's message has not been shown yet either
    assert cancel_message.startswith("The doctor has opened this consultation and may be writing the note")
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.SCHEDULED


def test_a_note_posted_after_a_no_show_is_redrawn_with_the_reason(doctor_client, appointment):
    mark_no_show(appointment_id=appointment.pk, actor=ReceptionFactory())

    response = doctor_client.post(consultation_url(appointment), consultation_form(**TYPED))

    page = assert_the_note_is_redrawn(response)
    assert "This appointment has been marked as a no-show, so the note below was not saved." in page
    assert not Operation.objects.exists()


def test_a_note_posted_after_a_cancel_is_redrawn_with_the_reason(doctor_client, appointment):
    cancel_appointment(appointment_id=appointment.pk, actor=ReceptionFactory())

    response = doctor_client.post(consultation_url(appointment), consultation_form(**TYPED))

    page = assert_the_note_is_redrawn(response)
    assert "This appointment has been cancelled, so the note below was not saved." in page


def test_a_second_tab_is_told_it_is_already_closed_and_still_shows_what_it_typed(doctor_client, appointment):
    first = doctor_client.post(consultation_url(appointment), consultation_form())

    second = doctor_client.post(consultation_url(appointment), consultation_form(**TYPED))

    assert first.status_code == 302
    page = assert_the_note_is_redrawn(second)
    assert "This consultation is already closed, from another tab or window." in page
    assert f'href="{record_url(appointment.patient_id)}"' in page
    (encounter,) = encounters_of(appointment)
    assert (
        repository.get_encounter(encounter_id=encounter["id"], patient_id=appointment.patient_id)["diagnosis"]
        == "Acute pharyngitis"
    )


def change_it_just_before_the_close(monkeypatch, change):
    """Patch point: the moment between the view reading the appointment and the coordinator locking it."""
    check_allergies = records_services.allergy_warnings

    def change_then_check(*args, **kwargs):
        change()
        return check_allergies(*args, **kwargs)

    monkeypatch.setattr(records_services, "allergy_warnings", change_then_check)


def test_a_close_racing_another_tab_is_redrawn_not_lost(monkeypatch, doctor_client, appointment):
    change_it_just_before_the_close(
        monkeypatch,
        lambda: coordinator.close_consultation(
            appointment_id=appointment.pk, doctor=appointment.doctor, payload=consultation_payload()
        ),
    )

    response = doctor_client.post(consultation_url(appointment), consultation_form(**TYPED))

    page = assert_the_note_is_redrawn(response)
    assert "This consultation is already closed, from another tab or window." in page
    assert len(encounters_of(appointment)) == 1


def test_a_close_racing_a_no_show_is_redrawn_not_lost(monkeypatch, doctor_client, appointment):
    change_it_just_before_the_close(
        monkeypatch, lambda: mark_no_show(appointment_id=appointment.pk, actor=ReceptionFactory())
    )

    response = doctor_client.post(consultation_url(appointment), consultation_form(**TYPED))

    page = assert_the_note_is_redrawn(response)
    assert "marked as a no-show" in page
    assert not Operation.objects.exists()


def test_a_note_the_records_store_refuses_is_redrawn_with_the_reason(doctor_client, appointment):
    # The store already holds another encounter for this appointment: its unique index refuses the new one.
    stray = {
        **consultation_payload(),
        "appointment_id": appointment.pk,
        "patient_id": appointment.patient_id,
        "doctor_id": appointment.doctor_id,
        "author": {"id": appointment.doctor_id, "name": "x"},
        "created_at": datetime.now(UTC),
        "addenda": [],
    }
    repository.insert_pending_encounter(encounter_id=repository.new_encounter_id(), document=stray)

    response = doctor_client.post(consultation_url(appointment), consultation_form(**TYPED))

    page = assert_the_note_is_redrawn(response)
    assert "The records store refused this note. Nothing was saved; please check it." in page
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.SCHEDULED


def test_a_note_that_fails_validation_is_redrawn_with_every_field(doctor_client, appointment):
    response = doctor_client.post(consultation_url(appointment), consultation_form(**{**TYPED, "diagnosis": ""}))

    page = assert_the_note_is_redrawn(response, diagnosis=None)
    assert "This field is required." in page
    assert not Operation.objects.exists()


def test_opening_a_no_show_says_so_and_offers_the_agenda(doctor_client, appointment):
    mark_no_show(appointment_id=appointment.pk, actor=ReceptionFactory())

    response = doctor_client.get(consultation_url(appointment))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("scheduling:appointments") + "?day=")
    assert shown_messages(response) == [
        "This appointment is marked as a no-show. If the patient did come, undo the no-show first."
    ]
    assert Appointment.objects.get(pk=appointment.pk).consultation_opened_at is None
