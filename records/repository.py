"""The records repository: the only module in Medly that talks to MongoDB.

One PyMongo client per process, created lazily on first use and recreated
after a fork (gunicorn forks its workers after importing the app).
Every PyMongo error leaves this module as ``RecordsUnavailable`` (the store
cannot serve now: an outage, an election, a write not yet on a majority) or
``InvalidRecord`` (the store refused this document or operation).
"""

import os
import re
import threading
from contextlib import contextmanager
from enum import IntEnum

from bson import ObjectId
from bson.errors import BSONError
from django.conf import settings
from django.utils import timezone
from pymongo import ASCENDING, DESCENDING, MongoClient
from pymongo.errors import (
    ConfigurationError,
    ConnectionFailure,
    CursorNotFound,
    DocumentTooLarge,
    DuplicateKeyError,
    EncryptionError,
    ExecutionTimeout,
    InvalidOperation,
    OperationFailure,
    ProtocolError,
    PyMongoError,
    WriteConcernError,
    WriteError,
)
from pymongo.uri_parser import parse_uri, split_options

from medly.outages import StoreUnavailable
from records.exceptions import HistoryExists, RecordChanged

BLOOD_TYPES = ("A+", "A-", "B+", "B-", "AB+", "AB-", "O+", "O-")

_lock = threading.Lock()
_client = None
_client_key = None


class RecordsUnavailable(StoreUnavailable):
    """The records store (MongoDB) cannot be reached."""


class InvalidRecord(ValueError):
    """A document failed validation and was not written."""


def uri_members_and_options(uri):
    """(the ``(host, port)`` members a MONGO_URI names, the options written in it), as PyMongo reads them."""
    parsed = parse_uri(uri)
    return parsed["nodelist"], dict(parsed["options"])


def client_options(uri, timeout_ms):
    """Keyword options for MongoClient: Medly's defaults for what `uri` leaves unset.

    An option written in the URI always wins; MongoClient's keywords would
    otherwise override it.
    """
    _, _, query = uri.partition("?")
    set_in_uri = split_options(query) if query else {}
    defaults = {
        # An acknowledged write is on a majority of the replica set, in its journal:
        # it survives the primary's loss.
        "w": "majority",
        "journal": True,
        "wTimeoutMS": timeout_ms,
        # A write or read cut off by an election is retried once on the new primary.
        "retryWrites": True,
        "retryReads": True,
        "serverSelectionTimeoutMS": timeout_ms,
        "connectTimeoutMS": min(timeout_ms, 5000),
        "socketTimeoutMS": timeout_ms * 2,
        "appname": "medly",
    }
    options = {name: value for name, value in defaults.items() if name not in set_in_uri}
    return {**options, "tz_aware": True}


def _get_client():
    global _client, _client_key
    key = (os.getpid(), settings.MONGO_URI, settings.MONGO_TIMEOUT_MS)
    with _lock:
        if _client is None or _client_key != key:
            if _client is not None and _client_key[0] == key[0]:
                _client.close()
            _client = MongoClient(settings.MONGO_URI, **client_options(settings.MONGO_URI, settings.MONGO_TIMEOUT_MS))
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


def _encounters():
    return _database()["encounters"]


def _histories():
    return _database()["histories"]


def new_encounter_id():
    return str(ObjectId())


def _object_id(encounter_id):
    if not ObjectId.is_valid(encounter_id):
        raise InvalidRecord(f"{encounter_id!r} is not an encounter id")
    return ObjectId(encounter_id)


