"""Errors raised by accounts/services.py; each carries a message for the person who asked."""


class AccountError(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


class NotAllowed(AccountError):
    """The acting user may not do this (not a superuser, no privacy notice given...)."""


class DuplicateEmail(AccountError):
    """Another account already has this email address."""


class DuplicateCurp(AccountError):
    """Another patient already has this CURP."""


class InvalidRectification(AccountError):
    """The correction asked for cannot be applied (bad value, contradicts the CURP, already decided...)."""


class RectificationNotFound(AccountError):
    """No correction request with this id."""


class InvalidPhoto(AccountError):
    """An uploaded photo that is not a JPEG, PNG or WebP image Medly can safely re-encode."""
