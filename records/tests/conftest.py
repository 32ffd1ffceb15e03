"""Fixtures of the records tests."""

import subprocess
import sys

import pytest

from conftest import ROOT, EmbeddedMongo
from records import cie10, repository, services


class PersistentMongo(EmbeddedMongo):
    """The embedded server over a SQLite file: what it held is still there after a restart, as with mongod."""

    def __init__(self, path):
        super().__init__()
        self.path = path

    def start(self):
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "manage.py"),
                "embedded_mongo",
                "--port",
                str(self.port),
                "--path",
                str(self.path),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        line = self.process.stdout.readline()
        if "listening" not in line:
            self.stop()
            raise RuntimeError(f"embedded MongoDB did not start: {line!r}")
        return self


@pytest.fixture
def persistent_mongo(settings, tmp_path):
    server = PersistentMongo(tmp_path / "mongo.sqlite3").start()
    settings.MONGO_URI = server.uri
    repository.ensure_indexes()
    yield server
    server.stop()
    repository.close_client()


@pytest.fixture(autouse=True)
def cie10_common_codes(request):
    """The ~100 common CIE-10 codes seed_demo loads, for every records test that uses the database."""
    marker = request.node.get_closest_marker("django_db")
    if "live_server" in request.fixturenames:
        request.getfixturevalue("transactional_db")
    elif marker is None:
        return
    elif marker.kwargs.get("transaction") or (marker.args and marker.args[0]):
        request.getfixturevalue("transactional_db")
    else:
        request.getfixturevalue("db")
    services.load_cie10_codes(entries=cie10.common_entries(), overwrite=True)