class ServerErrorCode(IntEnum):
    """Server error codes that mean "try again later", not "this request is wrong"."""

    HOST_UNREACHABLE = 6
    HOST_NOT_FOUND = 7
    UNAUTHORIZED = 13
    AUTHENTICATION_FAILED = 18
    LOCK_TIMEOUT = 24
    MAX_TIME_MS_EXPIRED = 50
    WRITE_CONCERN_FAILED = 64
    NETWORK_TIMEOUT = 89
    SHUTDOWN_IN_PROGRESS = 91
    PRIMARY_STEPPED_DOWN = 189
    EXCEEDED_TIME_LIMIT = 262
    SOCKET_EXCEPTION = 9001
    NOT_WRITABLE_PRIMARY = 10107
    INTERRUPTED_AT_SHUTDOWN = 11600
    INTERRUPTED_DUE_TO_REPL_STATE_CHANGE = 11602
    NOT_PRIMARY_NO_SECONDARY_OK = 13435
    NOT_PRIMARY_OR_SECONDARY = 13436


TRANSIENT_CODES = frozenset(ServerErrorCode)
# Errors the driver raises before or instead of a server's answer about this request:
# the store is unreachable, overloaded or misconfigured, and retrying later is the remedy.
UNAVAILABLE_ERRORS = (
    ConnectionFailure,  # AutoReconnect, NetworkTimeout, NotPrimaryError, ServerSelectionTimeoutError, ...
    WriteConcernError,  # includes WTimeoutError: not yet on a majority of the replica set
    ExecutionTimeout,
    CursorNotFound,
    ConfigurationError,
    InvalidOperation,
    ProtocolError,
    EncryptionError,
)
# The server, or BSON before it, refused this document or this operation: retrying the same fails again.
REJECTED_ERRORS = WriteError | DocumentTooLarge | BSONError | OverflowError


def is_unavailable(exc):
    if isinstance(exc, UNAVAILABLE_ERRORS):
        return True
    if isinstance(exc, OperationFailure):
        return exc.code in TRANSIENT_CODES or exc.has_error_label("RetryableWriteError")
    return False


def is_rejected(exc):
    # Any other answer from the server is a refusal of this request.
    return isinstance(exc, REJECTED_ERRORS | OperationFailure)


@contextmanager
def _translate_errors():
    """Every PyMongo error leaves as RecordsUnavailable ("later") or InvalidRecord ("never")."""
    try:
        yield
    except (PyMongoError, BSONError, OverflowError) as exc:
        if not is_unavailable(exc) and is_rejected(exc):
            raise InvalidRecord(str(exc)) from exc
        raise RecordsUnavailable(str(exc)) from exc


def ping():
    with _translate_errors():
        _database().client.admin.command("ping")


# The highest chain position a final encounter holds, its own link's or an addendum's: set with every
# link (``$max``, so a repeated write changes nothing), so the entries after a position are found
# without reading into the ``addenda`` array.
CHAIN_TIP = "chain_tip"

# Every index Medly relies on: collection -> (name, keys, unique). The unique
# appointment_id index is what makes closing a consultation idempotent.
INDEXES = {
    "records": (("patient_id_unique", [("patient_id", ASCENDING)], True),),
    "encounters": (
        ("appointment_id_unique", [("appointment_id", ASCENDING)], True),
        ("patient_created_at", [("patient_id", ASCENDING), ("created_at", DESCENDING)], False),
        # The record page's keyset pages (encounter_page): equality on patient and state, then the order shown.
        (
            "patient_state_created_at",
            [("patient_id", ASCENDING), ("state", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)],
            False,
        ),
        # The record page's chain check from the verified mark (chain_documents): a range on the tip.
        ("patient_chain_tip", [("patient_id", ASCENDING), (CHAIN_TIP, ASCENDING)], False),
    ),
    # One first history per patient (NOM-004 6.1): a second fill is refused by the store itself.
    "histories": (("patient_id_unique", [("patient_id", ASCENDING)], True),),
}


def ensure_indexes():
    """Create every index in INDEXES (idempotent); `migrate` calls it too."""
    with _translate_errors():
        db = _database()
        for collection, indexes in INDEXES.items():
            for name, keys, unique in indexes:
                db[collection].create_index(keys, unique=unique, name=name)


