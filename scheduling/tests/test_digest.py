"""The doctors' morning digest: one mail per opted-in doctor per clinic day, with that day's appointments."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.services import claim_daily_digest
from accounts.tests.factories import DoctorFactory, PatientFactory
from medly.tests.tasks import run_queued_tasks
from scheduling.models import AppointmentStatus
from scheduling.tasks import send_daily_digest, send_daily_digests
from scheduling.tests.factories import AppointmentFactory
from scheduling.tests.helpers import days_ahead

# The worker runs in this process (run_queued_tasks), outside any test transaction.
pytestmark = pytest.mark.django_db(transaction=True)


def doctor(*, digest, language="en", **fields):
    user = DoctorFactory(language=language, **fields)
    user.doctor_profile.daily_digest = digest
    user.doctor_profile.save()
    return user


def morning():
    send_daily_digests.call()
    run_queued_tasks()
    return sorted(mail.outbox, key=lambda message: message.to)


def test_each_opted_in_doctor_gets_their_day_and_nobody_else():
    itzel = doctor(digest=True, first_name="Itzel", last_name="Chablé", email="itzel@example.test")
    doctor(digest=True, language="es-mx", email="lupita@example.test")
    doctor(digest=False)
    doctor(digest=True, is_active=False)
    AppointmentFactory(
        slot__doctor=itzel,
        slot__starts_at=days_ahead(0, 12),
        patient=PatientFactory(first_name="Luis", last_name="Canché"),
    )
    AppointmentFactory(
        slot__doctor=itzel, slot__starts_at=days_ahead(0, 9), patient=PatientFactory(first_name="Ana", last_name="Pech")
    )
    AppointmentFactory(
        slot__doctor=itzel,
        slot__starts_at=days_ahead(0, 10),
        status=AppointmentStatus.CANCELLED,
        live_slot=None,
        patient=PatientFactory(first_name="Cancelada"),
    )
    AppointmentFactory(
        slot__doctor=itzel, slot__starts_at=days_ahead(1, 9), patient=PatientFactory(first_name="Mañana")
    )

    to_itzel, to_lupita = morning()

    assert to_itzel.to == ["itzel@example.test"]
    assert to_itzel.subject == "Your appointments today"
    assert "Good morning, Itzel Chablé." in to_itzel.body
    body = to_itzel.body
    assert body.index("09:00–09:30  Ana Pech") < body.index("12:00–12:30  Luis Canché")
    assert "Cancelada" not in body and "Mañana" not in body
    assert "Ana Pech" in to_itzel.alternatives[0].content
    assert to_lupita.to == ["lupita@example.test"]
    assert to_lupita.subject == "Sus citas de hoy"
    assert "Hoy no tiene citas." in to_lupita.body


def test_a_second_run_the_same_day_sends_nothing_more():
    doctor(digest=True)
    assert len(morning()) == 1

    mail.outbox.clear()
    assert morning() == []


def test_the_digest_task_of_one_doctor_twice_sends_one_mail():
    profile = doctor(digest=True).doctor_profile
    day = timezone.localdate().isoformat()

    send_daily_digest.enqueue(doctor_profile_id=profile.pk, day=day)
    send_daily_digest.enqueue(doctor_profile_id=profile.pk, day=day)
    run_queued_tasks()

    assert len(mail.outbox) == 1


def test_the_claim_is_once_per_doctor_per_day_and_only_for_those_who_asked():
    today = timezone.localdate()
    asked, quiet = doctor(digest=True).doctor_profile, doctor(digest=False).doctor_profile

    assert claim_daily_digest(asked.pk, today) is True
    assert claim_daily_digest(asked.pk, today) is False
    assert claim_daily_digest(asked.pk, today + timedelta(days=1)) is True
    assert claim_daily_digest(quiet.pk, today) is False
