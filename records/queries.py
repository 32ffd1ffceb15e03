"""The data the record pages share. Who may see it is decided in records/permissions.py."""

from datetime import datetime

from django.http import Http404
from django.utils.translation import gettext as _

from accounts import search_words
from accounts.models import Role, User
from accounts.queries import users_found_by
from medly.text import fold_for_search
from records import permissions
from records.cie10 import normalise_code
from records.models import UNFINISHED_STATES, Cie10Code, Cie10Sex, Operation, OperationKind

MAX_SEARCH_WORDS = 6


def patient_or_404(patient_id):
    patient = User.objects.filter(pk=patient_id, role=Role.PATIENT).select_related("patient_profile").first()
    if patient is None:
        raise Http404
    return patient


def patients_for(user, *, query=""):
    """The patients whose records ``user`` may read (permissions.readable_patients) with a word of their name
    or email beginning with each word of ``query``."""
    patients = permissions.readable_patients(user).select_related("patient_profile")
    for word in search_words.query_words(query, limit=MAX_SEARCH_WORDS):
        patients = patients.filter(pk__in=users_found_by(word, kinds=(search_words.NAME,)))
    return patients.order_by("last_name", "first_name", "pk")


def pending_encounters(patient_id):
    """Consultations closed but still waiting for the records store, from the operation log."""
    operations = Operation.objects.filter(
        patient_id=patient_id, kind=OperationKind.CLOSE_CONSULTATION, state__in=UNFINISHED_STATES
    ).order_by("-created_at")
    return [_with_dates(operation.payload) for operation in operations]


def _with_dates(payload):
    dated = {**payload, "created_at": datetime.fromisoformat(payload["created_at"])}
    if "visit_at" in payload:
        dated["visit_at"] = datetime.fromisoformat(payload["visit_at"])
    return dated


def pending_record(patient_id):
    """The blood type and allergies given at sign-up while the record document still waits in the log."""
    operation = (
        Operation.objects.filter(patient_id=patient_id, kind=OperationKind.CREATE_RECORD, state__in=UNFINISHED_STATES)
        .order_by("-pk")
        .first()
    )
    return operation.payload if operation else None


CIE10_SUGGESTIONS = 15


def search_cie10(query, *, limit=CIE10_SUGGESTIONS):
    """Catalogue codes matching every word of ``query`` (code or text, accents and case ignored), codes first."""
    words = fold_for_search(query).split()[:8]
    if not words:
        return []
    codes = Cie10Code.objects.all()
    for word in words:
        codes = codes.filter(search_text__contains=word)
    code_like = normalise_code(query) or query.strip().upper()
    starting = list(codes.filter(code__startswith=code_like).order_by("code")[:limit])
    if len(starting) >= limit:
        return starting
    others = codes.exclude(pk__in=[code.pk for code in starting]).order_by("code")[: limit - len(starting)]
    return starting + list(others)


def cie10_code(code):
    """The catalogue entry for ``code`` as typed (``j069`` finds J06.9), or None."""
    normalised = normalise_code(code)
    return Cie10Code.objects.filter(code=normalised).first() if normalised else None


def diagnosis_fit_warnings(entry, profile, *, on_day):
    """Why a catalogue diagnosis does not fit the patient's sex or age on ``on_day`` (LSEX, LINF, LSUP)."""
    warnings = []
    sex = getattr(profile, "sex", "")
    if entry.sex_limit and sex in (Cie10Sex.FEMALE, Cie10Sex.MALE) and sex != entry.sex_limit:
        warnings.append(
            _("%(code)s is a diagnosis for women only.")
            if entry.sex_limit == Cie10Sex.FEMALE
            else _("%(code)s is a diagnosis for men only.")
        )
    born = getattr(profile, "date_of_birth", None)
    if born is not None:
        age_days = (on_day - born).days
        if entry.min_age_days is not None and age_days < entry.min_age_days:
            warnings.append(_("%(code)s is not expected at this patient's age (too young for it)."))
        if entry.max_age_days is not None and age_days > entry.max_age_days:
            warnings.append(_("%(code)s is not expected at this patient's age (too old for it)."))
    return [warning % {"code": entry.code} for warning in warnings]