def missing_indexes():
    """The "collection.name" of each index in INDEXES that MongoDB lacks or holds with other keys."""
    missing = []
    with _translate_errors():
        db = _database()
        for collection, indexes in INDEXES.items():
            present = {index["name"]: index for index in db[collection].list_indexes()}
            for name, keys, unique in indexes:
                index = present.get(name)
                if (
                    index is None
                    or [(field, int(order)) for field, order in index["key"].items()] != keys
                    or bool(index.get("unique")) != unique
                ):
                    missing.append(f"{collection}.{name}")
    return missing


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
        "version": 1,
        "created_at": timezone.now(),
    }
    with _translate_errors():
        _records().update_one({"patient_id": patient_id}, {"$setOnInsert": document}, upsert=True)


def get_patient_record(*, patient_id):
    """The record document; ``version`` is 0 on documents written before records were versioned."""
    with _translate_errors():
        document = _records().find_one({"patient_id": patient_id}, {"_id": 0})
    if document is not None:
        document.setdefault("version", 0)
    return document


def allergies_by_patient(*, patient_ids):
    """{patient_id: [allergies]} for the given patients, in one query; patients without a record are absent."""
    ids = sorted({patient_id for patient_id in patient_ids})
    if not ids:
        return {}
    with _translate_errors():
        documents = _records().find({"patient_id": {"$in": ids}}, {"_id": 0, "patient_id": 1, "allergies": 1})
        return {document["patient_id"]: list(document.get("allergies") or []) for document in documents}


def delete_patient_record(*, patient_id):
    with _translate_errors():
        _records().delete_one({"patient_id": patient_id})


def list_record_patient_ids():
    with _translate_errors():
        return [doc["patient_id"] for doc in _records().find({}, {"patient_id": 1, "_id": 0})]


def update_record(*, patient_id, blood_type, allergies, version):
    """Change the record only if it is still at ``version`` (the one the editor saw); it moves to version + 1.

    Raises RecordChanged with the current document if someone else changed it first.
    """
    if blood_type not in ("", *BLOOD_TYPES):
        raise InvalidRecord(f"unknown blood type {blood_type!r}")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise InvalidRecord("version must be a whole number")
    changes = {"blood_type": blood_type, "allergies": _clean_allergies(allergies), "updated_at": timezone.now()}
    # A document from before versioning has no version field; null matches a missing field.
    expected = {"$in": [0, None]} if version == 0 else version
    with _translate_errors():
        result = _records().update_one(
            {"patient_id": patient_id, "version": expected}, {"$set": changes, "$inc": {"version": 1}}
        )
    if result.matched_count == 0:
        current = get_patient_record(patient_id=patient_id)
        if current is None:
            raise InvalidRecord(f"patient {patient_id} has no record")
        raise RecordChanged(current)


# --- encounters -------------------------------------------------------------

PRESCRIPTION_FIELDS = ("drug", "dose", "route", "frequency", "duration")
# Lines written before the presentation was asked for do not have it.
OPTIONAL_PRESCRIPTION_FIELDS = ("presentation",)
TEXT_LIMIT = 10_000


def _check_text(name, value, limit=TEXT_LIMIT, required=False):
    if not isinstance(value, str) or len(value) > limit or (required and not value.strip()):
        raise InvalidRecord(f"{name} must be text of at most {limit} characters")


