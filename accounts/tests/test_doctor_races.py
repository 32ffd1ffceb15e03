"""Two administrators creating the same doctor at the same instant: one account, one audit event."""

import pytest
from django.db import IntegrityError

from accounts import services
from accounts.models import DoctorProfile, User
from accounts.services import DOCTOR_CREATE
from accounts.tests.factories import AdminFactory
from medly.tests.racing import race
from records.models import AuditEvent
from scheduling.tests.factories import SpecialtyFactory

pytestmark = [pytest.mark.mysql, pytest.mark.django_db(transaction=True)]


def test_two_admins_creating_the_same_email_make_one_doctor():
    cardiology = SpecialtyFactory(name="Cardiología")
    admins = [AdminFactory(), AdminFactory()]

    def create(admin):
        return lambda: services.create_doctor(
            email="same@example.test",
            first_name="Lucía",
            last_name="Chablé",
            password="una-Contraseña-bastante-larga-2026",
            license_number="1234567",
            specialties=[cardiology],
            created_by=admin,
        )

    outcomes = race(create(admins[0]), create(admins[1]))

    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["IntegrityError", "User"]
    assert any(isinstance(outcome, IntegrityError) for outcome in outcomes)
    assert User.objects.filter(email="same@example.test").count() == 1
    assert DoctorProfile.objects.count() == 1
    assert AuditEvent.objects.filter(action=DOCTOR_CREATE).count() == 1
