"""Every PyMongo error leaves the repository as "unavailable" or "rejected", never raw.

Against the embedded server where it can produce the error; by raising the
driver's own error class from a patch point where it cannot (elections,
write concern, cursors).
"""

import pytest
from pymongo.collection import Collection
from pymongo.errors import (
    AutoReconnect,
    ConfigurationError,
    CursorNotFound,
    DocumentTooLarge,
    ExecutionTimeout,
    NetworkTimeout,
    NotPrimaryError,
    OperationFailure,
    ProtocolError,
    PyMongoError,
    ServerSelectionTimeoutError,
    WriteConcernError,
    WriteError,
    WTimeoutError,
)

from conftest import free_port
from records import repository
from records.tests.helpers import consultation_payload


def encounter_document(*, appointment_id):
    return {**consultation_payload(), "appointment_id": appointment_id, "patient_id": 1, "doctor_id": 2, "addenda": []}


@pytest.fixture
def dead_port(settings):
    settings.MONGO_URI = f"mongodb://127.0.0.1:{free_port()}/medly"
    settings.MONGO_TIMEOUT_MS = 300
    yield
    repository.close_client()


def test_a_dead_port_is_unavailable(dead_port):
    with pytest.raises(repository.RecordsUnavailable) as caught:
        repository.get_patient_record(patient_id=1)

    assert isinstance(caught.value.__cause__, ServerSelectionTimeoutError)


def test_a_stopped_server_is_unavailable(stoppable_mongo, settings):
    settings.MONGO_TIMEOUT_MS = 300
    repository.create_patient_record(patient_id=1, blood_type="", allergies=[])
    stoppable_mongo.stop()

    with pytest.raises(repository.RecordsUnavailable):
        repository.create_patient_record(patient_id=2, blood_type="", allergies=[])


def test_a_duplicate_key_is_rejected():
    records = repository._database()["records"]
    records.insert_one({"patient_id": 5})

    with pytest.raises(repository.InvalidRecord, match="duplicate key"), repository._translate_errors():
        records.insert_one({"patient_id": 5})


def test_an_update_of_an_immutable_field_is_rejected():
    records = repository._database()["records"]
    records.insert_one({"patient_id": 5})

    with pytest.raises(repository.InvalidRecord) as caught, repository._translate_errors():
        records.update_one({"patient_id": 5}, {"$set": {"_id": 1}})

    assert isinstance(caught.value.__cause__, WriteError)


def test_an_unknown_update_operator_is_rejected():
    repository._database()["records"].insert_one({"patient_id": 5})

    with pytest.raises(repository.InvalidRecord), repository._translate_errors():
        repository._database()["records"].update_one({"patient_id": 5}, {"$bogus": {"a": 1}})


def test_a_query_the_server_refuses_is_rejected():
    with pytest.raises(repository.InvalidRecord) as caught, repository._translate_errors():
        repository._database()["records"].find_one({"$nonsense": 1})

    assert type(caught.value.__cause__) is OperationFailure


def test_an_integer_bson_cannot_hold_is_rejected():
    with pytest.raises(repository.InvalidRecord, match="8-byte ints"):
        repository.insert_pending_encounter(
            encounter_id=repository.new_encounter_id(),
            document={**encounter_document(appointment_id=1), "vitals": {"heart_rate": 10**30}},
        )


def test_a_document_over_the_size_limit_is_rejected():
    with pytest.raises(repository.InvalidRecord) as caught, repository._translate_errors():
        repository._database()["records"].insert_one({"patient_id": 5, "blob": "x" * 17_000_000})

    assert isinstance(caught.value.__cause__, DocumentTooLarge)


def test_options_mongodb_does_not_accept_are_unavailable_not_a_crash(settings):
    settings.MONGO_URI = "mongodb://127.0.0.1:1/medly?noSuchOption=1"
    try:
        with pytest.raises(repository.RecordsUnavailable) as caught:
            repository.ping()
    finally:
        repository.close_client()

    assert isinstance(caught.value.__cause__, ConfigurationError)


def _write_concern_error(code, message):
    return WriteConcernError(message, code, {"code": code, "errmsg": message})