def validate_encounter(document):
    """Refuse a document that does not have the shape the contract promises."""
    for key in ("appointment_id", "patient_id", "doctor_id"):
        if not isinstance(document.get(key), int) or document[key] <= 0:
            raise InvalidRecord(f"{key} must be a positive integer")
    if document.get("state") not in ("pending", "final"):
        raise InvalidRecord("state must be pending or final")
    _check_text("diagnosis", document.get("diagnosis"), 1000, required=True)
    for key in (
        "diagnosis_code",
        "diagnosis_code_description",
        "evolution",
        "physical_exam",
        "results",
        "prognosis",
        "treatment",
        "notes",
    ):
        _check_text(key, document.get(key, ""))
    if not isinstance(document.get("vitals"), dict):
        raise InvalidRecord("vitals must be a mapping")
    for name, value in document["vitals"].items():
        if value is not None and not isinstance(value, int | float):
            raise InvalidRecord(f"vital {name} must be a number")
    prescription = document.get("prescription")
    if not isinstance(prescription, list) or len(prescription) > 30:
        raise InvalidRecord("prescription must be a list of at most 30 lines")
    for line in prescription:
        if not isinstance(line, dict) or not set(PRESCRIPTION_FIELDS) <= set(line) <= {
            *PRESCRIPTION_FIELDS,
            *OPTIONAL_PRESCRIPTION_FIELDS,
        }:
            raise InvalidRecord(
                f"each prescription line has {', '.join(PRESCRIPTION_FIELDS)} and may have "
                f"{', '.join(OPTIONAL_PRESCRIPTION_FIELDS)}"
            )
        for key in PRESCRIPTION_FIELDS:
            _check_text(f"prescription {key}", line[key], 200, required=True)
        for key in OPTIONAL_PRESCRIPTION_FIELDS:
            _check_text(f"prescription {key}", line.get(key, ""), 200)
    if "allergy_override" in document:
        _validate_allergy_override(document["allergy_override"])
    if not isinstance(document.get("addenda"), list):
        raise InvalidRecord("addenda must be a list")


def _validate_allergy_override(override):
    if not isinstance(override, dict) or set(override) != {"reason", "warnings", "by", "at"}:
        raise InvalidRecord("allergy_override has exactly reason, warnings, by and at")
    _check_text("allergy_override reason", override["reason"], 500, required=True)
    _check_text("allergy_override at", override["at"], 40, required=True)
    warnings = override["warnings"]
    if not isinstance(warnings, list) or not warnings or not all(isinstance(w, dict) for w in warnings):
        raise InvalidRecord("allergy_override warnings must be a list of the warnings overridden")
    if not isinstance(override["by"], dict) or not isinstance(override["by"].get("id"), int):
        raise InvalidRecord("allergy_override by must name the doctor")


def insert_pending_encounter(*, encounter_id, document):
    """Write the encounter as pending with the given id; already there counts as success."""
    document = {**document, "_id": _object_id(encounter_id), "state": "pending"}
    validate_encounter(document)
    with _translate_errors():
        try:
            _encounters().insert_one(document)
        except DuplicateKeyError:
            existing = _encounters().find_one({"appointment_id": document["appointment_id"]}, {"_id": 1})
            if existing is None or str(existing["_id"]) != encounter_id:
                raise InvalidRecord(f"appointment {document['appointment_id']} already has another encounter") from None


def _tip_update(update, chain):
    """``update`` also raising the document's CHAIN_TIP to ``chain``'s position (when there is a link)."""
    return update if chain is None else {**update, "$max": {CHAIN_TIP: chain["sequence"]}}


def finalize_encounter(*, encounter_id, chain=None):
    """The encounter ``final``, with its ``chain`` link (records/chain.py) when it has one; False if it is gone."""
    changes = {"state": "final"} if chain is None else {"state": "final", "chain": chain}
    with _translate_errors():
        result = _encounters().update_one({"_id": _object_id(encounter_id)}, _tip_update({"$set": changes}, chain))
    return result.matched_count == 1


def delete_pending_encounter(*, encounter_id):
    with _translate_errors():
        _encounters().delete_one({"_id": _object_id(encounter_id), "state": "pending"})


def get_encounter(*, encounter_id, patient_id):
    if not ObjectId.is_valid(encounter_id):
        return None
    with _translate_errors():
        document = _encounters().find_one({"_id": ObjectId(encounter_id), "patient_id": patient_id})
    return _public(document)


def list_encounters(*, patient_id, offset, limit):
    """(total, encounters newest first) of a patient's final encounters."""
    query = {"patient_id": patient_id, "state": "final"}
    with _translate_errors():
        total = _encounters().count_documents(query)
        cursor = _encounters().find(query).sort("created_at", DESCENDING).skip(offset).limit(limit)
        return total, [_public(document) for document in cursor]


