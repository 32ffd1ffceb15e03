"""What the records app's services and coordinator refuse, for views to turn into pages.

The repository's own errors (``RecordsUnavailable``, ``InvalidRecord``) stay
in records/repository.py beside the PyMongo errors they translate.
"""


class ConsultationError(Exception):
    pass


class ConsultationNotOpen(ConsultationError):
    """The appointment is not scheduled (already closing or closed, cancelled...)."""

    def __init__(self, status):
        super().__init__(status)
        self.status = status


class NotTheDoctor(ConsultationError):
    pass


class ConsultationRejected(ConsultationError):
    """The records store refused the document for good; nothing was kept."""


class CommitConflict(Exception):
    """The commit step did not change exactly the rows it expected; nothing was committed."""


class RecordNotReady(Exception):
    """Registration logged the record document, but the records store does not have it yet."""


class RecordChanged(Exception):
    """The record was edited since the page was opened; ``current`` holds what it says now."""

    def __init__(self, current):
        super().__init__(f"the record is at version {current.get('version')}")
        self.current = current


class HistoryExists(Exception):
    """The patient's first history is already filled: it is never filled again, only amended by addenda."""


class HistoryNotFilled(Exception):
    """An addendum to a first history that does not exist yet."""
