"""Linking the entries written before the record chain existed: ``manage.py build_record_chains``."""

from datetime import UTC, datetime

from django.db import transaction

from records import chain, integrity, repository

NO_TIME = datetime.min.replace(tzinfo=UTC)


def _oldest_first(entry):
    # An addendum is written after its note; at the same instant the note still goes first.
    return (entry.created_at or NO_TIME, entry.kind != chain.ENCOUNTER, entry.id)


def link_unlinked_entries(patient_id):
    """Append the patient's unlinked final entries to their chain, oldest first; returns [(entry, link)].

    Under the chain head's row lock, so no close or addendum is linked meanwhile,
    and MongoDB is written before the head moves: a run that dies in between
    leaves its links beyond the head (no writer of Medly's puts one there), and
    the next run links the same entries again in the same order after the same
    head, so with the same hashes. check_consistency reports such links until then.
    """
    chain.ensure_head(patient_id)
    with transaction.atomic(durable=True):
        head = chain.lock_head(patient_id)
        stored = integrity.entries_of(repository.chain_documents(patient_id=patient_id))
        waiting = sorted((e for e in stored if e.link is None or e.link.sequence > head.sequence), key=_oldest_first)
        linked = []
        for entry in waiting:
            link = chain.link_after(
                sequence=head.sequence, previous_hash=head.last_hash, kind=entry.kind, content=entry.content
            )
            if entry.kind == chain.ENCOUNTER:
                repository.set_encounter_link(encounter_id=entry.id, chain=link.as_document())
            else:
                repository.set_addendum_link(
                    encounter_id=entry.encounter_id, addendum_id=entry.id, chain=link.as_document()
                )
            head.sequence, head.last_hash = link.sequence, link.hash
            linked.append((entry, link))
        if linked:
            head.save(update_fields=["sequence", "last_hash", "updated_at"])
    return linked