NEWEST_FIRST = [("created_at", DESCENDING), ("_id", DESCENDING)]
OLDEST_FIRST = [("created_at", ASCENDING), ("_id", ASCENDING)]


def encounter_page(*, patient_id, limit, older_than=None, newer_than=None):
    """(up to ``limit`` final encounters newest first, whether more lie beyond them in the direction read).

    A keyset page: ``older_than`` / ``newer_than`` is the (created_at, id) of the encounter the page
    starts after, so the store walks the patient's index from there and reads ``limit + 1`` entries
    whatever the record's size; nothing is counted. ``_id`` orders encounters created in the same
    millisecond. With neither cursor, the newest page; "more" then means older ones.
    """
    query = {"patient_id": patient_id, "state": "final"}
    order = NEWEST_FIRST
    cursor = older_than or newer_than
    if cursor is not None:
        created_at, encounter_id = cursor[0], _object_id(cursor[1])
        beyond, up_to = ("$lt", "$lte") if older_than is not None else ("$gt", "$gte")
        # The range on created_at bounds the index scan; the $or only drops the ties already shown.
        query["created_at"] = {up_to: created_at}
        query["$or"] = [{"created_at": {beyond: created_at}}, {"_id": {beyond: encounter_id}}]
        if newer_than is not None:
            order = OLDEST_FIRST
    with _translate_errors():
        documents = [_public(document) for document in _encounters().find(query).sort(order).limit(limit + 1)]
    more = len(documents) > limit
    documents = documents[:limit]
    if order is OLDEST_FIRST:
        documents.reverse()
    return documents, more


def all_encounters(*, patient_id):
    """Every encounter of a patient, oldest first, pending ones included: the patient's copy of their record."""
    with _translate_errors():
        cursor = _encounters().find({"patient_id": patient_id}).sort([("created_at", ASCENDING), ("_id", ASCENDING)])
        return [_public(document) for document in cursor]


def last_encounters(*, patient_id, limit):
    """The patient's ``limit`` newest final encounters: date, diagnosis and prescription only, in one query."""
    fields = {"_id": 1, "created_at": 1, "visit_at": 1, "diagnosis": 1, "diagnosis_code": 1, "prescription": 1}
    with _translate_errors():
        cursor = (
            _encounters()
            .find({"patient_id": patient_id, "state": "final"}, fields)
            .sort("created_at", DESCENDING)
            .limit(limit)
        )
        return [_public(document) for document in cursor]


def list_encounter_refs():
    """Every encounter's ids and state, for the consistency check."""
    fields = {"_id": 1, "appointment_id": 1, "patient_id": 1, "doctor_id": 1, "state": 1}
    with _translate_errors():
        return [_public(document) for document in _encounters().find({}, fields)]


def check_addendum(*, reason, text):
    """Refuse an addendum the store would refuse, before anything is written."""
    _check_text("reason", reason, 500, required=True)
    _check_text("text", text, required=True)


def add_addendum(*, encounter_id, patient_id, addendum):
    """Append an addendum to a final encounter once (a repeated call with the same ``id`` changes nothing).

    ``addendum`` holds ``id``, ``author_id``, ``author_name``, ``reason``,
    ``text``, ``created_at`` and its ``chain`` link. True if it was added now.
    """
    check_addendum(reason=addendum.get("reason"), text=addendum.get("text"))
    with _translate_errors():
        result = _encounters().update_one(
            {
                "_id": _object_id(encounter_id),
                "patient_id": patient_id,
                "state": "final",
                "addenda.id": {"$ne": addendum["id"]},
            },
            _tip_update({"$push": {"addenda": addendum}}, addendum.get("chain")),
        )
    return result.modified_count == 1


def has_addendum(*, encounter_id, addendum_id):
    with _translate_errors():
        return _encounters().count_documents({"_id": _object_id(encounter_id), "addenda.id": addendum_id}) == 1


# --- the record chain (records/chain.py, records/integrity.py) -----------------


