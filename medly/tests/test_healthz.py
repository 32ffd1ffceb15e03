import json

import pytest
from django.db import connection
from django.urls import reverse

from accounts.tests.factories import PatientFactory
from records import repository

HEALTHZ_URL = reverse("healthz")
DEAD_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
    }
}


def health(client):
    response = client.get(HEALTHZ_URL)
    return response.status_code, json.loads(response.content)


@pytest.mark.django_db
def test_it_reports_every_store_ok(client):
    assert health(client) == (200, {"mysql": "ok", "mongo": "ok", "redis": "ok", "operations": "ok"})


@pytest.mark.django_db
def test_it_reports_mongo_down_when_the_embedded_server_is_stopped(client, stoppable_mongo):
    assert health(client)[0] == 200

    stoppable_mongo.stop()

    assert health(client) == (503, {"mysql": "ok", "mongo": "down", "redis": "ok", "operations": "ok"})

    stoppable_mongo.start()
    # The restarted server keeps data in memory only: it came back empty, without its indexes.
    assert health(client) == (503, {"mysql": "ok", "mongo": "down", "redis": "ok", "operations": "ok"})
    repository.ensure_indexes()
    assert health(client) == (200, {"mysql": "ok", "mongo": "ok", "redis": "ok", "operations": "ok"})


@pytest.mark.django_db
def test_it_reports_redis_down_when_redis_is_unreachable(client, settings):
    settings.CACHES = DEAD_REDIS

    assert health(client) == (503, {"mysql": "ok", "mongo": "ok", "redis": "down", "operations": "ok"})


@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_it_reports_mysql_down_when_the_database_is_unreachable(client):
    original = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    try:
        status, report = health(client)
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(original)

    assert (status, report) == (503, {"mysql": "down", "mongo": "ok", "redis": "ok", "operations": "unknown"})


@pytest.mark.django_db
def test_it_reports_mongo_down_while_an_index_medly_relies_on_is_missing(client, stoppable_mongo):
    repository._database()["encounters"].drop_index("appointment_id_unique")

    assert health(client) == (503, {"mysql": "ok", "mongo": "down", "redis": "ok", "operations": "ok"})

    repository.ensure_indexes()
    assert health(client) == (200, {"mysql": "ok", "mongo": "ok", "redis": "ok", "operations": "ok"})


LIVEZ_URL = reverse("livez")


@pytest.mark.django_db
def test_livez_answers_without_asking_any_store(client, django_assert_num_queries, stoppable_mongo, settings):
    client.force_login(PatientFactory())
    stoppable_mongo.stop()
    settings.CACHES = DEAD_REDIS

    with django_assert_num_queries(0):
        response = client.get(LIVEZ_URL)

    assert (response.status_code, response.content) == (200, b"ok")
    assert health(client)[0] == 503


@pytest.mark.django_db
def test_livez_and_healthz_are_served_over_plain_http_in_production(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get(LIVEZ_URL).status_code == 200
    assert client.get(HEALTHZ_URL).status_code == 200
    assert client.get("/").status_code == 301
