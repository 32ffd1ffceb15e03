"""Django admin for slots and appointments: changes go through the services, never field by field."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AdminFactory, PatientFactory
from scheduling.models import Appointment, AppointmentStatus, Slot, SlotStatus
from scheduling.tests.factories import AppointmentFactory, SlotFactory
from scheduling.tests.helpers import shown_messages

pytestmark = pytest.mark.django_db

APPOINTMENTS = "admin:scheduling_appointment"
SLOTS = "admin:scheduling_slot"


@pytest.fixture
def admin_user(client):
    admin = AdminFactory()
    client.force_login(admin)
    return admin


def run_action(client, action, *appointments):
    return client.post(
        reverse(f"{APPOINTMENTS}_changelist"),
        {"action": action, "_selected_action": [appointment.pk for appointment in appointments]},
    )


def test_the_cancel_action_goes_through_the_service_and_reopens_the_slot(client, admin_user):
    appointment = AppointmentFactory()

    response = run_action(client, "cancel_selected", appointment)

    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.live_slot_id is None
    assert appointment.cancelled_by == admin_user
    assert Slot.objects.get(pk=appointment.slot_id).status == SlotStatus.OPEN
    assert shown_messages(response) == [f"#{appointment.pk}: cancelled"]


def test_the_cancel_action_reports_an_already_cancelled_appointment_and_changes_nothing(client, admin_user):
    appointment = AppointmentFactory(
        status=AppointmentStatus.CANCELLED, live_slot=None, cancelled_at=timezone.now() - timedelta(days=1)
    )
    rebooked = AppointmentFactory(slot=appointment.slot)
    before = list(Appointment.objects.order_by("pk").values())

    response = run_action(client, "cancel_selected", appointment)

    assert shown_messages(response) == [f"#{appointment.pk}: Only scheduled appointments can be cancelled."]
    assert list(Appointment.objects.order_by("pk").values()) == before
    assert Slot.objects.get(pk=rebooked.slot_id).status == SlotStatus.BOOKED


def test_the_cancel_action_handles_each_selected_appointment_on_its_own(client, admin_user):
    scheduled = AppointmentFactory()
    cancelled = AppointmentFactory(status=AppointmentStatus.CANCELLED, live_slot=None)

    response = run_action(client, "cancel_selected", scheduled, cancelled)

    assert sorted(shown_messages(response)) == sorted(
        [
            f"#{scheduled.pk}: cancelled",
            f"#{cancelled.pk}: Only scheduled appointments can be cancelled.",
        ]
    )
    assert Appointment.objects.get(pk=scheduled.pk).status == AppointmentStatus.CANCELLED


def test_the_no_show_action_goes_through_the_service(client, admin_user):
    started = AppointmentFactory(slot__starts_at=timezone.now() - timedelta(minutes=30))
    upcoming = AppointmentFactory()

    response = run_action(client, "mark_no_shows", started, upcoming)

    assert Appointment.objects.get(pk=started.pk).status == AppointmentStatus.NO_SHOW
    assert Appointment.objects.get(pk=upcoming.pk).status == AppointmentStatus.SCHEDULED
    assert any("once the appointment has started" in message for message in shown_messages(response))


def test_appointments_cannot_be_added_in_admin(client, admin_user):
    assert client.get(reverse(f"{APPOINTMENTS}_add")).status_code == 403


def test_appointments_cannot_be_edited_in_admin(client, admin_user):
    appointment = AppointmentFactory()
    other_patient = PatientFactory()

    page = client.get(reverse(f"{APPOINTMENTS}_change", args=[appointment.pk]))
    response = client.post(
        reverse(f"{APPOINTMENTS}_change", args=[appointment.pk]),
        {
            "patient": other_patient.pk,
            "status": AppointmentStatus.CANCELLED,
        },
    )

    assert page.status_code == 200
    assert 'name="_save"' not in page.text
    assert response.status_code == 403
    assert Appointment.objects.get(pk=appointment.pk).patient_id == appointment.patient_id


def test_appointments_cannot_be_deleted_in_admin(client, admin_user):
    appointment = AppointmentFactory()

    response = client.post(reverse(f"{APPOINTMENTS}_delete", args=[appointment.pk]), {"post": "yes"})
    changelist = client.get(reverse(f"{APPOINTMENTS}_changelist"))

    assert response.status_code == 403
    assert Appointment.objects.filter(pk=appointment.pk).exists()
    assert "delete_selected" not in changelist.text


def test_the_appointment_list_searches_patients_and_filters_by_status(client, admin_user):
    found = AppointmentFactory(patient__last_name="Chablé")
    AppointmentFactory(patient__last_name="Other")
    AppointmentFactory(status=AppointmentStatus.CANCELLED, live_slot=None)

    by_name = client.get(reverse(f"{APPOINTMENTS}_changelist"), {"q": "Chablé"})
    by_status = client.get(reverse(f"{APPOINTMENTS}_changelist"), {"status__exact": "cancelled"})

    assert [a.pk for a in by_name.context["cl"].result_list] == [found.pk]
    assert by_status.context["cl"].result_count == 1


def test_the_doctor_filter_offers_doctors_not_every_user(client, admin_user):
    appointments = AppointmentFactory.create_batch(2)
    PatientFactory()

    response = client.get(reverse(f"{APPOINTMENTS}_changelist"))

    doctor_filter = next(spec for spec in response.context["cl"].filter_specs if spec.field_path == "doctor")
    offered = {label for _, label in doctor_filter.lookup_choices}
    assert offered == {str(appointment.doctor) for appointment in appointments}


def test_a_booked_slot_cannot_be_deleted_in_admin(client, admin_user):
    booked = AppointmentFactory().slot

    response = client.post(reverse(f"{SLOTS}_delete", args=[booked.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert Slot.objects.filter(pk=booked.pk).exists()


def test_an_open_slot_can_be_deleted_in_admin(client, admin_user):
    slot = SlotFactory()

    response = client.post(reverse(f"{SLOTS}_delete", args=[slot.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not Slot.objects.filter(pk=slot.pk).exists()


def test_slots_are_not_added_or_bulk_deleted_in_admin(client, admin_user):
    SlotFactory()

    assert client.get(reverse(f"{SLOTS}_add")).status_code == 403
    assert "delete_selected" not in client.get(reverse(f"{SLOTS}_changelist")).text


@pytest.mark.parametrize("model", [SLOTS, APPOINTMENTS])
def test_the_lists_and_their_date_filter_work_without_database_time_zone_tables(client, admin_user, model):
    AppointmentFactory(slot__starts_at=timezone.now())
    changelist = reverse(f"{model}_changelist")

    response = client.get(changelist)
    date_filter = next(spec for spec in response.context["cl"].filter_specs if spec.field_path == "starts_at")
    this_year = client.get(changelist, dict(date_filter.links)["This year"])

    assert response.status_code == 200
    assert this_year.status_code == 200
    assert this_year.context["cl"].result_count >= 1
