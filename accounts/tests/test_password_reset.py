"""Forgotten passwords: the request reveals nothing, the worker mails the link, the link sets a new password."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from accounts import mail as account_mail
from accounts.tests.factories import PASSWORD, PatientFactory
from medly.tests.tasks import run_queued_tasks

pytestmark = pytest.mark.django_db(transaction=True)

RESET_URL = reverse("accounts:password_reset")
NEW_PASSWORD = "una-contrasena-nueva-2026"
PROXY = "10.0.0.2"


def link_in(message):
    return re.search(r"https?://\S+/accounts/reset/\S+/", message.body).group(0)


def test_it_mails_a_link_that_sets_a_new_password_that_then_logs_in(client, settings):
    user = PatientFactory(email="ana@example.test", language="es-mx")

    response = client.post(RESET_URL, {"email": "  ANA@example.test "})

    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_done")
    assert mail.outbox == []  # nothing is sent inside the request
    run_queued_tasks()
    [message] = mail.outbox
    assert message.to == ["ana@example.test"]
    assert message.subject == "Elija una nueva contraseña de Medly"
    assert "Hola" in message.body
    html = message.alternatives[0].content
    link = link_in(message)
    assert link.startswith(settings.SITE_URL)
    assert link in html

    form_page = client.get(link.removeprefix(settings.SITE_URL), follow=True)
    assert form_page.context["validlink"] is True
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.url == reverse("accounts:password_reset_complete")
    login = client.post(reverse("accounts:login"), {"username": "ana@example.test", "password": NEW_PASSWORD})
    assert login.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_an_unknown_email_gets_the_same_answer_and_the_same_work_in_the_request(client):
    PatientFactory(email="ana@example.test")

    known = client.post(RESET_URL, {"email": "ana@example.test"})
    unknown = client.post(RESET_URL, {"email": "nobody@example.test"})

    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    # Both requests only enqueue the lookup: the same one task each, nothing rendered or sent.
    assert list(DBTaskResult.objects.values_list("task_path", flat=True)) == [
        "accounts.mail.send_password_reset",
        "accounts.mail.send_password_reset",
    ]
    run_queued_tasks()
    assert [message.to for message in mail.outbox] == [["ana@example.test"]]


def test_the_request_page_never_looks_the_email_up(client, monkeypatch):
    looked_up = []
    monkeypatch.setattr(account_mail, "render_password_reset", lambda user: looked_up.append(user))

    client.post(RESET_URL, {"email": "ana@example.test"})

    assert looked_up == []


@pytest.mark.parametrize("inactive", [True, False])
def test_an_inactive_account_gets_nothing(client, inactive):
    PatientFactory(email="ana@example.test", is_active=not inactive)

    client.post(RESET_URL, {"email": "ana@example.test"})
    run_queued_tasks()

    assert len(mail.outbox) == (0 if inactive else 1)


def test_a_bad_email_is_asked_again_without_enqueuing(client):
    response = client.post(RESET_URL, {"email": "not an email"})

    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert DBTaskResult.objects.count() == 0


def test_the_mail_is_in_english_for_an_english_speaker(client):
    PatientFactory(email="ana@example.test", first_name="Ana", language="en")

    client.post(RESET_URL, {"email": "ana@example.test"}, HTTP_ACCEPT_LANGUAGE="es-MX")
    run_queued_tasks()

    [message] = mail.outbox
    assert message.subject == "Choose a new Medly password"
    assert message.body.startswith("Hello Ana,")


def test_the_login_page_links_to_the_reset_page(client):
    assert RESET_URL in client.get(reverse("accounts:login")).content.decode()


def client_from(address):
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"198.18.0.1, {address}")


def test_requests_are_limited_per_address_behind_the_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.PASSWORD_RESETS_PER_HOUR_PER_ADDRESS = 2
    asker = client_from("203.0.113.9")
    for number in range(2):
        assert asker.post(RESET_URL, {"email": f"n{number}@example.test"}).status_code == 302

    refused = asker.post(RESET_URL, {"email": "n2@example.test"})

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 3600
    assert "Too many password reset requests" in refused.content.decode()
    assert DBTaskResult.objects.count() == 2
    assert client_from("203.0.113.10").post(RESET_URL, {"email": "n2@example.test"}).status_code == 302


def test_requests_are_limited_per_email_from_any_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.PASSWORD_RESETS_PER_HOUR_PER_EMAIL = 2
    for number in range(2):
        assert client_from(f"203.0.113.{number}").post(RESET_URL, {"email": "ana@example.test"}).status_code == 302

    assert client_from("203.0.113.50").post(RESET_URL, {"email": "ANA@example.test"}).status_code == 429
    assert client_from("203.0.113.50").post(RESET_URL, {"email": "eva@example.test"}).status_code == 302


def test_a_refused_request_does_not_use_up_the_addresss_allowance(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.PASSWORD_RESETS_PER_HOUR_PER_ADDRESS = 2
    settings.PASSWORD_RESETS_PER_HOUR_PER_EMAIL = 1
    asker = client_from("203.0.113.9")
    assert asker.post(RESET_URL, {"email": "ana@example.test"}).status_code == 302
    assert asker.post(RESET_URL, {"email": "ana@example.test"}).status_code == 429

    assert asker.post(RESET_URL, {"email": "eva@example.test"}).status_code == 302


def test_a_signed_in_user_with_the_old_password_is_unaffected_until_they_use_the_link(client):
    PatientFactory(email="ana@example.test")
    client.post(RESET_URL, {"email": "ana@example.test"})

    login = client.post(reverse("accounts:login"), {"username": "ana@example.test", "password": PASSWORD})

    assert login.status_code == 302


@pytest.mark.parametrize("route", ["accounts:password_reset", "accounts:password_reset_done"])
def test_the_reset_pages_read_nothing_from_the_database(client, django_assert_num_queries, route):
    with django_assert_num_queries(0):
        assert client.get(reverse(route)).status_code == 200


def test_the_request_itself_only_enqueues_one_task(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        client.post(RESET_URL, {"email": "ana@example.test"})
