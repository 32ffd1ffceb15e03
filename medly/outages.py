"""What counts as "a store is down" — turned into the 503 page, never a traceback."""

from redis.exceptions import ClusterDownError, OutOfMemoryError, ReadOnlyError, TryAgainError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError


class StoreUnavailable(Exception):
    """A backing store (MongoDB, Redis) cannot be reached right now."""


# Redis answers that mean "not now" rather than "this command is wrong": during a
# failover the old primary, now a replica, answers READONLY to writes, and a
# replica cut off from its primary answers MASTERDOWN (a ClusterDownError) to reads.
REDIS_NOT_NOW = (
    RedisConnectionError,
    RedisTimeoutError,
    ReadOnlyError,
    ClusterDownError,
    TryAgainError,
    OutOfMemoryError,
)

OUTAGE_EXCEPTIONS = (StoreUnavailable, *REDIS_NOT_NOW)


def is_store_outage(exc):
    return isinstance(exc, OUTAGE_EXCEPTIONS)
