"""Read replicas: which reads may go to one, and how fresh it must be.

Without a `replica` database configured every read stays on the primary and
these functions do nothing.
"""

from django.conf import settings

REPLICA = "replica"


def replica_configured():
    return REPLICA in settings.DATABASES


def remember_primary_position():
    """After a schedule change commits: note how far the primary is, so stale replicas are skipped."""
    if not replica_configured():
        return
    raise NotImplementedError("the replica fence is built with the replica router")
