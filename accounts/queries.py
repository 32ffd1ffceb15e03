"""Reads for the account pages: ready to render, in a fixed number of queries."""

import datetime
from dataclasses import dataclass

from django.db.models import Q
from django.utils.formats import date_format

from accounts import search_words
from accounts.models import (
    PatientProfile,
    RectificationField,
    RectificationRequest,
    RectificationStatus,
    Sex,
    UserSearchWord,
)

RECENT_DECISIONS = 20


@dataclass(frozen=True)
class RectificationRow:
    request: RectificationRequest
    field_label: str
    old_display: str
    new_display: str


def display_value(field, text):
    """A stored rectification value as a person reads it: dates in the page's language, sex by its name."""
    if not text:
        return "—"
    if field == RectificationField.DATE_OF_BIRTH:
        return date_format(datetime.date.fromisoformat(text), "DATE_FORMAT")
    if field == RectificationField.SEX and text in Sex.values:
        return str(Sex(text).label)
    return text


def _row(rectification):
    return RectificationRow(
        request=rectification,
        field_label=rectification.get_field_display(),
        old_display=display_value(rectification.field, rectification.old_value),
        new_display=display_value(rectification.field, rectification.new_value),
    )


def patient_details(user):
    """The patient's profile (date of birth, sex, CURP), or None for staff and for patients without one."""
    if not user.is_patient:
        return None
    return PatientProfile.objects.filter(user=user).first()


def rectifications_of(user):
    """A patient's correction requests, newest first (one query; none for staff)."""
    if not user.is_patient:
        return []
    return [_row(rectification) for rectification in RectificationRequest.objects.filter(patient=user)]


def rectification_desk():
    """Pending requests, oldest first, and the latest decisions, with their patients: two queries."""
    related = ("patient", "patient__patient_profile", "decided_by")
    pending = RectificationRequest.objects.filter(status=RectificationStatus.PENDING).select_related(*related)
    decided = (
        RectificationRequest.objects.exclude(status=RectificationStatus.PENDING)
        .select_related(*related)
        .order_by("-decided_at", "-pk")[:RECENT_DECISIONS]
    )
    return {
        "pending": [_row(rectification) for rectification in pending.order_by("requested_at", "pk")],
        "decided": [_row(rectification) for rectification in decided],
    }


def users_found_by(word, *, kinds):
    """The ids of users with a word of ``kinds`` beginning with ``word`` (or, with phones, a phone ending in
    its digits): prefix ranges on the (kind, word, user) index, as a subquery for ``pk__in``."""
    # istartswith: on MySQL a plain LIKE in the column's collation, which the index serves as a range; the
    # case-sensitive startswith is LIKE BINARY, which reads every word of the kind. Both sides are folded.
    found = Q(kind__in=kinds, word__istartswith=word)
    tail = search_words.tail_digits(word) if search_words.PHONE in kinds else ""
    if tail:
        found |= Q(kind=search_words.PHONE_TAIL, word__istartswith=tail)
    return UserSearchWord.objects.filter(found).values("user_id")
