"""The agenda and the clinic day: buttons follow scheduling/permissions.py, and a no-show can be undone."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AdminFactory, PatientFactory, ReceptionFactory
from records.models import AuditEvent
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import mark_no_show, open_consultation
from scheduling.tests.factories import AppointmentFactory
from scheduling.tests.helpers import shown_messages

pytestmark = pytest.mark.django_db

TODAY_URL = reverse("scheduling:appointments")


def started(**kwargs):
    return AppointmentFactory(slot__starts_at=timezone.now().replace(microsecond=0) - timedelta(minutes=10), **kwargs)


def day_of(appointment):
    """The agenda (or clinic day) that lists ``appointment``: robust when a test runs just after midnight."""
    return f"{TODAY_URL}?day={timezone.localdate(appointment.starts_at).isoformat()}"


def form_action(name, appointment):
    return f'action="{reverse(f"scheduling:{name}", args=[appointment.pk])}"'


def desk_step(name, appointment):
    """The desk's link to the confirmation page of ``name``."""
    return f'href="{reverse(f"desk:confirm_{name}", args=[appointment.pk])}"'


def test_reception_sees_cancel_and_no_show_until_the_doctor_opens_the_consultation(client):
    appointment = started()
    client.force_login(ReceptionFactory())

    before = client.get(day_of(appointment), follow=True).text
    open_consultation(appointment_id=appointment.pk, doctor=appointment.doctor)
    after = client.get(day_of(appointment), follow=True).text

    assert desk_step("cancel", appointment) in before
    assert desk_step("no_show", appointment) in before
    assert desk_step("cancel", appointment) not in after
    assert desk_step("no_show", appointment) not in after
    assert "with the doctor" in after
    assert desk_step("check_in", appointment) in after, "the patient can still be checked in"


def test_a_checked_in_patient_has_no_no_show_button(client):
    appointment = started(checked_in_at=timezone.now())
    client.force_login(ReceptionFactory())

    page = client.get(day_of(appointment), follow=True).text

    assert desk_step("no_show", appointment) not in page
    assert desk_step("check_in", appointment) not in page


@pytest.mark.parametrize("who", ["reception", "doctor"])
def test_a_no_show_is_undone_from_the_clinic_day_or_the_agenda(client, who):
    appointment = started()
    mark_no_show(appointment_id=appointment.pk, actor=appointment.doctor)
    actor = ReceptionFactory() if who == "reception" else appointment.doctor
    client.force_login(actor)

    page = client.get(day_of(appointment), follow=True).text
    response = client.post(reverse("scheduling:revert_no_show", args=[appointment.pk]), {"next": TODAY_URL})

    assert form_action("revert_no_show", appointment) in page
    assert "Undo no-show" in page
    assert response.status_code == 302
    assert response["Location"] == TODAY_URL
    assert shown_messages(response) == ["The no-show was undone: the appointment is scheduled again."]
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.SCHEDULED
    assert AuditEvent.objects.filter(action="appointment.no_show_reverted", user=actor).count() == 1


def test_undoing_a_no_show_whose_slot_was_given_away_says_so_and_changes_nothing(client):
    appointment = started()
    mark_no_show(appointment_id=appointment.pk, actor=appointment.doctor)
    AppointmentFactory(slot=appointment.slot, patient=PatientFactory())
    client.force_login(ReceptionFactory())

    response = client.post(reverse("scheduling:revert_no_show", args=[appointment.pk]))

    assert response.status_code == 302
    (message,) = shown_messages(response)
    assert message.startswith("This no-show cannot be undone: its time slot has since been given to another")
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.NO_SHOW


def test_a_patient_within_the_cutoff_is_told_to_call_instead_of_shown_buttons(client):
    appointment = AppointmentFactory(slot__starts_at=timezone.now() + timedelta(hours=1))
    client.force_login(appointment.patient)

    page = client.get(TODAY_URL).text

    assert form_action("cancel", appointment) not in page
    assert "To change it now, please call the clinic." in page


def test_the_move_page_of_an_appointment_under_way_says_why_instead_of_offering_slots(client):
    appointment = AppointmentFactory(checked_in_at=timezone.now())
    client.force_login(ReceptionFactory())

    response = client.get(reverse("scheduling:reschedule", args=[appointment.pk]))

    assert response.status_code == 302
    assert response["Location"] == TODAY_URL
    assert shown_messages(response) == [
        "The patient has already checked in, so this appointment can no longer be moved."
    ]


def test_the_agenda_links_the_consultation_only_while_it_can_be_closed(client):
    open_one = started()
    missed = AppointmentFactory(slot__doctor=open_one.doctor, slot__starts_at=open_one.starts_at - timedelta(hours=1))
    mark_no_show(appointment_id=missed.pk, actor=open_one.doctor)
    client.force_login(open_one.doctor)

    page = client.get(day_of(open_one)).text + client.get(day_of(missed)).text

    assert reverse("records:consultation", args=[open_one.pk]) in page
    assert reverse("records:consultation", args=[missed.pk]) not in page


def test_admins_book_for_a_patient_from_the_doctor_page_like_reception(client):
    appointment = AppointmentFactory()
    patient = PatientFactory(first_name="Xóchitl", last_name="Balam")
    client.force_login(AdminFactory())

    page = client.get(reverse("scheduling:doctor", args=[appointment.doctor_id]), {"patient": patient.pk}).text

    assert "Booking for Xóchitl Balam." in page
