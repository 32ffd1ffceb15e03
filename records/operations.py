"""Reads of the cross-store operation log for operators and doctors (healthz, the agenda)."""

from django.db import DatabaseError
from django.db.models import Case, CharField, OuterRef, Subquery, Value, When

from records.models import UNFINISHED_STATES, Operation, OperationKind, OperationState

ATTENTION = "attention"
REFUSED = "refused"


def operations_needing_attention():
    return Operation.objects.filter(state__in=UNFINISHED_STATES, needs_attention=True).order_by("pk")


def operations_health():
    """For /healthz: "attention" while an operation needs a person; never a reason to leave rotation."""
    try:
        return ATTENTION if operations_needing_attention().exists() else "ok"
    except DatabaseError:
        return "unknown"


def close_problem():
    """For an Appointment queryset's annotate(): what went wrong with its latest close, or "".

    ``attention``: the note is safe in the log but keeps failing; ``refused``:
    the records store refused the note and the close was undone.
    """
    latest = (
        Operation.objects.filter(appointment=OuterRef("pk"), kind=OperationKind.CLOSE_CONSULTATION)
        .order_by("-pk")
        .annotate(
            problem=Case(
                When(state__in=UNFINISHED_STATES, needs_attention=True, then=Value(ATTENTION)),
                When(state=OperationState.ABORTED, then=Value(REFUSED)),
                default=Value(""),
                output_field=CharField(),
            )
        )
        .values("problem")[:1]
    )
    return Subquery(latest, output_field=CharField())
