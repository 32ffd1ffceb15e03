"""The records repository: the only module in Medly that talks to MongoDB.

One PyMongo client per process, created lazily on first use and recreated
after a fork (gunicorn forks its workers after importing the app).
Every pymongo error that means "the server cannot be reached" leaves this
module as ``RecordsUnavailable``.
"""

import os
import threading
from contextlib import contextmanager

from django.conf import settings
from django.utils import timezone
from pymongo import ASCENDING, DESCENDING, MongoClient
from pymongo.errors import ConnectionFailure, DuplicateKeyError, PyMongoError

from medly.outages import StoreUnavailable

BLOOD_TYPES = ("A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-")

_lock = threading.Lock()
_client = None
_client_key = None


class RecordsUnavailable(StoreUnavailable):
    """The records store (MongoDB) cannot be reached."""


class InvalidRecord(ValueError):
    """A document failed validation and was not written."""


def _get_client():
    global _client, _client_key
    key = (os.getpid(), settings.MONGO_URI, settings.MONGO_TIMEOUT_MS)
    with _lock:
        if _client is None or _client_key != key:
            if _client is not None and _client_key[0] == key[0]:
                _client.close()
            timeout = settings.MONGO_TIMEOUT_MS
            _client = MongoClient(
                settings.MONGO_URI,
                serverSelectionTimeoutMS=timeout,
                connectTimeoutMS=timeout,
                socketTimeoutMS=timeout * 2,
                retryWrites=False,
                tz_aware=True,
                appname="medly",
            )
            _client_key = key
        return _client


def close_client():
    global _client, _client_key
    with _lock:
        if _client is not None:
            _client.close()
        _client = None
        _client_key = None


def _database():
    client = _get_client()
    name = getattr(settings, "MONGO_DB_NAME", None)
    if name:
        return client[name]
    return client.get_default_database(default="medly")


def _records():
    return _database()["records"]


@contextmanager
def _translate_errors():
    try:
        yield
    except ConnectionFailure as exc:
        raise RecordsUnavailable(str(exc)) from exc
    except DuplicateKeyError:
        raise
    except PyMongoError as exc:
        # Operation failures that are not the caller's fault (e.g. shutdown in
        # progress) are treated as an outage: retrying later is the remedy.
        if getattr(exc, "code", None) in {91, 11600, 11602, 189, 10107, 13435}:
            raise RecordsUnavailable(str(exc)) from exc
        raise


def ping():
    with _translate_errors():
        _database().client.admin.command("ping")


def ensure_indexes():
    with _translate_errors():
        db = _database()
        db["records"].create_index([("patient_id", ASCENDING)], unique=True, name="patient_id_unique")
        encounters = db["encounters"]
        encounters.create_index([("appointment_id", ASCENDING)], unique=True, name="appointment_id_unique")
        encounters.create_index(
            [("patient_id", ASCENDING), ("created_at", DESCENDING)], name="patient_created_at"
        )


def _clean_allergies(allergies):
    cleaned = []
    for item in allergies:
        if not isinstance(item, str):
            raise InvalidRecord("allergies must be strings")
        item = " ".join(item.split())
        if item and item.casefold() not in {a.casefold() for a in cleaned}:
            if len(item) > 100:
                raise InvalidRecord("an allergy is at most 100 characters")
            cleaned.append(item)
    return cleaned


def create_patient_record(*, patient_id, blood_type, allergies):
    """Create the patient's record document; a second call changes nothing."""
    if not isinstance(patient_id, int) or patient_id <= 0:
        raise InvalidRecord("patient_id must be a positive integer")
    if blood_type not in ("", *BLOOD_TYPES):
        raise InvalidRecord(f"unknown blood type {blood_type!r}")
    document = {
        "patient_id": patient_id,
        "blood_type": blood_type,
        "allergies": _clean_allergies(allergies),
        "created_at": timezone.now(),
    }
    with _translate_errors():
        _records().update_one({"patient_id": patient_id}, {"$setOnInsert": document}, upsert=True)


def get_patient_record(*, patient_id):
    with _translate_errors():
        return _records().find_one({"patient_id": patient_id}, {"_id": 0})


def delete_patient_record(*, patient_id):
    with _translate_errors():
        _records().delete_one({"patient_id": patient_id})
