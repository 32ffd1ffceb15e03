"""A Redis failover is an outage (the 503 page), never a 500 or a silent logout.

Real redis-server processes: a primary and its replica, which answers READONLY
to writes exactly as a demoted primary does during a failover, and a replica
cut off from its primary, which answers MASTERDOWN to reads.
"""

import json
import shutil
import subprocess
import time

import pytest
import redis
from django.contrib.auth import SESSION_KEY
from django.test import Client

from accounts.tests.factories import PatientFactory
from conftest import free_port

pytestmark = [
    pytest.mark.redis,
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]


class RedisServer:
    def __init__(self, directory, *arguments):
        self.port = free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(directory), *arguments],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        self.client = redis.Redis(port=self.port, socket_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                self.client.ping()
                return
            except redis.exceptions.MasterDownError:
                return  # it answers, with the error a cut-off replica gives
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def primary_and_replica(tmp_path):
    (tmp_path / "primary").mkdir()
    (tmp_path / "replica").mkdir()
    # No diskless-sync delay: the replica is in sync in milliseconds, not five seconds.
    primary = RedisServer(tmp_path / "primary", "--repl-diskless-sync-delay", "0")
    replica = RedisServer(tmp_path / "replica", "--replicaof", "127.0.0.1", str(primary.port))
    deadline = time.monotonic() + 10
    while replica.client.info("replication")["master_link_status"] != "up":
        assert time.monotonic() < deadline, "the replica did not sync"
        time.sleep(0.05)
    yield primary, replica
    replica.stop()
    primary.stop()


def use_redis(settings, url):
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": url}}


@pytest.fixture
def browser():
    return Client(raise_request_exception=False)


def signed_in_on(settings, browser, primary, replica):
    """A patient signed in on the primary, with the session copied to the replica."""
    use_redis(settings, primary.url)
    patient = PatientFactory()
    browser.force_login(patient)
    # WAIT would only cover this test's own connection, not Django's: compare offsets instead.
    written = primary.client.info("replication")["master_repl_offset"]
    deadline = time.monotonic() + 5
    while replica.client.info("replication")["slave_repl_offset"] < written:
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.01)
    use_redis(settings, replica.url)
    return patient


def test_a_replica_refuses_writes_with_readonly(primary_and_replica):
    _, replica = primary_and_replica

    with pytest.raises(redis.exceptions.ReadOnlyError):
        replica.client.set("key", "value")


def test_signing_out_during_a_failover_gets_the_503_page_and_keeps_the_session(settings, browser, primary_and_replica):
    primary, replica = primary_and_replica
    patient = signed_in_on(settings, browser, primary, replica)

    response = browser.post("/accounts/logout/")

    assert response.status_code == 503
    assert "Medly is temporarily unavailable" in response.content.decode()
    # Not half signed out: the server-side session is still there for when Redis is back.
    assert browser.session[SESSION_KEY] == str(patient.pk)


def test_signing_in_during_a_failover_gets_the_503_page(settings, browser, primary_and_replica):
    _, replica = primary_and_replica
    use_redis(settings, replica.url)
    PatientFactory(email="ana@medly.test", password="a-long-password-1")

    response = browser.post("/accounts/login/", {"username": "ana@medly.test", "password": "a-long-password-1"})

    assert response.status_code == 503


def test_pages_that_only_read_the_session_keep_working_on_the_replica(settings, browser, primary_and_replica):
    primary, replica = primary_and_replica
    signed_in_on(settings, browser, primary, replica)

    assert browser.get("/appointments/").status_code == 200


def test_healthz_reports_redis_down_on_a_read_only_replica(settings, browser, primary_and_replica):
    _, replica = primary_and_replica
    use_redis(settings, replica.url)

    response = browser.get("/healthz")

    assert (response.status_code, json.loads(response.content)["redis"]) == (503, "down")


def test_a_replica_cut_off_from_its_primary_is_an_outage_not_a_logout(settings, browser, primary_and_replica, tmp_path):
    primary, _ = primary_and_replica
    use_redis(settings, primary.url)
    browser.force_login(PatientFactory())
    (tmp_path / "orphan").mkdir()
    orphan = RedisServer(
        tmp_path / "orphan", "--replicaof", "127.0.0.1", str(free_port()), "--replica-serve-stale-data", "no"
    )
    try:
        use_redis(settings, orphan.url)

        response = browser.get("/appointments/")
    finally:
        orphan.stop()

    # Without the outage mapping the session read failed quietly: a redirect to the login page.
    assert response.status_code == 503
