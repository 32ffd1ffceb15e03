"""Checking a patient's record chain (records/chain.py): every entry's hash, every link, and the MySQL head.

``check_consistency`` walks every chain from its first entry (``find_chain_breaks``).

The record page cannot afford that on every view (a record can hold thousands
of entries), so ``verify_record`` remembers, in the cache, the newest entry a
full walk found sound: ``(sequence, hash)``. A later view re-hashes only that
entry and the ones after it, checks that the newest one is the head MySQL
keeps, that no final encounter it reads lacks a link, and re-hashes the
entries the page shows. That catches anything appended, removed or reordered
at the end of the chain and any change to what is on screen, in one MongoDB
query: the encounters whose chain tip (repository.CHAIN_TIP, the highest
position they hold) reaches the mark, and any encounter without a tip (no
link, or written before tips). What it does not catch until the mark expires
(VERIFIED_MARK_SECONDS, or a cache flush) is a change to an older entry the
page does not show, whose hash the intruder also recomputed, or an addendum
without a link pushed from outside Medly into an older encounter:
``check_consistency`` (run it on a timer) finds both at once. A mark that no
longer matches its entry is simply not trusted: the view falls back to the
full walk.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from itertools import groupby

from django.core.cache import cache

from records import chain, repository
from records.chain import GENESIS_HASH, Link
from records.models import Operation, OperationKind, OperationState, RecordChainHead

VERIFIED_MARK_SECONDS = 24 * 60 * 60


class Problem(StrEnum):
    CONTENT = "content"  # the entry's content no longer gives its hash
    LINK = "link"  # the entry does not name the hash of the entry before it
    MISSING = "missing"  # no entry holds this position
    DUPLICATE = "duplicate"  # two entries claim one position
    HEAD = "head"  # the newest entry is not the head MySQL keeps
    UNLINKED = "unlinked"  # a final entry with no place in the chain


@dataclass(frozen=True)
class Entry:
    kind: str
    id: str
    encounter_id: str
    created_at: datetime | None
    content: dict
    link: Link | None
    from_log: bool = False  # committed, waiting in the operation log for MongoDB

    def hash_matches(self):
        return self.link.hash == chain.entry_hash(
            kind=self.kind, content=self.content, sequence=self.link.sequence, previous_hash=self.link.previous_hash
        )


@dataclass(frozen=True)
class Break:
    problem: Problem
    sequence: int | None = None
    entry: Entry | None = None  # the first entry that no longer matches (MISSING: the one after the gap)
    missing: Entry | None = None  # MISSING: what the operation log says the position held
    head: tuple = (0, GENESIS_HASH)
    unlinked: int = 0


@dataclass(frozen=True)
class ChainStatus:
    entries: int
    waiting: int
    broken: Break | None

    @property
    def verified(self):
        return self.broken is None

    @property
    def changed_entry_id(self):
        """The id of the entry whose content no longer gives its hash, if that is what broke the chain."""
        if self.broken is not None and self.broken.problem == Problem.CONTENT:
            return self.broken.entry.id
        return None


def entries_of(encounters):
    """The chain entries held in MongoDB encounter documents (public form, ``id``): each encounter and its addenda."""
    entries = []
    for encounter in encounters:
        entries.append(
            Entry(
                chain.ENCOUNTER,
                encounter["id"],
                encounter["id"],
                encounter.get("created_at"),
                chain.encounter_content(encounter),
                Link.from_document(encounter.get("chain")),
            )
        )
        for addendum in encounter.get("addenda") or []:
            entries.append(
                Entry(
                    chain.ADDENDUM,
                    str(addendum.get("id")),
                    encounter["id"],
                    addendum.get("created_at"),
                    chain.addendum_content(
                        addendum, encounter_id=encounter["id"], patient_id=encounter.get("patient_id")
                    ),
                    Link.from_document(addendum.get("chain")),
                )
            )
    return entries


def log_entry(operation):
    """The entry an operation row holds (the note or addendum it writes), as MongoDB will store it."""
    payload = {**operation.payload, "created_at": datetime.fromisoformat(operation.payload["created_at"])}
    if operation.kind == OperationKind.ADD_ADDENDUM:
        content = chain.addendum_content(payload, encounter_id=operation.encounter_id, patient_id=operation.patient_id)
        return Entry(
            chain.ADDENDUM,
            payload["id"],
            operation.encounter_id,
            payload["created_at"],
            content,
            chain.operation_link(operation),
            from_log=True,
        )
    content = chain.encounter_content({**payload, "_id": operation.encounter_id})
    return Entry(
        chain.ENCOUNTER,
        operation.encounter_id,
        operation.encounter_id,
        payload["created_at"],
        content,
        chain.operation_link(operation),
        from_log=True,
    )


def _in_flight():
    """Committed entries the operation log still has to write to MongoDB."""
    return Operation.objects.filter(
        state=OperationState.COMMITTED,
        kind__in=(OperationKind.CLOSE_CONSULTATION, OperationKind.ADD_ADDENDUM),
        chain_sequence__isnull=False,
    )


def walk(stored, logged=(), *, head, start=1, previous=GENESIS_HASH):
    """Check the chain from position ``start``; returns (the first Break or None, the newest sound stored link).

    ``stored``: entries read from MongoDB; ``logged``: committed entries from the
    operation log, used only where MongoDB has nothing at their position.
    ``previous`` None: the link of the entry at ``start`` was verified before.
    """
    by_sequence = defaultdict(list)
    for entry in stored:
        if entry.link is not None and entry.link.sequence >= start:
            by_sequence[entry.link.sequence].append(entry)
    for entry in logged:
        if entry.link.sequence >= start and entry.link.sequence not in by_sequence:
            by_sequence[entry.link.sequence].append(entry)
    head_sequence, head_hash = head
    top = max([head_sequence, *by_sequence])
    sound = None
    in_mongo = True
    for sequence in range(start, top + 1):
        found = by_sequence.get(sequence)
        if not found:
            after = next((by_sequence[s][0] for s in range(sequence + 1, top + 1) if s in by_sequence), None)
            return Break(Problem.MISSING, sequence, after, head=head), sound
        entry = found[0]
        if len(found) > 1:
            return Break(Problem.DUPLICATE, sequence, found[1], head=head), sound
        if not entry.hash_matches():
            return Break(Problem.CONTENT, sequence, entry, head=head), sound
        if previous is not None and entry.link.previous_hash != previous:
            return Break(Problem.LINK, sequence, entry, head=head), sound
        previous = entry.link.hash
        in_mongo = in_mongo and not entry.from_log
        if in_mongo:
            sound = (sequence, entry.link.hash)
    if top != head_sequence or (previous is not None and previous != head_hash):
        newest = by_sequence[top][0] if top in by_sequence else None
        return Break(Problem.HEAD, top, newest, head=head), sound
    return None, sound


def _first_unlinked(stored, head):
    unlinked = [entry for entry in stored if entry.link is None]
    if not unlinked:
        return None
    return Break(Problem.UNLINKED, None, unlinked[0], head=head, unlinked=len(unlinked))


def _named_missing(broken, patient_id):
    """A MISSING break with what the operation log says the position held (entries logged since the chain began)."""
    if broken is None or broken.problem != Problem.MISSING:
        return broken
    operation = Operation.objects.filter(patient_id=patient_id, chain_sequence=broken.sequence).first()
    if operation is None:
        return broken
    return Break(broken.problem, broken.sequence, broken.entry, log_entry(operation), head=broken.head)


# --- one patient, on the record page -------------------------------------------


def _mark_key(patient_id):
    return f"records:chain-verified:{patient_id}"


def verify_record(patient_id, *, shown=()):
    """The record page's check (see the module docstring); ``shown``: the encounters the page displays."""
    head = RecordChainHead.objects.filter(patient_id=patient_id).values_list("sequence", "last_hash").first()
    head = head or (0, GENESIS_HASH)
    logged = [log_entry(operation) for operation in _in_flight().filter(patient_id=patient_id)]
    mark = cache.get(_mark_key(patient_id))
    broken, sound = None, None
    if mark and 1 <= mark[0] <= head[0]:
        broken, sound = _walk_from_mark(patient_id, mark, logged, head)
    if sound is None and broken is None:
        stored = entries_of(repository.chain_documents(patient_id=patient_id))
        broken, sound = walk(stored, logged, head=head)
        broken = broken or _first_unlinked(stored, head)
    broken = broken or _shown_break(shown, head)
    if broken is None and sound is not None:
        cache.set(_mark_key(patient_id), sound, VERIFIED_MARK_SECONDS)
    return ChainStatus(entries=head[0], waiting=len(logged), broken=_named_missing(broken, patient_id))


