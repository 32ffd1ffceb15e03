import pytest
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import PASSWORD, PatientFactory

LOGIN_URL = reverse("accounts:login")


def fail_login(client, email, times):
    for _ in range(times):
        client.post(LOGIN_URL, {"username": email, "password": "wrong-password"})


@pytest.mark.django_db
def test_an_account_is_paused_after_repeated_failures_even_with_the_right_password(settings):
    PatientFactory(email="ana@example.test")
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    fail_login(attacker, "ana@example.test", settings.AXES_FAILURE_LIMIT - 1)
    fail_login(attacker, "ANA@Example.TEST", 1)

    owner = Client(REMOTE_ADDR="198.51.100.4")
    response = owner.post(LOGIN_URL, {"username": "ana@example.test", "password": PASSWORD})

    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in owner.session


@pytest.mark.django_db
def test_an_address_is_paused_after_failures_across_many_accounts(settings):
    victim = PatientFactory(email="victim@example.test")
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for number in range(settings.AXES_FAILURE_LIMIT):
        fail_login(attacker, f"guess{number}@example.test", 1)

    response = attacker.post(LOGIN_URL, {"username": victim.email, "password": PASSWORD})

    assert response.status_code == 429
    assert "_auth_user_id" not in attacker.session


@pytest.mark.django_db
def test_fewer_failures_than_the_limit_still_allow_login(settings):
    PatientFactory(email="ana@example.test")
    owner = Client(REMOTE_ADDR="198.51.100.4")
    fail_login(owner, "ana@example.test", settings.AXES_FAILURE_LIMIT - 1)

    response = owner.post(LOGIN_URL, {"username": "ana@example.test", "password": PASSWORD})

    assert response.status_code == 302
