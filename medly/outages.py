"""What counts as "a store is down" — turned into the 503 page, never a traceback."""

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError


class StoreUnavailable(Exception):
    """A backing store (MongoDB, Redis) cannot be reached right now."""


OUTAGE_EXCEPTIONS = (StoreUnavailable, RedisConnectionError, RedisTimeoutError)


def is_store_outage(exc):
    return isinstance(exc, OUTAGE_EXCEPTIONS)
