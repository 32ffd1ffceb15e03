"""The words a person is found by: what the user-search index holds, and how a typed word matches it.

MariaDB has no n-gram full-text parser, and InnoDB FULLTEXT drops short words and stopwords ("de", "la",
"li"), which are real name parts here. So each user has one row per folded word in ``UserSearchWord``,
indexed ``(kind, word, user)``: a typed word is a prefix range on that index, never ``LIKE '%…%'``.
"""

import re

from medly.text import fold_for_search

NAME = "name"
PHONE = "phone"
# The phone's digits reversed: reception types the last digits (or the local number of a phone stored
# with its country code), and "ends with" is a prefix range on the reversed digits.
PHONE_TAIL = "tail"

WORD_MAX_LENGTH = 191
_INNER_START = re.compile(r"(?<=[^\w])(?=\w)")
_PHONE_WORD = re.compile(r"[0-9+()\-.]+")


def _with_inner_words(text):
    """Each folded word, and its tail from every letter or digit after a separator, so "lopez@clinic"
    and "clinic" both begin a word of "maria.lopez@clinic.test"."""
    words = set()
    for word in fold_for_search(text).split():
        words.add(word[:WORD_MAX_LENGTH])
        for match in _INNER_START.finditer(word):
            words.add(word[match.start() :][:WORD_MAX_LENGTH])
    return words


def phone_digits(text):
    """The ASCII digits of ``text`` after folding (a full-width "０" is a 0)."""
    return "".join(char for char in fold_for_search(text) if char in "0123456789")


def search_words(*, first_name, last_name, email, phone):
    """{(kind, word)} for one person."""
    rows = {(NAME, word) for word in _with_inner_words(f"{first_name} {last_name} {email or ''}")}
    rows |= {(PHONE, word) for word in _with_inner_words(phone)}
    digits = phone_digits(phone)
    if digits:
        rows.add((PHONE, digits[:WORD_MAX_LENGTH]))
        rows.add((PHONE_TAIL, digits[::-1][:WORD_MAX_LENGTH]))
    return rows


def query_words(query, *, limit):
    return fold_for_search(query).split()[:limit]


def tail_digits(word):
    """The reversed digits to look up as a phone's last digits, or "" when ``word`` is not a phone number."""
    if not _PHONE_WORD.fullmatch(word):
        return ""
    return phone_digits(word)[::-1]


def matches(rows, word, *, kinds):
    """The rule the index serves, in Python: ``word`` begins one of the person's words of ``kinds``
    (or, with phones, ends their phone's digits)."""
    tail = tail_digits(word) if PHONE in kinds else ""
    return any(
        (kind in kinds and stored.startswith(word)) or (tail and kind == PHONE_TAIL and stored.startswith(tail))
        for kind, stored in rows
    )
