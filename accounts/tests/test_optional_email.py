"""A patient registered at the desk may have no email: NULL, unique when present, sign-in unaffected."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import Role, User
from accounts.services import register_patient
from accounts.tests.factories import PASSWORD, AdminFactory, PatientFactory, ReceptionFactory
from medly import mail as medly_mail

pytestmark = pytest.mark.django_db


def desk_patient(email=None, **overrides):
    return register_patient(
        email=email,
        first_name=overrides.get("first_name", "Sin"),
        last_name="Correo",
        date_of_birth="1950-01-01",
        sex="M",
        registered_by=ReceptionFactory(),
        privacy_notice_given=True,
    )


def test_patients_without_email_store_null_and_do_not_collide():
    first, second = desk_patient(), desk_patient(email="", first_name="Otro")

    assert list(User.objects.filter(pk__in=[first.pk, second.pk]).values_list("email", flat=True)) == [None, None]
    assert str(first) == "Sin Correo"
    assert first.search_text == "sin correo"


def test_an_email_is_still_unique_when_present():
    PatientFactory(email="ana@example.test")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("ana@example.test", first_name="A", last_name="B")


def test_staff_cannot_be_created_without_an_email():
    with pytest.raises(ValueError, match="email"):
        User.objects.create_user(None, first_name="A", last_name="B", role=Role.RECEPTION)


def test_signing_in_by_email_is_unaffected(client):
    desk_patient()
    patient = PatientFactory(email="ana@example.test")

    response = client.post(reverse("accounts:login"), {"username": "Ana@Example.test", "password": PASSWORD})

    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == patient.pk


def test_an_empty_username_signs_nobody_in(client):
    desk_patient()

    response = client.post(reverse("accounts:login"), {"username": "", "password": ""})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_mail_to_nobody_is_not_queued(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        medly_mail.queue_email(to=[None, ""], subject="Recordatorio", text="...")

    assert callbacks == []


def test_the_admin_lists_and_opens_a_patient_without_email(client):
    patient = desk_patient()
    client.force_login(AdminFactory())

    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200
    assert client.get(reverse("admin:accounts_user_change", args=[patient.pk])).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_admin_refuses_a_staff_account_without_an_email(client):
    client.force_login(AdminFactory())

    response = client.post(
        reverse("admin:accounts_user_add"),
        {"email": "", "first_name": "Sin", "last_name": "Correo", "role": Role.RECEPTION, "usable_password": "false"},
    )

    assert response.status_code == 200
    assert "Staff accounts need an email address to sign in." in response.content.decode()
    assert not User.objects.filter(role=Role.RECEPTION).exists()