def chain_documents(*, patient_id, from_sequence=1):
    """The patient's final encounters that hold a chain entry at ``from_sequence`` or later, or have no CHAIN_TIP.

    From 1 that is every final encounter. Later, the few the newest entries are in, found by their
    CHAIN_TIP (no path into the ``addenda`` array: the embedded server's SQLite engine answers such a
    query in SQL, an array path sends it to Python over the whole collection), and every encounter
    without a tip: one with no link (outside Medly, or before the chain) or written before the tip
    existed. One read for both.
    """
    query = {"patient_id": patient_id, "state": "final"}
    if from_sequence > 1:
        query["$or"] = [{CHAIN_TIP: {"$gte": from_sequence}}, {CHAIN_TIP: {"$exists": False}}]
    with _translate_errors():
        return [_public(document) for document in _encounters().find(query)]


def final_encounters_by_patient():
    """Every final encounter, ordered by patient, for the whole-store chain check."""
    with _translate_errors():
        for document in _encounters().find({"state": "final"}).sort([("patient_id", ASCENDING), ("_id", ASCENDING)]):
            yield _public(document)


def patients_with_final_encounters():
    with _translate_errors():
        return sorted(
            {document["patient_id"] for document in _encounters().find({"state": "final"}, {"patient_id": 1})}
        )


def set_missing_chain_tips():
    """Give every linked final encounter written before CHAIN_TIP existed its tip; the number given one.

    Until then the record page's chain check reads such an encounter on every view (correct, not flat).
    """
    given = 0
    with _translate_errors():
        for document in _encounters().find(
            {"state": "final", CHAIN_TIP: {"$exists": False}}, {"chain": 1, "addenda.chain": 1}
        ):
            links = [document.get("chain")] + [addendum.get("chain") for addendum in document.get("addenda", [])]
            sequences = [link["sequence"] for link in links if isinstance(link, dict) and "sequence" in link]
            if sequences:
                _encounters().update_one({"_id": document["_id"]}, {"$max": {CHAIN_TIP: max(sequences)}})
                given += 1
    return given


def set_encounter_link(*, encounter_id, chain):
    with _translate_errors():
        _encounters().update_one(
            {"_id": _object_id(encounter_id), "state": "final"}, _tip_update({"$set": {"chain": chain}}, chain)
        )


def set_addendum_link(*, encounter_id, addendum_id, chain):
    with _translate_errors():
        _encounters().update_one(
            {"_id": _object_id(encounter_id), "addenda.id": addendum_id},
            _tip_update({"$set": {"addenda.$.chain": chain}}, chain),
        )


# --- the first history (historia clínica, NOM-004 6.1) ---------------------------

HISTORY_SECTIONS = {
    "pathological": ("chronic_illnesses", "surgeries", "hospitalisations", "transfusions", "trauma"),
    "non_pathological": (
        "tobacco",
        "alcohol",
        "other_substances",
        "diet",
        "physical_activity",
        "housing",
        "immunisations",
    ),
}
HISTORY_TEXTS = ("family", "current_illness", "systems_review", "physical_exam")
GYNECO_TEXTS = ("cycles", "contraception")
GYNECO_COUNTS = ("menarche_age", "pregnancies", "births", "caesareans", "abortions")
GYNECO_DATES = ("last_menstrual_period", "last_pap_smear", "last_mammography")
HISTORY_VITALS = ("temperature_c", "systolic", "diastolic", "heart_rate", "respiratory_rate", "weight_kg", "height_cm")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _check_count(name, value):
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 99):
        raise InvalidRecord(f"{name} must be a whole number from 0 to 99, or null")


