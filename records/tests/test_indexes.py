"""The MongoDB indexes come with `manage.py migrate`, and a missing one is reported."""

import os
import subprocess
import sys

import pytest

from conftest import ROOT, EmbeddedMongo, free_port
from records import repository

ALL_INDEXES = [
    "records.patient_id_unique",
    "encounters.appointment_id_unique",
    "encounters.patient_created_at",
    "encounters.patient_state_created_at",
    "encounters.patient_chain_tip",
    "histories.patient_id_unique",
]


def migrate(tmp_path, mongo_uri):
    env = {
        **{key: value for key, value in os.environ.items() if key not in {"DEBUG", "SECRET_KEY"}},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        "MONGO_URI": mongo_uri,
        "MONGO_TIMEOUT_MS": "500",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def empty_mongo(settings):
    server = EmbeddedMongo().start()
    settings.MONGO_URI = server.uri
    yield server
    server.stop()
    repository.close_client()


def test_migrate_creates_the_indexes_on_an_empty_mongodb(tmp_path, empty_mongo):
    assert repository.missing_indexes() == ALL_INDEXES

    result = migrate(tmp_path, empty_mongo.uri)

    assert result.returncode == 0, result.stderr
    assert repository.missing_indexes() == []
    assert repository._database()["encounters"].index_information()["appointment_id_unique"]["unique"] is True
    assert repository._database()["histories"].index_information()["patient_id_unique"]["unique"] is True


def test_migrate_warns_and_finishes_when_mongodb_is_down(tmp_path):
    result = migrate(tmp_path, f"mongodb://127.0.0.1:{free_port()}/medly")

    assert result.returncode == 0, result.stderr
    assert "the MongoDB indexes were not created, MongoDB is not reachable" in result.stderr
    assert "manage.py ensure_indexes" in result.stderr


def test_a_dropped_index_is_reported_until_ensure_indexes_puts_it_back(empty_mongo):
    repository.ensure_indexes()
    repository._database()["encounters"].drop_index("appointment_id_unique")

    assert repository.missing_indexes() == ["encounters.appointment_id_unique"]

    repository.ensure_indexes()
    assert repository.missing_indexes() == []


def test_an_index_with_the_right_name_but_not_unique_is_reported(empty_mongo):
    repository.ensure_indexes()
    records = repository._database()["records"]
    records.drop_index("patient_id_unique")
    records.create_index([("patient_id", 1)], name="patient_id_unique")

    assert repository.missing_indexes() == ["records.patient_id_unique"]


def test_migrate_fails_loudly_when_existing_documents_break_a_unique_index(tmp_path, empty_mongo):
    records = repository._database()["records"]
    records.insert_many([{"patient_id": 7}, {"patient_id": 7}])

    result = migrate(tmp_path, empty_mongo.uri)

    assert result.returncode == 1
    assert "the MongoDB indexes cannot be created" in result.stderr
