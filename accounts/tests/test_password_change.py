"""A signed-in user changes their password: this session stays, the change is audited, guesses are limited."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import PASSWORD, DoctorFactory, PatientFactory
from records.models import AuditEvent

pytestmark = pytest.mark.django_db

CHANGE_URL = reverse("accounts:password_change")
NEW_PASSWORD = "otra-contrasena-larga-2026"


def change(client, old=PASSWORD, new=NEW_PASSWORD, **extra):
    return client.post(CHANGE_URL, {"old_password": old, "new_password1": new, "new_password2": new}, **extra)


def test_it_keeps_this_session_ends_the_others_and_is_audited(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    patient = PatientFactory()
    here, elsewhere = Client(), Client()
    here.force_login(patient)
    elsewhere.force_login(patient)

    response = change(here, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.7")

    assert response.status_code == 302
    assert response.url == reverse("accounts:profile")
    patient.refresh_from_db()
    assert patient.check_password(NEW_PASSWORD)
    assert here.get(reverse("accounts:profile")).status_code == 200
    assert elsewhere.get(reverse("accounts:profile")).status_code == 302
    event = AuditEvent.objects.get(action="user.password_change")
    assert (event.user_id, event.patient_id, event.ip_address) == (patient.pk, patient.pk, "203.0.113.7")


def test_a_staff_members_change_is_audited_without_a_patient(client):
    doctor = DoctorFactory()
    client.force_login(doctor)

    change(client)

    event = AuditEvent.objects.get(action="user.password_change")
    assert (event.user_id, event.patient_id) == (doctor.pk, None)


def test_a_wrong_current_password_changes_nothing(client):
    patient = PatientFactory()
    client.force_login(patient)

    response = change(client, old="not-my-password")

    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    patient.refresh_from_db()
    assert patient.check_password(PASSWORD)
    assert not AuditEvent.objects.exists()


def test_wrong_current_passwords_are_limited_like_sign_in(client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    patient = PatientFactory()
    client.force_login(patient)
    for _ in range(3):
        assert change(client, old="guess").status_code == 200

    refused = change(client)

    assert refused.status_code == 429
    assert "Too many wrong current passwords" in refused.content.decode()
    assert int(refused["Retry-After"]) >= 1
    patient.refresh_from_db()
    assert patient.check_password(PASSWORD)


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(CHANGE_URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_the_page_is_not_stored(client):
    client.force_login(PatientFactory())

    assert "no-store" in client.get(CHANGE_URL)["Cache-Control"]


def test_the_page_takes_a_fixed_number_of_queries(client, django_assert_num_queries):
    client.force_login(PatientFactory())

    with django_assert_num_queries(1):  # the session's user
        assert client.get(CHANGE_URL).status_code == 200
