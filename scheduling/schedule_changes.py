"""The one place told of every committed change to slots or appointments.

Whatever shows a schedule from somewhere other than the primary database (a
cached page, a read replica) listens here. Writers call `schedule_changed`
inside their transaction; listeners hear of it only after the commit, so a
rolled-back change is never announced.
"""

import logging

from django.db import transaction
from django.dispatch import Signal

from medly import replicas

logger = logging.getLogger(__name__)

# Sent after commit with `doctor_ids`: a frozenset of the doctors whose schedule changed.
schedule_committed = Signal()


def schedule_changed(doctor_ids, *, using="default"):
    """Announce, once this transaction commits, that these doctors' slots or appointments changed."""
    changed = frozenset(doctor_ids)
    if changed:
        transaction.on_commit(lambda: _announce(changed), using=using)


def _announce(doctor_ids):
    # The replica position first: a reader that sees a new cache version must
    # also see a fence that includes this commit, or it could cache stale rows.
    replicas.remember_primary_position()
    for receiver, result in schedule_committed.send_robust(sender=None, doctor_ids=doctor_ids):
        if isinstance(result, Exception):
            logger.error("schedule change listener %r failed", receiver, exc_info=result)