def validate_history(document):
    """Refuse a first history that does not have the shape the record pages and the export read."""
    if not isinstance(document.get("patient_id"), int) or document["patient_id"] <= 0:
        raise InvalidRecord("patient_id must be a positive integer")
    author = document.get("author")
    if not isinstance(author, dict) or not isinstance(author.get("id"), int) or not isinstance(author.get("name"), str):
        raise InvalidRecord("author must be {id, name}")
    for key in HISTORY_TEXTS:
        _check_text(key, document.get(key))
    for section, keys in HISTORY_SECTIONS.items():
        values = document.get(section)
        if not isinstance(values, dict) or set(values) != set(keys):
            raise InvalidRecord(f"{section} has exactly {', '.join(keys)}")
        for key in keys:
            _check_text(f"{section} {key}", values[key], 2000)
    gyneco = document.get("gyneco_obstetric")
    if gyneco is not None:
        if not isinstance(gyneco, dict) or set(gyneco) != {*GYNECO_TEXTS, *GYNECO_COUNTS, *GYNECO_DATES}:
            raise InvalidRecord("gyneco_obstetric is null or has exactly its fields")
        for key in GYNECO_TEXTS:
            _check_text(key, gyneco[key], 2000)
        for key in GYNECO_COUNTS:
            _check_count(key, gyneco[key])
        for key in GYNECO_DATES:
            if not isinstance(gyneco[key], str) or (gyneco[key] and not ISO_DATE.match(gyneco[key])):
                raise InvalidRecord(f"{key} must be a YYYY-MM-DD date or empty")
    vitals = document.get("vitals")
    if not isinstance(vitals, dict) or not set(HISTORY_VITALS) <= set(vitals):
        raise InvalidRecord(f"vitals must hold {', '.join(HISTORY_VITALS)}")
    for name, value in vitals.items():
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            raise InvalidRecord(f"vital {name} must be a number")
    if not isinstance(document.get("addenda"), list):
        raise InvalidRecord("addenda must be a list")


def new_history_id():
    return str(ObjectId())


def insert_history(*, history_id, document):
    """Write the patient's first history once; True if written now, False if this very history was already there.

    Raises HistoryExists when the patient already has another history (filled by someone else).
    """
    if not isinstance(history_id, str) or not ObjectId.is_valid(history_id):
        raise InvalidRecord(f"{history_id!r} is not a history id")
    # The form's id is kept beside the document's own _id: a forged one can only ever match this patient's.
    document = {**document, "fill_id": history_id, "addenda": []}
    validate_history(document)
    with _translate_errors():
        try:
            _histories().insert_one(document)
        except DuplicateKeyError:
            existing = _histories().find_one({"patient_id": document["patient_id"]}, {"fill_id": 1})
            if existing is not None and existing.get("fill_id") == history_id:
                return False
            raise HistoryExists() from None
    return True


def get_history(*, patient_id):
    """The patient's first history with its addenda, or None while it has not been filled."""
    with _translate_errors():
        return _public(_histories().find_one({"patient_id": patient_id}))


def add_history_addendum(*, patient_id, addendum_id, author_id, author_name, reason, text):
    """Append an addendum to the history once (a repeated call with the same addendum_id changes nothing)."""
    _check_text("reason", reason, 500, required=True)
    _check_text("text", text, required=True)
    addendum = {
        "id": addendum_id,
        "author_id": author_id,
        "author_name": author_name,
        "reason": reason,
        "text": text,
        "created_at": timezone.now(),
    }
    with _translate_errors():
        result = _histories().update_one(
            {"patient_id": patient_id, "addenda.id": {"$ne": addendum_id}}, {"$push": {"addenda": addendum}}
        )
    return result.modified_count == 1


def _public(document):
    if document is None:
        return None
    document = dict(document)
    document["id"] = str(document.pop("_id"))
    return document


# --- bulk loading (manage.py seed_scale) ----------------------------------------


def insert_records_bulk(documents):
    """Insert many record documents at once (generated data for a fresh database; no upsert, no validation)."""
    with _translate_errors():
        if documents:
            _records().insert_many(documents, ordered=False)


def insert_encounters_bulk(documents):
    """Insert many final encounters, each already holding its ``_id`` (ObjectId or hex) and chain link."""
    prepared = [{**document, "_id": _object_id(str(document["_id"]))} for document in documents]
    for document in prepared:
        validate_encounter(document)
    with _translate_errors():
        if prepared:
            _encounters().insert_many(prepared, ordered=False)
