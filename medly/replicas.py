"""Read replicas: which reads may go to one, and how fresh it must be.

Without a `replica` database configured every read stays on the primary and
these functions do nothing.

A read goes to the replica only inside `reading_replica()` (opened by the
read-only public pages), only outside any transaction and only before any
write of the request (`medly.db_router.PrimaryReplicaRouter`). Freshness is a
fence: after each schedule change commits, the primary's GTID position is
kept in Redis (it only ever moves forward); a scope uses the replica only if
the replica has applied everything up to that position. Any doubt (no fence,
Redis or the replica unreachable, the replica behind) means the primary.
"""

import contextvars
import logging
import time
from contextlib import contextmanager

from django.core.cache import cache
from django.core.signals import request_started
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

PRIMARY = "default"
REPLICA = "replica"
FENCE_KEY = "replica-fence"
# How long a page waits for a replica that is only just behind before it asks the primary instead.
CATCH_UP_WAIT_SECONDS = 0.05
# After a failed connection, pages skip that replica this long instead of each waiting for its timeout.
UNREACHABLE_RETRY_SECONDS = 10

# (host, port) of a replica that could not be reached → monotonic time until which it is skipped.
_unreachable_until = {}

# True inside a scope whose replica was found caught up with the fence.
_replica_chosen = contextvars.ContextVar("replica_chosen", default=False)
# True once this request (or task) has written: what follows must read its own writes.
_wrote = contextvars.ContextVar("wrote", default=False)

# Raise the stored position of each GTID domain, never lower it: concurrent writers
# finish in any order, and the fence must cover the newest commit any of them saw.
# ARGV: domain, "server-sequence", sequence, domain, ...
_RAISE_FENCE = """
for i = 1, #ARGV, 3 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if not current or tonumber(string.match(current, '(%d+)$')) < tonumber(ARGV[i + 2]) then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
return 1
"""


def replica_configured():
    return REPLICA in connections.settings


def use_replica_now():
    """The router's question: may this read go to the replica?"""
    return _replica_chosen.get() and not _wrote.get() and not connections[PRIMARY].in_atomic_block


def note_write():
    _wrote.set(True)


def _forget_writes(**kwargs):
    _wrote.set(False)


request_started.connect(_forget_writes, dispatch_uid="medly.replicas.forget_writes")


def remember_primary_position():
    """After a schedule change commits: note how far the primary is, so stale replicas are skipped."""
    if not replica_configured():
        return
    try:
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute("SELECT @@gtid_binlog_pos")
            (position,) = cursor.fetchone()
        raise_fence(position)
    except Exception:
        # The commit stands; the replica may be skipped until the next change records a fence.
        logger.exception("could not record the primary's position for the read replica")


def raise_fence(position):
    """Move the fence up to the GTID ``position`` ("0-1-42,1-1-7"), in each domain it is behind in."""
    arguments = []
    for gtid in _gtids(position):
        domain, server, sequence = gtid.split("-")
        arguments += [domain, f"{server}-{sequence}", sequence]
    if arguments:
        _redis().eval(_RAISE_FENCE, 1, cache.make_key(FENCE_KEY), *arguments)


def _gtids(position):
    return [gtid.strip() for gtid in (position or "").split(",") if gtid.strip()]


def _redis():
    # The fence lives in the cache's Redis; only django-redis exposes the raw client.
    return cache.client.get_client(write=True)


def read_fence():
    """The GTID position a replica must have applied, e.g. "0-1-42"; "" when none is known."""
    stored = _redis().hgetall(cache.make_key(FENCE_KEY))
    return ",".join(
        f"{domain.decode()}-{server_sequence.decode()}" for domain, server_sequence in sorted(stored.items())
    )


def replica_caught_up():
    """Whether the replica has applied every recorded schedule change; False when unsure (and logged)."""
    if not replica_configured():
        return False
    if not hasattr(cache, "client") or not hasattr(cache.client, "get_client"):
        return False  # no Redis, so no fence
    try:
        fence = read_fence()
    except Exception:
        logger.warning("replica fence unreadable (Redis down?): reading the primary", exc_info=True)
        return False
    if not fence:
        logger.info("no replica fence recorded yet: reading the primary")
        return False
    address = (connections[REPLICA].settings_dict["HOST"], connections[REPLICA].settings_dict["PORT"])
    if time.monotonic() < _unreachable_until.get(address, 0):
        return False
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT MASTER_GTID_WAIT(%s, %s)", [fence, CATCH_UP_WAIT_SECONDS])
            (waited,) = cursor.fetchone()
    except DatabaseError:
        logger.warning(
            "replica unreachable: reading the primary for the next %s s", UNREACHABLE_RETRY_SECONDS, exc_info=True
        )
        _unreachable_until[address] = time.monotonic() + UNREACHABLE_RETRY_SECONDS
        connections[REPLICA].close()
        return False
    if waited != 0:
        logger.info("replica behind the fence %s: reading the primary", fence)
        return False
    return True


@contextmanager
def reading_replica():
    """Reads in this block may go to the replica, if it is caught up with every committed schedule change."""
    chosen = not _wrote.get() and not connections[PRIMARY].in_atomic_block and replica_caught_up()
    token = _replica_chosen.set(chosen)
    try:
        yield chosen
    finally:
        _replica_chosen.reset(token)
