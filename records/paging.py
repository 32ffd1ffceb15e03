"""The record page's keyset cursors: where a page of encounters starts, as a short text in its address.

A cursor is ``<created_at in milliseconds since 1970>.<encounter id>`` of the last encounter
shown (MongoDB keeps dates to the millisecond, so the text names the stored value exactly).
Anything else read from an address is no cursor at all: the page falls back to the newest
encounters rather than failing.
"""

import re
from datetime import UTC, datetime, timedelta

CURSOR = re.compile(r"(\d{1,15})\.([0-9a-f]{24})")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)
LATEST = (datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC) - EPOCH) // MILLISECOND


def cursor_of(encounter):
    """The cursor that starts a page right after ``encounter`` (a public encounter document)."""
    return f"{(encounter['created_at'] - EPOCH) // MILLISECOND}.{encounter['id']}"


def parse_cursor(text):
    """(created_at, encounter id) from a cursor's text, or None when it is not one."""
    match = CURSOR.fullmatch(text or "")
    if match is None or int(match[1]) > LATEST:
        return None
    return EPOCH + int(match[1]) * MILLISECOND, match[2]
