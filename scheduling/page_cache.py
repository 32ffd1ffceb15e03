"""Rendered parts of the public pages, kept in the cache under keys versioned by the doctors' schedules.

Each doctor has a version token, and the directory one more (its cards show every doctor's next
free time). A page reads the tokens first, then the database, and stores what it rendered under a
key made of them: a change committed after that read replaces the token (`schedule_committed`),
so the page rendered from older rows is never read again. Tokens are random, not counters: a
token that was evicted and created anew can never bring back a page stored under an older one.

Keys also carry the minute: a page is built showing only slots that start after that minute ends,
so a cached page never offers a slot that has started. If Redis is down or only reads (a failover),
pages are built from the database every time and writes still succeed; a lost version bump then
leaves a page at most until its minute is over.
"""

import hashlib
import logging
import secrets
from datetime import UTC, datetime

from django.core.cache import cache
from django.utils import translation

from medly.outages import REDIS_NOT_NOW

logger = logging.getLogger(__name__)

MINUTE = 60
VERSION_SECONDS = 24 * 60 * 60
# Longer than the minute a key is read in, so the last reads of a minute still find it.
FRAGMENT_SECONDS = 3 * MINUTE
DIRECTORY_SCOPE = "directory"


def doctor_scope(doctor_id):
    return f"doctor:{doctor_id}"


def _version_key(scope):
    return f"schedule-version:{scope}"


def _new_token():
    return secrets.token_hex(8)


def current_versions(scopes):
    """The version token of each scope, created where there is none; None for one the cache lost at once."""
    keys = [_version_key(scope) for scope in scopes]
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        for key in missing:
            # add, not set: readers racing here agree on one token instead of replacing each other's.
            cache.add(key, _new_token(), VERSION_SECONDS)
        found.update(cache.get_many(missing))
    return [found.get(key) for key in keys]


def replace_versions(doctor_ids):
    """New tokens for these doctors and the directory: every page rendered before now is never read again."""
    tokens = {_version_key(doctor_scope(doctor_id)): _new_token() for doctor_id in doctor_ids}
    tokens[_version_key(DIRECTORY_SCOPE)] = _new_token()
    cache.set_many(tokens, VERSION_SECONDS)


def on_schedule_committed(sender, doctor_ids, **kwargs):
    replace_versions(doctor_ids)


def minute_of(now):
    """(the minute's number, the instant it ends): pages of this minute show slots that start after its end."""
    minute = int(now.timestamp()) // MINUTE
    return minute, datetime.fromtimestamp((minute + 1) * MINUTE, tz=UTC)


def cached_part(name, *, scopes, variant, now, build):
    """``build(shown_after)`` rendered once per minute, language, ``variant`` and version of ``scopes``.

    ``variant`` is everything else the part depends on (a tuple of plain values). With the cache
    unavailable the part is built every time.
    """
    minute, shown_after = minute_of(now)
    try:
        versions = current_versions(scopes)
    except REDIS_NOT_NOW:
        logger.warning("cache unavailable: %s built without it", name)
        return build(shown_after)
    if None in versions:
        return build(shown_after)
    identity = repr((versions, translation.get_language(), minute, variant))
    key = f"page:{name}:{hashlib.sha256(identity.encode()).hexdigest()}"
    try:
        part = cache.get(key)
    except REDIS_NOT_NOW:
        return build(shown_after)
    if part is None:
        part = build(shown_after)
        try:
            cache.set(key, part, FRAGMENT_SECONDS)
        except REDIS_NOT_NOW:
            pass
    return part
