"""Settings for running past one machine: a read replica (DATABASE_REPLICA_URL) and Redis Sentinel."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from conftest import free_port
from medly.env import redis_sentinels, sentinel_location

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = "/usr/bin/redis-server"
WITHOUT = {"DATABASE_REPLICA_URL", "REDIS_SENTINELS", "REDIS_SENTINEL_MASTER", "DATABASE_URL", "REDIS_URL"}


def run_python(code, **env):
    clean_env = {name: value for name, value in os.environ.items() if name not in WITHOUT}
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**clean_env, "DJANGO_SETTINGS_MODULE": "medly.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result


def read_settings(**env):
    result = run_python(
        "import json; from django.conf import settings as s; "
        "print(json.dumps({'CACHES': s.CACHES, 'DATABASES': s.DATABASES, 'ROUTERS': s.DATABASE_ROUTERS}, default=str))",
        **env,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_a_replica_url_there_is_only_the_primary():
    read = read_settings(DATABASE_URL="mysql://medly@db:3306/medly")

    assert set(read["DATABASES"]) == {"default"}
    assert read["ROUTERS"] == ["medly.db_router.PrimaryReplicaRouter"]


def test_a_replica_url_adds_a_replica_alias_that_tests_mirror_onto_the_primary():
    read = read_settings(
        DATABASE_URL="mysql://medly@db:3306/medly", DATABASE_REPLICA_URL="mysql://reader:pw@db-replica:3307/medly"
    )

    replica = read["DATABASES"]["replica"]
    where = (replica["HOST"], replica["PORT"], replica["USER"], replica["NAME"])
    assert where == ("db-replica", "3307", "reader", "medly")
    assert replica["TEST"]["MIRROR"] == "default"


def test_a_replica_of_sqlite_is_refused():
    result = run_python("", DATABASE_REPLICA_URL="mysql://reader@db-replica:3307/medly")

    assert result.returncode != 0
    assert "DATABASE_REPLICA_URL needs a mysql:// DATABASE_URL" in result.stderr


def test_sentinels_switch_the_cache_to_django_redis_sentinel_client():
    read = read_settings(
        REDIS_URL="redis://:secret@ignored:6379/3",
        REDIS_SENTINELS="10.0.0.1:26379, 10.0.0.2:26380",
        REDIS_SENTINEL_MASTER="medly-redis",
    )

    cache = read["CACHES"]["default"]
    assert cache["LOCATION"] == "redis://:secret@medly-redis/3"
    assert cache["OPTIONS"]["CLIENT_CLASS"] == "django_redis.client.SentinelClient"
    assert cache["OPTIONS"]["CONNECTION_FACTORY"] == "django_redis.pool.SentinelConnectionFactory"
    assert cache["OPTIONS"]["SENTINELS"] == [["10.0.0.1", 26379], ["10.0.0.2", 26380]]


def test_without_sentinels_the_cache_talks_to_redis_url_directly():
    cache = read_settings(REDIS_URL="redis://127.0.0.1:6379/3")["CACHES"]["default"]

    assert cache["LOCATION"] == "redis://127.0.0.1:6379/3"
    assert cache["OPTIONS"]["CLIENT_CLASS"] == "django_redis.client.DefaultClient"


@pytest.mark.parametrize("raw", ["10.0.0.1", "10.0.0.1:port", ":26379", "10.0.0.1:70000"])
def test_a_sentinel_address_without_a_valid_port_is_refused(raw):
    with pytest.raises(ImproperlyConfigured, match="REDIS_SENTINELS must be host:port"):
        redis_sentinels(raw)


def test_a_sentinel_location_keeps_the_database_and_password_and_needs_a_master_name():
    assert sentinel_location("", "mymaster") == "redis://mymaster/0"
    with pytest.raises(ImproperlyConfigured, match="REDIS_SENTINEL_MASTER"):
        sentinel_location("redis:///0", "")


@pytest.fixture
def sentinel(tmp_path):
    """A real Redis Sentinel watching the Redis of REDIS_URL (quorum 1: it never fails anything over)."""
    redis_port = int(os.environ["REDIS_URL"].split(":")[2].split("/")[0])
    port = free_port()
    config = tmp_path / "sentinel.conf"
    config.write_text(f"port {port}\nbind 127.0.0.1\nsentinel monitor medly-test 127.0.0.1 {redis_port} 1\n")
    process = subprocess.Popen([REDIS_SERVER, str(config), "--sentinel"], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.redis
def test_the_cache_finds_redis_through_a_real_sentinel(sentinel):
    database = os.environ["REDIS_URL"].rsplit("/", 1)[1]
    result = run_python(
        "from django.core.cache import cache; cache.set('sentinel-check', 'found', 30); "
        "print(cache.get('sentinel-check')); cache.delete('sentinel-check')",
        # The host here does not exist: only the sentinel can tell where the master is.
        REDIS_URL=f"redis://nowhere.invalid:1/{database}",
        REDIS_SENTINELS=f"127.0.0.1:{sentinel}",
        REDIS_SENTINEL_MASTER="medly-test",
        CACHE_KEY_PREFIX=f"medly-sentinel-test-{os.getpid()}",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "found"
