"""Numbers read straight from a query string or form field, never a 500.

str.isdigit() is no guard: it accepts "²" and "①", which int() refuses, and
"٣", which int() reads as 3; int() also refuses more than 4300 digits. Only
ASCII digits of a sensible length are numbers here.
"""

import re

MAX_ID = 2**63 - 1  # BIGINT, the primary keys' column type
ASCII_NUMBER = re.compile(r"[0-9]{1,19}")


def parse_int(value, *, default=None, minimum=0, maximum=MAX_ID):
    """The integer ``value`` spells in ASCII digits, within [minimum, maximum]; else ``default``."""
    value = (value or "").strip()
    if not ASCII_NUMBER.fullmatch(value):
        return default
    number = int(value)
    return number if minimum <= number <= maximum else default


def parse_id(value):
    """A row id (1 … BIGINT max), or None for anything else."""
    return parse_int(value, minimum=1)
