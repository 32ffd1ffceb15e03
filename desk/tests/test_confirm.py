"""Check-in, no-show and cancel from the desk go through a confirmation page that names who and when."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import DoctorFactory, PatientFactory, ReceptionFactory
from desk.links import desk_day_url
from scheduling.models import Appointment, AppointmentStatus
from scheduling.tests.factories import AppointmentFactory
from scheduling.tests.helpers import shown_messages, starting_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def receptionist(client):
    user = ReceptionFactory()
    client.force_login(user)
    return user


def test_the_check_in_page_names_the_patient_and_posts_back_to_the_desk(client, receptionist):
    appointment = AppointmentFactory(
        slot__starts_at=starting_in(minutes=20), patient__first_name="María", patient__last_name="López"
    )

    page = client.get(reverse("desk:confirm_check_in", args=[appointment.pk]))

    html = page.content.decode()
    back = desk_day_url(timezone.localdate(appointment.starts_at), patient_id=appointment.patient_id)
    assert page.status_code == 200
    assert "Check in María López?" in html
    assert f'action="{reverse("scheduling:check_in", args=[appointment.pk])}"' in html
    assert f'name="next" value="{back.replace("&", "&amp;")}"' in html
    assert Appointment.objects.get(pk=appointment.pk).checked_in_at is None  # the page itself changes nothing


def test_confirming_checks_in_and_says_who(client, receptionist):
    appointment = AppointmentFactory(slot__starts_at=starting_in(minutes=20), patient__first_name="María")
    back = desk_day_url(timezone.localdate(appointment.starts_at), patient_id=appointment.patient_id)

    response = client.post(reverse("scheduling:check_in", args=[appointment.pk]), {"next": back})

    assert response["Location"] == back
    assert Appointment.objects.get(pk=appointment.pk).checked_in_at is not None
    assert shown_messages(response) == [f"{appointment.patient.get_full_name()} is checked in."]


def test_a_second_check_in_is_told_who_and_when_and_changes_nothing(client, receptionist):
    checked_in_at = timezone.now().replace(microsecond=0) - timedelta(minutes=5)
    appointment = AppointmentFactory(slot__starts_at=starting_in(minutes=20), checked_in_at=checked_in_at)
    name = appointment.patient.get_full_name()
    at = timezone.localtime(checked_in_at).strftime("%H:%M")

    page = client.get(reverse("desk:confirm_check_in", args=[appointment.pk]))
    response = client.post(reverse("scheduling:check_in", args=[appointment.pk]))

    assert f"{name} was already checked in at {at}." in page.content.decode()
    assert "Yes, they are here" not in page.content.decode()
    assert shown_messages(response) == [f"{name} was already checked in at {at}."]
    assert Appointment.objects.get(pk=appointment.pk).checked_in_at == checked_in_at


def test_the_no_show_page_asks_first_and_confirming_records_it(client, receptionist):
    appointment = AppointmentFactory(slot__starts_at=starting_in(minutes=-20))
    name = appointment.patient.get_full_name()

    page = client.get(reverse("desk:confirm_no_show", args=[appointment.pk]))
    response = client.post(reverse("scheduling:no_show", args=[appointment.pk]))

    assert f"Record {name} as a no-show?" in page.content.decode()
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.NO_SHOW
    assert shown_messages(response) == [f"{name} is recorded as a no-show."]


def test_a_no_show_before_the_start_is_explained_on_the_page(client, receptionist):
    appointment = AppointmentFactory(slot__starts_at=starting_in(hours=2))

    page = client.get(reverse("desk:confirm_no_show", args=[appointment.pk]))

    assert "A no-show can only be recorded once the appointment has started." in page.content.decode()
    assert "Yes, record the no-show" not in page.content.decode()


def test_the_cancel_page_asks_first(client, receptionist):
    appointment = AppointmentFactory(slot__starts_at=starting_in(hours=5))

    page = client.get(reverse("desk:confirm_cancel", args=[appointment.pk]))

    assert f"Cancel the appointment of {appointment.patient.get_full_name()}?" in page.content.decode()
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.SCHEDULED


@pytest.mark.parametrize("name", ["desk:confirm_check_in", "desk:confirm_no_show", "desk:confirm_cancel"])
def test_the_confirmation_pages_are_for_the_desk_only_and_404_for_unknown_appointments(client, name):
    appointment = AppointmentFactory()
    for factory in (PatientFactory, DoctorFactory):
        client.force_login(factory())
        assert client.get(reverse(name, args=[appointment.pk])).status_code == 403
    client.force_login(ReceptionFactory())
    assert client.get(reverse(name, args=[424242])).status_code == 404


def test_the_desk_links_to_the_confirmation_pages_not_straight_to_the_action(client, receptionist):
    appointment = AppointmentFactory(slot__starts_at=starting_in(minutes=20))

    html = client.get(reverse("desk:day")).content.decode()

    assert reverse("desk:confirm_check_in", args=[appointment.pk]) in html
    assert reverse("desk:confirm_cancel", args=[appointment.pk]) in html
    assert f'action="{reverse("scheduling:check_in", args=[appointment.pk])}"' not in html
