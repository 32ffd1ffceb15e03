"""Login and sign-up throttling, behind one proxy, on MariaDB (axes' counts) and Redis (slots and sign-ups)."""

import threading
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django.test import Client
from django.urls import reverse

from accounts import throttling
from accounts.models import User
from accounts.tests.factories import PASSWORD, AdminFactory, PatientFactory
from accounts.tests.test_registration import registration_data

pytestmark = [pytest.mark.mysql, pytest.mark.redis, pytest.mark.django_db]

LOGIN_URL = reverse("accounts:login")
LOGOUT_URL = reverse("accounts:logout")
REGISTER_URL = reverse("accounts:register")
PROXY = "10.0.0.2"
WRONG = "wrong-password"


@pytest.fixture(autouse=True)
def _behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


@pytest.fixture
def clock(monkeypatch):
    """A settable clock for the cache windows; axes' own times stay real."""

    class Clock:
        now = datetime.now(UTC).timestamp()

        def advance(self, seconds):
            self.now += seconds

    fake = Clock()
    monkeypatch.setattr(throttling, "current_time", lambda: fake.now)
    return fake


def client_from(address):
    """A browser at ``address``, reaching Medly through the proxy (which appends the peer to X-Forwarded-For)."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"198.18.0.1, {address}")


def attempt(client, email, password=WRONG):
    return client.post(LOGIN_URL, {"username": email, "password": password})


def logged_in(client):
    return "_auth_user_id" in client.session


def checked_guesses(email, address):
    """Wrong passwords Medly checked for this account from this address (refused attempts check none)."""
    attempts = AccessAttempt.objects.filter(username=email, ip_address=address)
    return sum(attempts.values_list("failures_since_start", flat=True))


def test_a_guesser_gets_the_limit_of_guesses_whatever_he_does_in_between(settings, clock):
    victim = PatientFactory(email="victim@example.test")
    PatientFactory(email="guesser@example.test")
    guesser = client_from("203.0.113.9")
    responses = []
    for number in range(3 * settings.AXES_FAILURE_LIMIT):
        responses.append(attempt(guesser, victim.email))
        # His own successful login, a fresh account and a guess elsewhere reset nothing.
        assert attempt(guesser, "guesser@example.test", PASSWORD).status_code == 302
        guesser.post(LOGOUT_URL)
        guesser.post(REGISTER_URL, registration_data(email=f"new{number}@example.test"))
        guesser.post(LOGOUT_URL)
        clock.advance(3600)  # never the sign-up limit

    assert checked_guesses(victim.email, "203.0.113.9") == settings.AXES_FAILURE_LIMIT
    assert [response.status_code for response in responses] == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429] * (
        2 * settings.AXES_FAILURE_LIMIT + 1
    )
    right_password = attempt(guesser, victim.email, PASSWORD)
    assert right_password.status_code == 429
    assert not logged_in(guesser)


def test_guesses_on_other_accounts_do_not_reset_the_count_on_one(settings):
    victim = PatientFactory(email="victim@example.test")
    guesser = client_from("203.0.113.9")
    responses = []
    for number in range(2 * settings.AXES_FAILURE_LIMIT):
        responses.append(attempt(guesser, victim.email))
        attempt(guesser, f"someone{number % 2}@example.test")

    assert checked_guesses(victim.email, "203.0.113.9") == settings.AXES_FAILURE_LIMIT
    assert attempt(guesser, victim.email, PASSWORD).status_code == 429


def test_a_strangers_failures_do_not_stop_the_owner_signing_in_from_elsewhere(settings):
    owner_account = PatientFactory(email="ana@example.test")
    stranger = client_from("203.0.113.9")
    for _ in range(settings.AXES_FAILURE_LIMIT + 3):
        attempt(stranger, "ANA@Example.TEST")
    assert attempt(stranger, owner_account.email, PASSWORD).status_code == 429

    owner = client_from("198.51.100.4")
    response = attempt(owner, owner_account.email, PASSWORD)

    assert response.status_code == 302
    assert logged_in(owner)


def test_the_proxy_address_is_never_what_is_locked(settings):
    PatientFactory(email="ana@example.test")
    for number in range(settings.AXES_IP_FAILURE_LIMIT):
        attempt(client_from(f"203.0.113.{number + 1}"), f"guess{number}@example.test")

    response = attempt(client_from("198.51.100.4"), "ana@example.test", PASSWORD)

    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(ip_address=PROXY).exists()


def test_an_account_under_attack_is_slowed_not_locked(settings, clock):
    owner_account = PatientFactory(email="ana@example.test")
    for number in range(settings.AXES_FAILURE_LIMIT):
        attempt(client_from(f"203.0.113.{number + 1}"), owner_account.email)

    first = attempt(client_from("203.0.113.50"), owner_account.email)
    owner = client_from("198.51.100.4")
    too_soon = attempt(owner, owner_account.email, PASSWORD)

    assert first.status_code == 200
    assert too_soon.status_code == 429
    assert 1 <= int(too_soon["Retry-After"]) <= settings.LOGIN_ACCOUNT_INTERVAL_SECONDS
    assert "one attempt every few seconds" in too_soon.content.decode()
    clock.advance(settings.LOGIN_ACCOUNT_INTERVAL_SECONDS)
    assert attempt(owner, owner_account.email, PASSWORD).status_code == 302
    assert logged_in(owner)


def test_a_slowed_attempt_is_not_counted_as_a_failure(settings, clock):
    owner_account = PatientFactory(email="ana@example.test")
    for number in range(settings.AXES_FAILURE_LIMIT):
        attempt(client_from(f"203.0.113.{number + 1}"), owner_account.email)
    attempt(client_from("203.0.113.50"), owner_account.email)
    owner = client_from("198.51.100.4")
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        assert attempt(owner, owner_account.email, WRONG).status_code == 429

    assert not AccessAttempt.objects.filter(ip_address="198.51.100.4").exists()


def test_an_address_is_paused_after_failures_across_many_accounts(settings):
    victim = PatientFactory(email="victim@example.test")
    attacker = client_from("203.0.113.9")
    statuses = [attempt(attacker, f"guess{n}@example.test").status_code for n in range(settings.AXES_IP_FAILURE_LIMIT)]
    assert statuses == [200] * (settings.AXES_IP_FAILURE_LIMIT - 1) + [429]

    response = attempt(attacker, victim.email, PASSWORD)

    assert response.status_code == 429
    assert not logged_in(attacker)
    assert attempt(client_from("203.0.113.10"), victim.email, PASSWORD).status_code == 302


def test_fewer_failures_across_accounts_than_the_address_limit_still_allow_login(settings):
    PatientFactory(email="ana@example.test")
    owner = client_from("198.51.100.4")
    for number in range(settings.AXES_IP_FAILURE_LIMIT - 1):
        attempt(owner, f"guess{number}@example.test")

    assert attempt(owner, "ana@example.test", PASSWORD).status_code == 302


def test_a_success_does_not_reset_the_address_count(settings):
    PatientFactory(email="own@example.test")
    attacker = client_from("203.0.113.9")
    for number in range(settings.AXES_IP_FAILURE_LIMIT - 1):
        attempt(attacker, f"guess{number}@example.test")
    assert attempt(attacker, "own@example.test", PASSWORD).status_code == 302
    attacker.post(LOGOUT_URL)

    last = attempt(attacker, "another@example.test")

    assert last.status_code == 429
    assert attempt(attacker, "own@example.test", PASSWORD).status_code == 429


def test_fewer_failures_than_the_limit_still_allow_login(settings):
    PatientFactory(email="ana@example.test")
    owner = client_from("198.51.100.4")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(owner, "ana@example.test")

    assert attempt(owner, "ana@example.test", PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_cool_off(settings):
    PatientFactory(email="ana@example.test")
    owner = client_from("198.51.100.4")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(owner, "ana@example.test")
    assert attempt(owner, "ana@example.test", PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=datetime.now(UTC) - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))

    assert attempt(owner, "ana@example.test", PASSWORD).status_code == 302


def test_the_lockout_page_says_when_to_try_again_in_the_clinics_time(settings):
    PatientFactory(email="ana@example.test")
    guesser = client_from("203.0.113.9")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(guesser, "ana@example.test")
    last_failure = AccessAttempt.objects.get().attempt_time

    response = attempt(guesser, "ana@example.test")

    unlock = (last_failure + settings.AXES_COOLOFF_TIME).astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE))
    body = response.content.decode()
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in body
    assert f"You can try again at {unlock:%H:%M}, in 15 minutes." in body
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60


def test_the_lockout_page_speaks_spanish(settings):
    PatientFactory(email="ana@example.test")
    guesser = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.9", HTTP_ACCEPT_LANGUAGE="es-MX")
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        response = attempt(guesser, "ana@example.test")

    body = response.content.decode()
    assert response.status_code == 429
    assert "Puede intentarlo de nuevo a las" in body
    assert "en 15 minutos" in body
    assert "Retry-After" in response


def test_sign_up_is_limited_per_address_and_answers_when_to_retry(settings, clock):
    settings.SIGNUPS_PER_HOUR_PER_ADDRESS = 2
    newcomer = client_from("203.0.113.9")
    for number in range(2):
        assert newcomer.post(REGISTER_URL, registration_data(email=f"n{number}@example.test")).status_code == 302
        newcomer.post(LOGOUT_URL)

    refused = newcomer.post(REGISTER_URL, registration_data(email="n2@example.test"))

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert "Too many accounts have been created from your network" in refused.content.decode()
    assert not User.objects.filter(email="n2@example.test").exists()
    neighbour = client_from("203.0.113.10")
    assert neighbour.post(REGISTER_URL, registration_data(email="n3@example.test")).status_code == 302
    clock.advance(3600)
    assert newcomer.post(REGISTER_URL, registration_data(email="n2@example.test")).status_code == 302


def test_a_refused_sign_up_form_does_not_use_up_the_allowance(settings):
    settings.SIGNUPS_PER_HOUR_PER_ADDRESS = 1
    newcomer = client_from("203.0.113.9")
    for _ in range(3):
        assert newcomer.post(REGISTER_URL, registration_data(password2="different-2026")).status_code == 200

    assert newcomer.post(REGISTER_URL, registration_data()).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_on_one_pair_are_checked_one_at_a_time(monkeypatch):
    PatientFactory(email="ana@example.test")
    checking, finish = threading.Event(), threading.Event()
    check_password = ModelBackend.authenticate

    def held_check(backend, request, username=None, password=None, **kwargs):
        checking.set()
        finish.wait(timeout=20)
        return check_password(backend, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", held_check)
    outcome = {}

    def first_guess():
        try:
            outcome["first"] = attempt(client_from("203.0.113.9"), "ana@example.test")
        finally:
            connection.close()

    thread = threading.Thread(target=first_guess)
    thread.start()
    assert checking.wait(timeout=20)
    second = attempt(client_from("203.0.113.9"), "ana@example.test")
    finish.set()
    thread.join(timeout=30)

    assert second.status_code == 429
    assert "still being checked" in second.content.decode()
    assert int(second["Retry-After"]) <= throttling.IN_FLIGHT_RETRY_SECONDS
    assert outcome["first"].status_code == 200
    assert checked_guesses("ana@example.test", "203.0.113.9") == 1
    assert attempt(client_from("203.0.113.9"), "ana@example.test").status_code == 200


def test_the_admin_login_counts_and_refuses_the_same_way(settings):
    admin_account = AdminFactory(email="admin@example.test")
    guesser = client_from("203.0.113.9")
    admin_login = reverse("admin:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        guesser.post(admin_login, {"username": admin_account.email, "password": WRONG})

    refused = guesser.post(admin_login, {"username": admin_account.email, "password": PASSWORD})

    assert refused.status_code == 429
    assert "Retry-After" in refused
    assert checked_guesses(admin_account.email, "203.0.113.9") == settings.AXES_FAILURE_LIMIT
    assert (
        client_from("198.51.100.4")
        .post(admin_login, {"username": admin_account.email, "password": PASSWORD})
        .status_code
        == 302
    )
