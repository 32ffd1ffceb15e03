"""Persistent MySQL connections and a MariaDB restart: real gunicorn, its connections killed server-side.

With CONN_HEALTH_CHECKS (the default) the next request finds the dead connection, replaces it and answers;
without it one request fails and the connection is dropped after it, so even then it is one failure, not 500s
for as long as the connection would have lived.
"""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import MySQLdb
import pytest
from django.db import connection

from conftest import free_port

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"


def database_url():
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"mysql://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def mysql_reported(port, deadline):
    """What /healthz says about MySQL (its status is 503 when another store is down here; never a 500)."""
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:  # noqa: S310
                return json.load(response)["mysql"]
        except urllib.error.HTTPError as answer:
            assert answer.code == 503, answer.code
            return json.load(answer)["mysql"]
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def kill_server_connections(database):
    """KILL every connection to ``database`` but this test's own: what a MariaDB restart does to them."""
    connection.ensure_connection()
    own = connection.connection.thread_id()
    db = connection.settings_dict
    killer = MySQLdb.connect(host=db["HOST"], port=int(db["PORT"]), user=db["USER"], password=db["PASSWORD"])
    try:
        cursor = killer.cursor()
        cursor.execute(
            "SELECT id FROM information_schema.processlist WHERE db = %s AND id <> CONNECTION_ID() AND id <> %s",
            (database, own),
        )
        ids = [row[0] for row in cursor.fetchall()]
        for thread_id in ids:
            cursor.execute(f"KILL {int(thread_id)}")
        return ids
    finally:
        killer.close()


@pytest.mark.parametrize(("health_checks", "after_the_kill"), [("1", ["ok", "ok"]), ("0", ["down", "ok"])])
def test_a_connection_the_server_closed_costs_at_most_one_request(tmp_path, health_checks, after_the_kill):
    port = free_port()
    env = {
        **{key: value for key, value in os.environ.items() if key not in {"XDG_RUNTIME_DIR", "DEBUG", "SECRET_KEY"}},
        "HOME": str(tmp_path),
        "DATABASE_URL": database_url(),
        "DATABASE_CONN_MAX_AGE": "600",
        "DATABASE_CONN_HEALTH_CHECKS": health_checks,
        # One worker, one thread: every request uses the same persistent connection.
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "1",
    }
    with open(tmp_path / "gunicorn.log", "w+b") as log:
        server = subprocess.Popen(  # noqa: S603 - the venv's gunicorn
            [str(GUNICORN), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "medly.wsgi:application"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            assert mysql_reported(port, deadline) == "ok"
            assert kill_server_connections(connection.settings_dict["NAME"]), "the worker kept no connection open"
            assert [mysql_reported(port, deadline) for _ in after_the_kill] == after_the_kill
        finally:
            server.terminate()
            server.wait(timeout=30)
