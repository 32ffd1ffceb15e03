"""The benchmarks (bench/_client.py) read the doctor's pages: their parsers must keep understanding them."""

import importlib.util
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.tests.factories import DoctorFactory
from scheduling.models import AppointmentStatus
from scheduling.tests.factories import AppointmentFactory, SlotFactory
from scheduling.tests.helpers import local

pytestmark = pytest.mark.django_db


def bench_client():
    spec = importlib.util.spec_from_file_location("_client", Path(settings.BASE_DIR) / "bench" / "_client.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class PageSession:
    """What bench's Session.get returns, served by Django's test client."""

    def __init__(self, client, module):
        self.client, self.module = client, module

    def get(self, path):
        response = self.client.get(path)
        return self.module.Response(status=response.status_code, body=response.content.decode())


@pytest.fixture
def session(client):
    doctor = DoctorFactory()
    client.force_login(doctor)
    module = bench_client()
    return doctor, module, PageSession(client, module)


def test_the_bench_finds_the_doctors_id_on_the_availability_page(session):
    doctor, module, page = session

    assert module.own_doctor_id(page) == doctor.pk


def test_the_bench_reads_each_appointment_of_the_week_with_its_consultation_link(session):
    doctor, module, page = session
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday()) + timedelta(days=7)
    scheduled = AppointmentFactory(slot__doctor=doctor, slot__starts_at=local(monday, 9))
    completed = AppointmentFactory(
        slot__doctor=doctor, slot__starts_at=local(monday + timedelta(days=2), 10), status=AppointmentStatus.COMPLETED
    )
    SlotFactory(doctor=doctor, starts_at=local(monday, 9, 30))

    first_day, rows = module.doctor_agenda_week(page, monday + timedelta(days=3))

    assert first_day == monday
    assert [(row.starts_at.strftime("%a %H:%M"), row.patient_id, row.appointment_id, row.status) for row in rows] == [
        (local(monday, 9).strftime("%a 09:00"), scheduled.patient_id, scheduled.pk, "scheduled"),
        (local(monday + timedelta(days=2), 10).strftime("%a 10:00"), completed.patient_id, None, "completed"),
    ]