def _walk_from_mark(patient_id, mark, logged, head):
    """(Break, sound link) from the remembered entry on, or (None, None) if the mark cannot be trusted."""
    sequence, hash_ = mark
    stored = entries_of(repository.chain_documents(patient_id=patient_id, from_sequence=sequence))
    at_mark = [entry for entry in stored if entry.link is not None and entry.link.sequence == sequence]
    if len(at_mark) != 1 or at_mark[0].link.hash != hash_:
        return None, None
    broken, sound = walk(stored, logged, head=head, start=sequence, previous=None)
    if broken is None:
        unlinked = {entry.encounter_id for entry in stored if entry.link is None}
        if unlinked:
            broken = Break(Problem.UNLINKED, head=head, unlinked=len(unlinked))
    return broken, sound or mark


def _shown_break(shown, head):
    for entry in entries_of(shown):
        if entry.link is None:
            return Break(Problem.UNLINKED, None, entry, head=head, unlinked=1)
        if not entry.hash_matches():
            return Break(Problem.CONTENT, entry.link.sequence, entry, head=head)
    return None


# --- every patient, for check_consistency --------------------------------------


def find_chain_breaks():
    """One line per patient whose chain no longer verifies, naming its first broken entry."""
    heads = dict(
        (patient_id, (sequence, last_hash))
        for patient_id, sequence, last_hash in RecordChainHead.objects.values_list(
            "patient_id", "sequence", "last_hash"
        )
    )
    logged = defaultdict(list)
    for operation in _in_flight():
        logged[operation.patient_id].append(log_entry(operation))
    stored = {
        patient_id: entries_of(documents)
        for patient_id, documents in groupby(repository.final_encounters_by_patient(), key=lambda d: d["patient_id"])
    }
    problems = []
    for patient_id in sorted(set(heads) | set(logged) | set(stored)):
        head = heads.get(patient_id, (0, GENESIS_HASH))
        entries = stored.get(patient_id, [])
        broken, _ = walk(entries, logged[patient_id], head=head)
        broken = _named_missing(broken or _first_unlinked(entries, head), patient_id)
        if broken is not None:
            problems.append(describe(patient_id, broken))
    return problems