UNAVAILABLE = [
    pytest.param(AutoReconnect("connection reset"), id="AutoReconnect"),
    pytest.param(NetworkTimeout("timed out"), id="NetworkTimeout"),
    pytest.param(NotPrimaryError("not primary", {"code": 10107}), id="NotPrimaryError (election)"),
    pytest.param(ServerSelectionTimeoutError("no primary"), id="ServerSelectionTimeoutError"),
    pytest.param(_write_concern_error(64, "waiting for replication timed out"), id="WriteConcernError"),
    pytest.param(WTimeoutError("wtimeout", 64, {"code": 64}), id="WTimeoutError"),
    pytest.param(ExecutionTimeout("operation exceeded time limit", 50), id="ExecutionTimeout"),
    pytest.param(CursorNotFound("cursor id not found", 43), id="CursorNotFound"),
    pytest.param(ProtocolError("bad message"), id="ProtocolError"),
    pytest.param(OperationFailure("stepped down", 189), id="PrimarySteppedDown"),
    pytest.param(OperationFailure("shutting down", 91), id="ShutdownInProgress"),
    pytest.param(OperationFailure("interrupted", 11602), id="InterruptedDueToReplStateChange"),
    pytest.param(OperationFailure("auth failed", 18), id="AuthenticationFailed"),
    pytest.param(
        OperationFailure("retry me", 1, {"code": 1, "errorLabels": ["RetryableWriteError"]}),
        id="labelled RetryableWriteError",
    ),
    pytest.param(PyMongoError("something new"), id="any other PyMongoError"),
]
REJECTED = [
    pytest.param(WriteError("document failed validation", 121, {"code": 121}), id="DocumentValidationFailure"),
    pytest.param(OperationFailure("bad value", 2), id="BadValue"),
]


@pytest.mark.parametrize("error", UNAVAILABLE)
def test_driver_errors_that_mean_try_later_are_unavailable(monkeypatch, error):
    def raise_error(self, *args, **kwargs):
        raise error

    monkeypatch.setattr(Collection, "update_one", raise_error)

    with pytest.raises(repository.RecordsUnavailable) as caught:
        repository.create_patient_record(patient_id=1, blood_type="", allergies=[])

    assert caught.value.__cause__ is error


@pytest.mark.parametrize("error", REJECTED)
def test_driver_errors_that_refuse_the_request_are_rejected(monkeypatch, error):
    def raise_error(self, *args, **kwargs):
        raise error

    monkeypatch.setattr(Collection, "insert_one", raise_error)

    with pytest.raises(repository.InvalidRecord) as caught:
        repository.insert_pending_encounter(
            encounter_id=repository.new_encounter_id(), document=encounter_document(appointment_id=1)
        )

    assert caught.value.__cause__ is error


def test_medlys_defaults_fill_only_what_the_uri_leaves_unset():
    uri = "mongodb://medly:secret@mongo1:27017,mongo2:27017/medly?replicaSet=rs0&tls=true&retryWrites=false&w=1"

    options = repository.client_options(uri, 12000)

    assert "retryWrites" not in options and "w" not in options
    assert options == {
        "journal": True,
        "wTimeoutMS": 12000,
        "retryReads": True,
        "serverSelectionTimeoutMS": 12000,
        "connectTimeoutMS": 5000,
        "socketTimeoutMS": 24000,
        "appname": "medly",
        "tz_aware": True,
    }


def test_uri_option_names_are_matched_whatever_their_case():
    options = repository.client_options("mongodb://h/medly?SERVERSELECTIONTIMEOUTMS=100&journal=false", 12000)

    assert "serverSelectionTimeoutMS" not in options and "journal" not in options


def test_the_client_writes_with_majority_and_journal_and_keeps_the_uris_own_options(settings, mongo_server):
    settings.MONGO_URI = f"{mongo_server.uri}?retryWrites=false&serverSelectionTimeoutMS=1500"
    try:
        client = repository._get_client()
        repository.ping()
    finally:
        repository.close_client()

    assert (client.write_concern.document, client.options.retry_writes) == (
        {"w": "majority", "j": True, "wtimeout": 2000},
        False,
    )
    assert client.options.server_selection_timeout == 1.5
