"""The tamper-evident chain of a patient's clinical entries: each final encounter and each addendum.

Every entry carries ``chain: {"sequence", "previous_hash", "hash"}`` in MongoDB
(an encounter at the top level, an addendum inside its element of ``addenda``):

- ``sequence``: the entry's position in the patient's chain, 1, 2, 3 … in the
  order the entries were committed;
- ``previous_hash``: the ``hash`` of the entry before it (GENESIS_HASH for the first);
- ``hash``: SHA-256 (hex) of the canonical JSON of
  ``{"kind", "content", "sequence", "previous_hash"}``.

``content`` is everything clinical plus the ids, the author and the times: for
an encounter every field of its document but ``_id`` (as ``id``, hex),
``state``, ``addenda`` (each is an entry of its own) and ``chain``; for an
addendum every field but ``chain``, plus ``encounter_id`` and ``patient_id``.
A field added to notes later is covered without a change here.

Canonical JSON (``canonical_json``): object keys sorted, UTF-8 (no \\u
escapes), no insignificant whitespace (``,`` and ``:`` separators), datetimes
as UTC ISO-8601 with exactly three decimals (``2026-12-06T20:39:01.123Z``, the
millisecond precision MongoDB keeps), ObjectIds as 24 hex digits, no NaN or
infinities. Anything else is refused rather than guessed at.

Because each hash covers the previous one, changing, removing or reordering
an entry breaks every later link up to the head, and the head
(``RecordChainHead``: sequence and last hash) lives in MySQL, written in the
same transaction that commits the entry. Only someone able to rewrite both
stores can rewrite the chain unnoticed.
"""

import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime

from bson import ObjectId

from records.models import GENESIS_HASH, RecordChainHead

__all__ = [
    "ADDENDUM",
    "ENCOUNTER",
    "GENESIS_HASH",
    "Link",
    "addendum_content",
    "append",
    "canonical_json",
    "encounter_content",
    "ensure_head",
    "entry_hash",
    "lock_head",
]

ENCOUNTER = "encounter"
ADDENDUM = "addendum"
# chain_tip (repository.CHAIN_TIP) is derived from the links, like "chain" itself.
ENCOUNTER_FIELDS_NOT_COVERED = frozenset({"_id", "id", "state", "addenda", "chain", "chain_tip"})


@dataclass(frozen=True)
class Link:
    sequence: int
    previous_hash: str
    hash: str

    def as_document(self):
        return {"sequence": self.sequence, "previous_hash": self.previous_hash, "hash": self.hash}

    @classmethod
    def from_document(cls, chain):
        """The link stored on an entry, or None when the entry has none (or not one of this shape)."""
        if not isinstance(chain, dict):
            return None
        sequence, previous_hash, hash_ = chain.get("sequence"), chain.get("previous_hash"), chain.get("hash")
        if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 1:
            return None
        if not isinstance(previous_hash, str) or not isinstance(hash_, str):
            return None
        return cls(sequence, previous_hash, hash_)


def operation_link(operation):
    """The link an operation row holds, or None if it was committed before the chain existed."""
    if operation.chain_sequence is None:
        return None
    return Link(operation.chain_sequence, operation.chain_previous_hash, operation.chain_hash)


def link_fields(link):
    """The Operation fields that keep ``link``."""
    return {"chain_sequence": link.sequence, "chain_previous_hash": link.previous_hash, "chain_hash": link.hash}


def format_time(moment):
    if moment.tzinfo is None:
        raise TypeError("a naive datetime has no defined instant")
    moment = moment.astimezone(UTC)
    # MongoDB keeps milliseconds (and drops the rest), so the hash must not see more.
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def _canonical(value):
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("object keys must be strings")
        return {key: _canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("NaN and infinities have no canonical form")
    if value is None or isinstance(value, str | int | float):
        return value
    raise TypeError(f"{type(value).__name__} has no canonical form")


def canonical_json(value):
    """The one byte string a value hashes as: see the module docstring."""
    return json.dumps(
        _canonical(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def entry_hash(*, kind, content, sequence, previous_hash):
    material = {"kind": kind, "content": content, "sequence": sequence, "previous_hash": previous_hash}
    return hashlib.sha256(canonical_json(material)).hexdigest()


def encounter_content(document):
    """What an encounter's hash covers, from its MongoDB document (``_id``) or a public copy (``id``)."""
    encounter_id = document["_id"] if "_id" in document else document["id"]
    content = {key: value for key, value in document.items() if key not in ENCOUNTER_FIELDS_NOT_COVERED}
    content["id"] = str(encounter_id)
    return content


def addendum_content(addendum, *, encounter_id, patient_id):
    content = {key: value for key, value in addendum.items() if key != "chain"}
    content["encounter_id"] = str(encounter_id)
    content["patient_id"] = patient_id
    return content


def link_after(*, sequence, previous_hash, kind, content):
    """The link of an entry placed right after the entry at ``sequence`` whose hash is ``previous_hash``."""
    sequence += 1
    return Link(
        sequence, previous_hash, entry_hash(kind=kind, content=content, sequence=sequence, previous_hash=previous_hash)
    )


def ensure_head(patient_id):
    """Before the writer's transaction: the patient's head row exists, so that writers only ever lock it.

    Created in a transaction of its own: two writers creating it inside their
    own transactions would both wait on the new row's key and then deadlock
    taking its lock.
    """
    RecordChainHead.objects.get_or_create(patient_id=patient_id)


def lock_head(patient_id):
    """Inside the caller's transaction: the patient's chain head (see ensure_head), locked until it ends."""
    return RecordChainHead.objects.select_for_update().get(patient_id=patient_id)


def append(head, *, kind, content):
    """Link an entry after the locked ``head`` and move the head to it; returns the entry's link."""
    link = link_after(sequence=head.sequence, previous_hash=head.last_hash, kind=kind, content=content)
    head.sequence, head.last_hash = link.sequence, link.hash
    head.save(update_fields=["sequence", "last_hash", "updated_at"])
    return link