def name(entry):
    if entry.kind == chain.ADDENDUM:
        return f"addendum {entry.id} to encounter {entry.encounter_id}"
    return f"encounter {entry.id}"


def describe(patient_id, broken):
    """The operator's sentence for a break (English, like the rest of check_consistency)."""
    prefix = f"patient {patient_id}: record chain broken"
    head_sequence, head_hash = broken.head
    where = f"entry {broken.sequence} of {head_sequence}"
    if broken.problem == Problem.CONTENT:
        return f"{prefix} at {name(broken.entry)} ({where}): its content no longer matches its hash"
    if broken.problem == Problem.LINK:
        return f"{prefix} at {name(broken.entry)} ({where}): it does not link to the entry before it"
    if broken.problem == Problem.DUPLICATE:
        return f"{prefix} at {name(broken.entry)} ({where}): another entry holds the same position"
    if broken.problem == Problem.MISSING:
        missing = f" ({name(broken.missing)}, per the operation log)" if broken.missing else ""
        after = f"; the next entry is {name(broken.entry)}" if broken.entry else ""
        return f"{prefix}: {where} is missing{missing}{after}"
    if broken.problem == Problem.HEAD:
        newest = f" ({name(broken.entry)})" if broken.entry else ""
        return (
            f"{prefix}: the newest entry is entry {broken.sequence}{newest}, but the head in MySQL is entry "
            f"{head_sequence} with hash {head_hash}"
        )
    return (
        f"{prefix}: {name(broken.entry)} is not in the chain (written outside Medly, or from before the "
        "chain: run manage.py build_record_chains)"
    )
