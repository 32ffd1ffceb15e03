"""Walk-in and phone patients registered at the desk: one registration service, email optional."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.db import IntegrityError
from django.urls import reverse

from accounts.models import ConsentChannel, PatientProfile, PrivacyConsent, Role, User
from accounts.tests.factories import AdminFactory, DoctorFactory, PatientFactory, ReceptionFactory
from desk.links import desk_booking_url
from records import repository
from records.models import AuditEvent
from scheduling.tests.helpers import shown_messages

REGISTER_URL = reverse("desk:register_patient")


def walk_in(**overrides):
    data = {
        "email": "",
        "first_name": "Rigoberta",
        "last_name": "Chan",
        "date_of_birth": "1958-03-02",
        "sex": "F",
        "phone": "999 321 6543",
        "blood_type": "B+",
        "allergies": "penicilina",
        "privacy_notice_given": "on",
    }
    data.update(overrides)
    return data


@pytest.fixture
def receptionist(client):
    user = ReceptionFactory()
    client.force_login(user)
    return user


@pytest.mark.django_db
def test_it_registers_a_walk_in_without_email_with_profile_record_consent_and_audit(client, receptionist):
    response = client.post(REGISTER_URL, walk_in(), REMOTE_ADDR="10.1.2.3")

    patient = User.objects.get(role=Role.PATIENT)
    assert response.status_code == 302
    assert response["Location"] == desk_booking_url(patient_id=patient.pk)
    assert (patient.email, patient.phone, patient.has_usable_password()) == (None, "999 321 6543", False)
    assert PatientProfile.objects.get(user=patient).date_of_birth.isoformat() == "1958-03-02"
    consent = PrivacyConsent.objects.get(user=patient)
    assert (consent.channel, consent.recorded_by, consent.ip_address) == (
        ConsentChannel.IN_PERSON,
        receptionist,
        "10.1.2.3",
    )
    record = repository.get_patient_record(patient_id=patient.pk)
    assert (record["blood_type"], record["allergies"]) == ("B+", ["penicilina"])
    event = AuditEvent.objects.get(action="patient.register")
    assert (event.user, event.patient_id) == (receptionist, patient.pk)
    assert shown_messages(response) == ["Rigoberta Chan is registered (without email, so they cannot sign in online)."]


@pytest.mark.django_db
def test_two_patients_without_email_can_both_be_registered(client, receptionist):
    client.post(REGISTER_URL, walk_in())
    client.post(REGISTER_URL, walk_in(first_name="Pedro", last_name="Canché"))

    assert list(User.objects.filter(role=Role.PATIENT).values_list("email", flat=True)) == [None, None]


@pytest.mark.django_db
def test_the_privacy_notice_must_be_given_and_nothing_is_written_without_it(client, receptionist):
    data = walk_in()
    del data["privacy_notice_given"]

    response = client.post(REGISTER_URL, data)

    assert response.status_code == 200
    assert "Give the privacy notice in person and tick this box." in response.content.decode()
    assert not User.objects.filter(role=Role.PATIENT).exists()


@pytest.mark.django_db
def test_a_duplicate_email_is_a_clear_form_error(client, receptionist):
    PatientFactory(email="rigo@example.test")

    response = client.post(REGISTER_URL, walk_in(email="Rigo@Example.test"))

    assert response.status_code == 200
    assert "Someone is already registered with this email." in response.content.decode()
    assert User.objects.filter(role=Role.PATIENT).count() == 1


@pytest.mark.django_db
def test_a_duplicate_that_slips_past_the_form_is_a_form_error_not_a_500(client, receptionist, monkeypatch):
    def collides(**kwargs):
        raise IntegrityError("duplicate entry")

    monkeypatch.setattr("desk.views.register_patient_service", collides)

    response = client.post(REGISTER_URL, walk_in(email="late@example.test"))

    assert response.status_code == 200
    assert "was registered meanwhile" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("factory", [AdminFactory, ReceptionFactory])
def test_reception_and_admins_see_the_form(client, factory):
    client.force_login(factory())

    page = client.get(REGISTER_URL)

    assert page.status_code == 200
    for name in (
        "email",
        "first_name",
        "last_name",
        "date_of_birth",
        "sex",
        "phone",
        "blood_type",
        "allergies",
        "privacy_notice_given",
    ):
        assert f'name="{name}"' in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("factory", [PatientFactory, DoctorFactory])
def test_patients_and_doctors_are_refused_and_nothing_is_written(client, factory):
    client.force_login(factory())

    assert client.get(REGISTER_URL).status_code == 403
    assert client.post(REGISTER_URL, walk_in(email="x@example.test")).status_code == 403
    assert not User.objects.filter(email="x@example.test").exists()


@pytest.mark.django_db(transaction=True)
def test_with_an_email_the_patient_is_sent_a_working_set_password_link_in_their_language(client):
    from medly.tests.tasks import run_queued_tasks

    client.force_login(ReceptionFactory())
    response = client.post(REGISTER_URL, walk_in(email="Rigo@Example.test", language="es-mx"))

    assert shown_messages(response) == [
        "Rigoberta Chan is registered. We have emailed them a link to choose a password."
    ]
    assert mail.outbox == []  # a task, sent by the worker after commit
    run_queued_tasks()
    [sent] = mail.outbox
    assert sent.to == ["rigo@example.test"]
    assert sent.subject == "Su cuenta de Medly: elija su contraseña"
    link = re.search(re.escape(settings.SITE_URL) + r"(/accounts/reset/\S+/)", sent.body).group(1)

    client.logout()
    form = client.get(link, follow=True)
    assert form.status_code == 200 and form.context["validlink"]
    chosen = client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else link,
        {"new_password1": "Tortuga-marina-2026", "new_password2": "Tortuga-marina-2026"},
    )
    assert chosen.status_code == 302
    signed_in = client.post(
        reverse("accounts:login"), {"username": "rigo@example.test", "password": "Tortuga-marina-2026"}
    )
    assert signed_in.status_code == 302
    assert int(client.session["_auth_user_id"]) == User.objects.get(email="rigo@example.test").pk


@pytest.mark.django_db(transaction=True)
def test_without_an_email_no_mail_task_is_queued(client):
    from django_tasks_db.models import DBTaskResult

    client.force_login(ReceptionFactory())
    client.post(REGISTER_URL, walk_in())

    assert not DBTaskResult.objects.exists()
