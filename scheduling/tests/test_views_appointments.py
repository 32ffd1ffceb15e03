"""Changing an appointment from the site: cancel, move, no-show, check-in."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import PatientFactory, ReceptionFactory
from scheduling.models import Appointment, AppointmentStatus, Slot, SlotStatus
from scheduling.tests.factories import AppointmentFactory, SlotFactory
from scheduling.tests.helpers import days_ahead, shown_messages

pytestmark = pytest.mark.django_db

APPOINTMENTS_URL = reverse("scheduling:appointments")


def status_of(appointment):
    return Appointment.objects.get(pk=appointment.pk).status


def test_a_patient_cancels_and_the_slot_opens_again(client):
    appointment = AppointmentFactory()
    client.force_login(appointment.patient)

    response = client.post(reverse("scheduling:cancel", args=[appointment.pk]))

    assert response.status_code == 302
    assert response["Location"] == APPOINTMENTS_URL
    assert status_of(appointment) == AppointmentStatus.CANCELLED
    assert Slot.objects.get(pk=appointment.slot_id).status == SlotStatus.OPEN
    assert shown_messages(response) == ["The appointment was cancelled."]


def test_a_patient_too_close_to_the_start_is_told_to_call_and_nothing_changes(client):
    appointment = AppointmentFactory(slot__starts_at=timezone.now() + timedelta(hours=1))
    client.force_login(appointment.patient)

    response = client.post(reverse("scheduling:cancel", args=[appointment.pk]))

    assert response.status_code == 302
    assert status_of(appointment) == AppointmentStatus.SCHEDULED
    (message,) = shown_messages(response)
    assert "until 2 hours before" in message
    assert "call the clinic" in message


def test_the_doctor_cancels_within_the_cutoff(client):
    appointment = AppointmentFactory(slot__starts_at=timezone.now() + timedelta(hours=1))
    client.force_login(appointment.doctor)

    client.post(reverse("scheduling:cancel", args=[appointment.pk]))

    assert status_of(appointment) == AppointmentStatus.CANCELLED


def test_cancelling_returns_to_the_page_it_came_from(client):
    appointment = AppointmentFactory()
    client.force_login(ReceptionFactory())
    back = f"{APPOINTMENTS_URL}?day={timezone.localdate().isoformat()}"

    response = client.post(reverse("scheduling:cancel", args=[appointment.pk]), {"next": back})

    assert response["Location"] == back


def test_cancelling_never_redirects_off_site(client):
    appointment = AppointmentFactory()
    client.force_login(appointment.patient)

    response = client.post(reverse("scheduling:cancel", args=[appointment.pk]), {"next": "https://evil.example/"})

    assert response["Location"] == APPOINTMENTS_URL


def test_cancelling_twice_reports_an_error_the_second_time(client):
    appointment = AppointmentFactory()
    client.force_login(appointment.patient)
    client.post(reverse("scheduling:cancel", args=[appointment.pk]), follow=True)

    response = client.post(reverse("scheduling:cancel", args=[appointment.pk]))

    assert shown_messages(response) == ["Only scheduled appointments can be cancelled."]


def test_the_move_page_lists_the_doctors_other_free_slots_only(client):
    appointment = AppointmentFactory(slot__starts_at=days_ahead(2, 9))
    other_free = SlotFactory(doctor=appointment.doctor, starts_at=days_ahead(3, 11, 30))
    taken = AppointmentFactory(slot__doctor=appointment.doctor, slot__starts_at=days_ahead(3, 12)).slot
    elsewhere = SlotFactory(starts_at=days_ahead(3, 13))
    client.force_login(appointment.patient)

    response = client.get(reverse("scheduling:reschedule", args=[appointment.pk]))

    assert response.status_code == 200
    offered = {slot.pk for _, slots in response.context["days"] for slot in slots}
    assert offered == {other_free.pk}
    assert taken.pk not in offered and elsewhere.pk not in offered
    assert f'name="slot" value="{other_free.pk}"' in response.text


def test_a_patient_moves_an_appointment_in_one_post(client):
    appointment = AppointmentFactory()
    target = SlotFactory(doctor=appointment.doctor)
    client.force_login(appointment.patient)

    response = client.post(reverse("scheduling:reschedule", args=[appointment.pk]), {"slot": target.pk})

    assert response.status_code == 302
    assert response["Location"] == APPOINTMENTS_URL
    assert Appointment.objects.get(pk=appointment.pk).slot_id == target.pk
    assert Slot.objects.get(pk=appointment.slot_id).status == SlotStatus.OPEN
    assert shown_messages(response) == ["The appointment was moved."]


def test_moving_to_a_taken_slot_shows_the_refusal_and_changes_nothing(client):
    appointment = AppointmentFactory()
    taken = AppointmentFactory(slot__doctor=appointment.doctor).slot
    client.force_login(appointment.patient)

    response = client.post(reverse("scheduling:reschedule", args=[appointment.pk]), {"slot": taken.pk})

    assert response.status_code == 200
    assert "just been taken" in response.text
    assert Appointment.objects.get(pk=appointment.pk).slot_id == appointment.slot_id
    assert Slot.objects.get(pk=appointment.slot_id).status == SlotStatus.BOOKED


def test_a_move_without_a_slot_just_shows_the_page_again(client):
    appointment = AppointmentFactory()
    client.force_login(appointment.patient)

    response = client.post(reverse("scheduling:reschedule", args=[appointment.pk]), {"slot": "soon"})

    assert response.status_code == 200
    assert Appointment.objects.get(pk=appointment.pk).slot_id == appointment.slot_id


def test_the_doctor_marks_a_no_show_after_the_start(client):
    appointment = AppointmentFactory(slot__starts_at=timezone.now() - timedelta(minutes=15))
    client.force_login(appointment.doctor)

    response = client.post(reverse("scheduling:no_show", args=[appointment.pk]))

    assert response.status_code == 302
    assert status_of(appointment) == AppointmentStatus.NO_SHOW
    assert shown_messages(response) == [f"{appointment.patient.get_full_name()} is recorded as a no-show."]


def test_a_no_show_before_the_start_is_refused_with_a_message(client):
    appointment = AppointmentFactory(slot__starts_at=days_ahead(1, 9))
    client.force_login(appointment.doctor)

    response = client.post(reverse("scheduling:no_show", args=[appointment.pk]))

    assert status_of(appointment) == AppointmentStatus.SCHEDULED
    assert shown_messages(response) == ["A no-show can only be recorded once the appointment has started."]


def test_reception_checks_a_patient_in_from_the_clinic_day(client):
    appointment = AppointmentFactory()
    client.force_login(ReceptionFactory())

    response = client.post(reverse("scheduling:check_in", args=[appointment.pk]))

    assert response.status_code == 302
    assert Appointment.objects.get(pk=appointment.pk).checked_in_at is not None
    assert shown_messages(response) == [f"{appointment.patient.get_full_name()} is checked in."]


def test_another_patient_cannot_even_see_that_the_appointment_exists(client):
    appointment = AppointmentFactory()
    client.force_login(PatientFactory())

    for name in ("cancel", "reschedule"):
        assert client.post(reverse(f"scheduling:{name}", args=[appointment.pk])).status_code == 404
    assert client.get(reverse("scheduling:reschedule", args=[appointment.pk])).status_code == 404
    assert status_of(appointment) == AppointmentStatus.SCHEDULED


def test_an_unknown_appointment_is_404(client):
    client.force_login(ReceptionFactory())

    assert client.post(reverse("scheduling:cancel", args=[424242])).status_code == 404
