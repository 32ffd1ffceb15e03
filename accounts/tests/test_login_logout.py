import pytest
from django.conf import settings
from django.contrib.sessions.backends.cache import KEY_PREFIX as SESSION_CACHE_PREFIX
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import PASSWORD, PatientFactory

LOGIN_URL = reverse("accounts:login")
LOGOUT_URL = reverse("accounts:logout")


def session_key_in_store(session_key):
    return cache.get(SESSION_CACHE_PREFIX + session_key) is not None


@pytest.mark.django_db
def test_it_logs_in_with_the_email_in_any_case(client):
    user = PatientFactory(email="ana@example.test")

    response = client.post(LOGIN_URL, {"username": "ANA@Example.test", "password": PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_a_wrong_password_is_refused_with_a_message(client):
    PatientFactory(email="ana@example.test")

    response = client.post(LOGIN_URL, {"username": "ana@example.test", "password": "not-it"})

    assert response.status_code == 200
    assert "Please enter a correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_session_key_changes_at_login(client):
    PatientFactory(email="ana@example.test")
    client.get(LOGIN_URL)
    client.session["before"] = "x"
    client.session.save()
    anonymous_key = client.cookies[settings.SESSION_COOKIE_NAME].value

    client.post(LOGIN_URL, {"username": "ana@example.test", "password": PASSWORD})

    assert client.cookies[settings.SESSION_COOKIE_NAME].value != anonymous_key
    assert not session_key_in_store(anonymous_key)


@pytest.mark.django_db
def test_logout_deletes_the_session_from_the_store(client):
    PatientFactory(email="ana@example.test")
    client.post(LOGIN_URL, {"username": "ana@example.test", "password": PASSWORD})
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert session_key_in_store(session_key)

    response = client.post(LOGOUT_URL)

    assert response.status_code == 302
    assert not session_key_in_store(session_key)
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_logout_by_get_is_refused(client):
    client.force_login(PatientFactory())

    assert client.get(LOGOUT_URL).status_code == 405
    assert "_auth_user_id" in client.session


@pytest.mark.redis
@pytest.mark.django_db
def test_sessions_live_in_redis_and_are_removed_there_at_logout(client):
    from django_redis import get_redis_connection

    PatientFactory(email="ana@example.test")
    client.post(LOGIN_URL, {"username": "ana@example.test", "password": PASSWORD})
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    redis_key = cache.make_key(SESSION_CACHE_PREFIX + session_key)
    redis = get_redis_connection("default")
    assert redis.exists(redis_key) == 1

    client.post(LOGOUT_URL)

    assert redis.exists(redis_key) == 0


@pytest.mark.django_db
def test_the_session_cookie_is_named_medly_httponly_and_samesite_lax(client):
    PatientFactory(email="ana@example.test")

    client.post(LOGIN_URL, {"username": "ana@example.test", "password": PASSWORD})

    cookie = client.cookies["medly"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


@pytest.mark.django_db
def test_the_session_cookie_is_secure_outside_debug(client, settings):
    settings.SESSION_COOKIE_SECURE = True  # what DEBUG=0 sets; see test_production_settings
    PatientFactory(email="ana@example.test")

    client.post(LOGIN_URL, {"username": "ana@example.test", "password": PASSWORD}, secure=True)

    assert client.cookies["medly"]["secure"] is True


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "data"),
    [
        (LOGIN_URL, {"username": "ana@example.test", "password": PASSWORD}),
        (reverse("accounts:register"), {"email": "new@example.test"}),
        (LOGOUT_URL, {}),
        (reverse("set_language"), {"language": "es-mx"}),
    ],
)
def test_every_form_post_without_a_csrf_token_is_refused(url, data):
    PatientFactory(email="ana@example.test")
    csrf_client = Client(enforce_csrf_checks=True)

    response = csrf_client.post(url, data)

    assert response.status_code == 403
    assert "_auth_user_id" not in csrf_client.session


@pytest.mark.django_db
def test_a_post_with_the_csrf_token_from_the_form_is_accepted():
    PatientFactory(email="ana@example.test")
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.get(LOGIN_URL)
    token = csrf_client.cookies[settings.CSRF_COOKIE_NAME].value

    response = csrf_client.post(
        LOGIN_URL, {"username": "ana@example.test", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )

    assert response.status_code == 302
