"""Two receptionists at once on MariaDB: one check-in or no-show wins, the other is told clearly."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import ReceptionFactory
from medly.tests.racing import race
from scheduling.exceptions import SchedulingError
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import check_in, mark_no_show
from scheduling.tests.factories import AppointmentFactory
from scheduling.tests.helpers import shown_messages

pytestmark = [pytest.mark.mysql, pytest.mark.django_db(transaction=True)]


def just_started():
    return AppointmentFactory(slot__starts_at=(timezone.now() - timedelta(minutes=5)).replace(microsecond=0))


def test_two_receptionists_checking_in_at_once_check_in_once():
    appointment = just_started()
    first, second = ReceptionFactory(), ReceptionFactory()

    outcomes = race(
        lambda: check_in(appointment_id=appointment.pk, actor=first),
        lambda: check_in(appointment_id=appointment.pk, actor=second),
    )

    refusals = [outcome for outcome in outcomes if isinstance(outcome, SchedulingError)]
    assert len(refusals) == 1, outcomes
    assert (
        refusals[0].message_for_staff().startswith(f"{appointment.patient.get_full_name()} was already checked in at")
    )


def test_check_in_and_no_show_at_once_leave_one_of_them_and_explain_the_other():
    appointment = just_started()
    name = appointment.patient.get_full_name()
    checking_in, marking = ReceptionFactory(), ReceptionFactory()

    outcomes = race(
        lambda: check_in(appointment_id=appointment.pk, actor=checking_in),
        lambda: mark_no_show(appointment_id=appointment.pk, actor=marking),
    )

    refusals = [outcome for outcome in outcomes if isinstance(outcome, SchedulingError)]
    assert len(refusals) == 1, outcomes
    stored = Appointment.objects.get(pk=appointment.pk)
    if stored.status == AppointmentStatus.NO_SHOW:
        assert stored.checked_in_at is None
        assert refusals[0].message_for_staff() == (
            f"{name}'s appointment at {timezone.localtime(stored.starts_at):%H:%M} is already recorded as a no-show. "
            "If they have arrived, undo the no-show first."
        )
    else:
        assert stored.status == AppointmentStatus.SCHEDULED and stored.checked_in_at is not None
        assert refusals[0].message_for_staff().startswith(f"{name} checked in at ")


def test_through_the_site_the_loser_reads_a_message_naming_the_patient():
    appointment = just_started()
    clients = []
    for _ in range(2):
        client = Client()
        client.force_login(ReceptionFactory())
        clients.append(client)
    url = reverse("scheduling:no_show", args=[appointment.pk])

    responses = race(*(lambda client=client: client.post(url) for client in clients))

    name = appointment.patient.get_full_name()
    messages = {message for response in responses for message in shown_messages(response)}
    starts = timezone.localtime(appointment.starts_at)
    assert messages == {
        f"{name} is recorded as a no-show.",
        f"{name}'s appointment at {starts:%H:%M} is already recorded as a no-show. If they have arrived, "
        "undo the no-show first.",
    }
